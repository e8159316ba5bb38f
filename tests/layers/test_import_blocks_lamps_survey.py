"""Blocks, lamps and survey results: CRS, multi-part and invalid geometries, keys, reports."""

import zipfile

import pytest
import shapely
from pyproj import Transformer

from geo.models import Area, Block
from layers.models import Lamp, SurveyResult
from layers.services import area_create
from tests.layers.importing import (
    counts,
    point_geojson,
    polygon_geojson,
    reasons,
    run_import,
    write,
    write_layer,
)

pytestmark = pytest.mark.django_db

TO_3006 = Transformer.from_crs(4326, 3006, always_xy=True)


def polygon_3006(xmin, ymin, xmax, ymax):
    xs, ys = TO_3006.transform([xmin, xmax, xmax, xmin], [ymin, ymin, ymax, ymax])
    return shapely.Polygon(list(zip(xs, ys, strict=True)))


def test_blocks_from_a_zipped_shapefile_in_sweref_with_multipart_and_a_bow_tie(tmp_path):
    area = area_create(slug="malmo", name="Malmö")
    two_parts = shapely.MultiPolygon(
        [polygon_3006(13.000, 55.600, 13.004, 55.604), polygon_3006(13.005, 55.600, 13.009, 55.604)]
    )
    xs, ys = TO_3006.transform([13.010, 13.018, 13.010, 13.018], [55.600, 55.610, 55.610, 55.600])
    bow_tie = shapely.Polygon(list(zip(xs, ys, strict=True)))  # self-intersecting
    line = shapely.LineString([(374000, 6163000), (374100, 6163100)])
    shp = tmp_path / "shp"
    shp.mkdir()
    write_layer(
        shp / "kvarter.shp",
        [
            shapely.to_wkb(g)
            for g in (two_parts, bow_tie, polygon_3006(13.0, 55.605, 13.004, 55.609))
        ],
        {"KOD": ["K1", "K2", ""], "NAMN": ["Kvarteret Ödla", "Fjärilen", "x"], "BEF": [120, 80, 5]},
        "EPSG:3006",
        geometry_type="MultiPolygon",
    )
    archive = tmp_path / "kvarter.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in shp.iterdir():
            z.write(part, part.name)
    job = run_import(area, "blocks", "auto", str(archive), code_field="KOD", name_field="NAMN",
                     population_field="BEF")  # fmt: skip
    assert job.status == "done", job.error
    assert counts(job) == (3, 2, 0, 1, 0)
    assert reasons(job) == ["KOD is empty"]
    assert job.notes["crs"] == "EPSG:3006"
    assert [r["row"] for r in job.notes["repaired"]] == [2]
    k1, k2 = Block.objects.get(code="K1"), Block.objects.get(code="K2")
    assert k1.name == "Kvarteret Ödla" and k1.population == 120 and len(k1.geom) == 2
    assert k2.geom.valid and len(k2.geom) == 2  # the bow tie repaired into two triangles
    area = Area.objects.get(pk=area.pk)
    assert area.boundary.covers(k1.geom) and area.boundary.covers(k2.geom)
    assert area.analysis_srid == 32633

    write(tmp_path, "line.geojson", '{"type":"FeatureCollection","features":[{"type":"Feature",'
          '"properties":{"code":"L"},"geometry":' + shapely.to_geojson(line) + "}]}")  # fmt: skip
    job = run_import(area, "blocks", "auto", str(tmp_path / "line.geojson"), srid="3006")
    assert counts(job) == (1, 0, 0, 1, 0) and "not a polygon" in reasons(job)[0]

    again = run_import(area, "blocks", "auto", str(archive), code_field="KOD")
    assert counts(again) == (3, 0, 2, 1, 0)


def test_a_set_boundary_is_kept_and_blocks_outside_it_are_reported(area, tmp_path):
    boundary = area.boundary
    far = polygon_geojson({"code": "FAR"}, [(14, 56), (14.01, 56), (14.01, 56.01), (14, 56)])
    job = run_import(area, "blocks", "auto", write(tmp_path, "far.geojson", far))
    assert counts(job) == (1, 1, 0, 0, 1)
    assert Area.objects.get(pk=area.pk).boundary.equals(boundary)


def test_lamps_with_ids_status_and_a_missing_crs_needing_srid(area, tmp_path):
    features = [
        (13.002, 55.602, {"id": "L1", "status": "broken", "height_m": 6.5, "lumen": 3000}),
        (13.012, 55.607, {"id": "L2", "status": "Working", "height_m": None, "lumen": None}),
        (13.013, 55.607, {"id": "L3", "status": "flickering"}),
        (15.000, 57.000, {"id": "L4"}),
    ]
    path = write(tmp_path, "lamps.geojson", point_geojson(features))
    job = run_import(area, "lamps", "auto", path)
    assert counts(job) == (4, 3, 0, 1, 1)
    assert "flickering" in reasons(job)[0]
    l1 = Lamp.objects.get(source_id="L1")
    assert (l1.status, l1.height_m, l1.lumen) == ("broken", 6.5, 3000)
    assert Lamp.objects.get(source_id="L2").status == "working"
    assert counts(run_import(area, "lamps", "auto", path)) == (4, 0, 3, 1, 1)

    shp = tmp_path / "noprj"
    shp.mkdir()
    x, y = TO_3006.transform(13.004, 55.604)
    write_layer(shp / "lamps.shp", [shapely.to_wkb(shapely.Point(x, y))], {"status": ["dim"]}, None)
    archive = tmp_path / "lamps.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in shp.iterdir():
            z.write(part, part.name)
    job = run_import(area, "lamps", "auto", str(archive))
    assert job.status == "failed" and job.error.startswith("srid:")
    job = run_import(area, "lamps", "auto", str(archive), srid="3006")
    assert counts(job) == (1, 1, 0, 0, 0)
    lamp = Lamp.objects.get(status="dim")
    assert lamp.source_id.startswith("sha256:") and abs(lamp.geom.x - 13.004) < 1e-6


def test_survey_results_keyed_by_block_code(area, tmp_path):
    text = (
        "block_code;period;respondents;share_unsafe\nSW;2025;40;0,25\nNE;2025;10;30%\n"
        "XX;2025;5;0.1\nSE;2025;0;0.5\nNW;2025;20;1.7\n"
    )
    job = run_import(area, "survey", "auto", write(tmp_path, "s.csv", text), delimiter=";")
    assert counts(job) == (5, 2, 0, 3, 0)
    assert reasons(job) == [
        "respondents must be at least 1",
        "the share feeling unsafe, 1.7, is not 0–1",
        "no block with code 'XX' in this area",
    ]
    assert SurveyResult.objects.get(block__code="SW").share_unsafe == 0.25
    assert SurveyResult.objects.get(block__code="NE").share_unsafe == pytest.approx(0.3)
    counted = "block_code,period,respondents,unsafe\nSE,2025-H2,50,10\n"
    job = run_import(area, "survey", "auto", write(tmp_path, "c.csv", counted))
    assert counts(job) == (1, 1, 0, 0, 0)
    assert SurveyResult.objects.get(block__code="SE").share_unsafe == 0.2


def test_survey_values_that_are_not_numbers_get_a_reason_saying_what_to_give(area, tmp_path):
    give_share = "give a share from 0 to 1, with a decimal point or comma, or a percentage with %"
    text = (
        "block_code,period,respondents,share_unsafe\n"
        "SW,2026,10,\nSE,2026,10,abc\nNE,2026,,0.5\nNW,2026,ten,0.5\nSW,2026\n"
        "SE,2026,-3,0.5\nNE,2026,2.5,0.5\nNW,2026,99999999999,0.5\nSW,2026,10,%\n"
        "SE,2026,10,25 %\n"
    )
    job = run_import(area, "survey", "auto", write(tmp_path, "s.csv", text))
    assert counts(job) == (10, 1, 0, 9, 0)
    give_respondents = "give the number of respondents, a whole number of at least 1"
    assert reasons(job) == [
        f"share_unsafe is empty: {give_share}",
        f"share_unsafe 'abc' is not a number: {give_share}",
        f"respondents is empty: {give_respondents}",
        f"respondents 'ten' is not a number: {give_respondents}",
        "the row has 2 fields, fewer than the header",
        f"respondents '-3' is negative: {give_respondents}",
        f"respondents '2.5' is not a whole number: {give_respondents}",
        f"respondents '99999999999' is too large: {give_respondents}",
        f"share_unsafe '%' is not a number: {give_share}",
    ]
    assert SurveyResult.objects.get(block__code="SE").share_unsafe == 0.25
    counted = "respondents,unsafe,block_code,period\n10,,SW,2026\n10,x,SE,2026\n10,11,NE,2026\n"
    job = run_import(area, "survey", "auto", write(tmp_path, "c.csv", counted))
    assert counts(job) == (3, 0, 0, 3, 0)
    assert reasons(job) == [
        "unsafe is empty: give the number of respondents who feel unsafe",
        "unsafe 'x' is not a number: give the number of respondents who feel unsafe",
        "unsafe 11 is more than the 10 respondents: give the number of respondents who feel unsafe",
    ]
    assert job.notes["rejected_by_reason"][2]["reason"] == (
        "unsafe … is more than the … respondents: give the number of respondents who feel unsafe"
    )


def test_a_survey_period_too_long_to_store_is_refused_not_cut(area, tmp_path):
    """Cut to the column's 20 characters, two rounds would become one period."""
    text = (
        "block_code,period,respondents,share_unsafe\n"
        "SW,resident survey 2025 spring,10,0.5\nSE,resident survey 2025 autumn,10,0.2\n"
        "NE,2025-H2,10,0.3\n"
    )
    job = run_import(area, "survey", "auto", write(tmp_path, "s.csv", text))
    assert counts(job) == (3, 1, 0, 2, 0)
    assert reasons(job) == [
        "period 'resident survey 2025 spring' is longer than 20 characters: give a short label"
        " such as 2025 or 2025-H2",
        "period 'resident survey 2025 autumn' is longer than 20 characters: give a short label"
        " such as 2025 or 2025-H2",
    ]
    assert list(SurveyResult.objects.values_list("period", flat=True)) == ["2025-H2"]


def test_lamp_and_block_numbers_that_are_not_numbers_get_a_reason(area, tmp_path):
    features = [
        (13.002, 55.602, {"id": "L1", "height_m": "tall", "lumen": 3000}),
        (13.003, 55.602, {"id": "L2", "height_m": "-2", "lumen": 3000}),
        (13.004, 55.602, {"id": "L3", "height_m": 6, "lumen": "bright"}),
        (13.005, 55.602, {"id": "L4", "height_m": 6, "lumen": "1e12"}),
        (13.006, 55.602, {"id": "L5", "height_m": "6,5", "lumen": "800"}),  # decimal comma
        (13.007, 55.602, {"id": "L6", "height_m": 6, "lumen": "1,000"}),  # 1000 or 1.0?
    ]
    job = run_import(area, "lamps", "auto", write(tmp_path, "l.geojson", point_geojson(features)))
    height = "give the lamp's height in metres (e.g. 6.5 or 6,5), or leave it empty"
    lumen = "give the lamp's luminous flux in lumens as a whole number, or leave it empty"
    assert counts(job) == (6, 1, 0, 5, 0)
    assert reasons(job) == [
        f"height_m 'tall' is not a number: {height}",
        f"height_m '-2' is negative: {height}",
        f"lumen 'bright' is not a number: {lumen}",
        f"lumen '1e12' is too large: {lumen}",
        f"lumen '1,000' is ambiguous (a thousands separator or a decimal comma?): {lumen},"
        " without a thousands separator",
    ]
    assert (Lamp.objects.get().height_m, Lamp.objects.get().lumen) == (6.5, 800)
    square = [(13.0, 55.6), (13.001, 55.6), (13.001, 55.601), (13.0, 55.601), (13.0, 55.6)]
    blocks = polygon_geojson({"code": "P1", "population": "many"}, square)
    job = run_import(area, "blocks", "auto", write(tmp_path, "b.geojson", blocks))
    assert counts(job) == (1, 0, 0, 1, 0)
    assert reasons(job) == [
        "population 'many' is not a number: "
        "give the number of residents as a whole number, or leave it empty"
    ]


def test_an_area_from_a_boundary_file_in_another_crs(tmp_path):
    path = str(tmp_path / "boundary.gpkg")
    write_layer(path, [shapely.to_wkb(polygon_3006(13.0, 55.6, 13.018, 55.61))], {"n": ["a"]},
                "EPSG:3006", geometry_type="Polygon", driver="GPKG")  # fmt: skip
    area = area_create(slug="from-file", name="From file", boundary_path=path)
    assert area.boundary.srid == 4326 and area.analysis_srid == 32633
    xmin, ymin, xmax, ymax = area.boundary.extent
    assert abs(xmin - 13.0) < 1e-3 and abs(ymax - 55.61) < 1e-3
