"""GDAL files as analysts send them: fields in any order, GeoPackages with several layers, and
generic sources whose ids are only unique within their own dataset; spreadsheet CSVs with
decimal commas and projected coordinates; dates written in UTC."""

import numpy as np
import pytest
import shapely

from layers.importers.base import ImportRefused
from layers.models import CrimeIncident, Lamp
from layers.services import import_check, import_options_parse
from tests.layers.importing import (
    POLICE_UK_HEADER,
    counts,
    csv_text,
    point_geojson,
    police_row,
    reasons,
    run_import,
    write,
    write_layer,
)

pytestmark = pytest.mark.django_db

GENERIC_MAP = "date=when,category=what,id=ref,block=blk"


def test_fields_are_read_by_name_whatever_their_order_in_the_file(area, tmp_path):
    # The file's fields come in another order than the map names them: GDAL returns them in
    # the file's order, and pairing them with the map's order put the id into the date.
    features = [
        (13.002, 55.602, {"ref": "R1", "blk": "SW", "what": "Burglary", "when": "2025-02-01"}),
        (13.015, 55.608, {"ref": "R2", "blk": "NE", "what": "Drugs", "when": "2025-02-03"}),
    ]
    path = write(tmp_path, "crime.geojson", point_geojson(features))
    job = run_import(area, "crime", "generic", path, map=GENERIC_MAP)
    assert counts(job) == (2, 2, 0, 0, 0), job.rejected_rows
    r1 = CrimeIncident.objects.get(source_id="R1")
    assert (r1.category, r1.reported_block_code, r1.month.isoformat()) == (
        "burglary",
        "SW",
        "2025-02-01",
    )

    lamps = [(13.002, 55.602, {"lumen": 3000, "height_m": 6.5, "status": "broken", "id": "L1"})]
    job = run_import(area, "lamps", "auto", write(tmp_path, "lamps.geojson", point_geojson(lamps)))
    assert counts(job) == (1, 1, 0, 0, 0), job.rejected_rows
    lamp = Lamp.objects.get(source_id="L1")
    assert (lamp.status, lamp.height_m, lamp.lumen) == ("broken", 6.5, 3000)


def _points(xy):
    return shapely.to_wkb(shapely.points(np.array(xy)))


def test_a_geopackage_with_several_layers_names_them_and_imports_the_one_chosen(area, tmp_path):
    gpkg = str(tmp_path / "export.gpkg")
    line = shapely.to_wkb(shapely.LineString([(13.0, 55.6), (13.01, 55.61)]))
    write_layer(gpkg, [line], {"note": ["a path"]}, "EPSG:4326", "LineString", "GPKG", "paths")
    fields = {
        "ref": np.array(["P1", "P2"], dtype=object),
        "what": np.array(["Robbery", "Drugs"], dtype=object),
        "when": np.array(["2025-05-01", "2025-05-02"], dtype=object),
    }
    points = _points([[13.003, 55.603], [13.016, 55.609]])
    write_layer(gpkg, points, fields, "EPSG:4326", "Point", "GPKG", "crime_points")

    options = import_options_parse(kind="crime", fmt="generic", raw={"map": GENERIC_MAP[:-10]})
    with pytest.raises(ImportRefused) as refused:
        import_check(kind="crime", fmt="generic", path=gpkg, options=options)
    assert refused.value.field == "layer"
    assert "2 layers (paths, crime_points)" in refused.value.message

    job = run_import(area, "crime", "generic", gpkg, map=GENERIC_MAP[:-10], layer="crime_points")
    assert counts(job) == (2, 2, 0, 0, 0), (job.error, job.rejected_rows)
    assert CrimeIncident.objects.get(source_id="P1").category == "robbery"

    job = run_import(area, "crime", "generic", gpkg, map=GENERIC_MAP[:-10], layer="nope")
    assert job.status == "failed" and job.error.startswith("layer:")
    assert "no layer 'nope'; it has paths, crime_points" in job.error


def test_a_named_dataset_keeps_its_ids_apart_from_another_datasets(area, tmp_path):
    north = [(13.002, 55.602, {"ref": "1", "what": "Burglary", "when": "2025-01-05"})]
    south = [(13.015, 55.608, {"ref": "1", "what": "Drugs", "when": "2025-03-07"})]
    path_n = write(tmp_path, "north.geojson", point_geojson(north))
    path_s = write(tmp_path, "south.geojson", point_geojson(south))

    def run(path, dataset):
        mapping = GENERIC_MAP[:-10]
        return run_import(area, "crime", "generic", path, map=mapping, dataset=dataset)

    assert counts(run(path_n, "skane-north")) == (1, 1, 0, 0, 0)
    assert counts(run(path_s, "skane-south")) == (1, 1, 0, 0, 0)
    # The same file under the same dataset again is a duplicate; without one, keys are as before.
    assert counts(run(path_s, "skane-south")) == (1, 0, 1, 0, 0)
    assert counts(run(path_s, "")) == (1, 1, 0, 0, 0)
    assert counts(run(path_n, "")) == (1, 0, 1, 0, 0)
    assert sorted(CrimeIncident.objects.values_list("source_dataset", flat=True)) == [
        "generic",
        "skane-north",
        "skane-south",
    ]


def test_decimal_commas_month_in_the_areas_time_zone_and_projected_coordinates(area, tmp_path):
    text = (
        "nr;x;y;datum;brott\n"
        "1;13,002;55,602;2025-12-31T23:30:00Z;Burglary\n"  # a decimal comma; 00:30 in Malmö
        "2;374121;6163596;2025-03-04;Robbery\n"  # SWEREF 99 TM without srid
    )
    path = write(tmp_path, "brott.csv", text, encoding="latin-1")
    job = run_import(
        area,
        "crime",
        "generic",
        path,
        map="id=nr,lon=x,lat=y,date=datum,category=brott",
        delimiter=";",
    )
    assert counts(job)[:4] == (2, 1, 0, 1), job.rejected_rows
    first = CrimeIncident.objects.get(source_id="1")
    assert abs(first.geom.x - 13.002) < 1e-9 and abs(first.geom.y - 55.602) < 1e-9
    assert first.month.isoformat() == "2026-01-01"
    assert first.occurred_at.isoformat() == "2025-12-31T23:30:00+00:00"
    assert "look projected (metres)" in reasons(job)[0] and "srid" in reasons(job)[0]


def test_swedish_and_danish_offence_names_map_to_categories(area, tmp_path):
    names = ["Bostadsinbrott", "MISSHANDEL", "Cykeltyveri", "Hærværk", "Snatteri", "Okänt"]
    rows = "".join(f"{i};13.002;55.602;2025-04-0{i + 1};{name}\n" for i, name in enumerate(names))
    path = write(tmp_path, "brott.csv", "nr;x;y;datum;brott\n" + rows)
    job = run_import(
        area, "crime", "generic", path, map="id=nr,lon=x,lat=y,date=datum,category=brott",
        delimiter=";",
    )  # fmt: skip
    assert counts(job)[:2] == (6, 6)
    by_id = dict(CrimeIncident.objects.values_list("source_id", "category"))
    assert [by_id[str(i)] for i in range(6)] == [
        "burglary",
        "violence_and_sexual_offences",
        "bicycle_theft",
        "criminal_damage_arson",
        "shoplifting",
        "other_crime",
    ]
    assert job.notes["unknown_categories"] == {"Okänt": 1}


def test_degrees_declared_as_a_projected_crs_are_named_as_degrees(area, tmp_path):
    # A spreadsheet of longitudes and latitudes imported with srid 3006 (SWEREF 99 TM, metres)
    # landed a few metres from SWEREF's false origin, far outside the area, without a word.
    text = (
        "nr;x;y;datum;brott\n"
        "1;13.002;55.602;2025-03-04;Robbery\n"
        "2;374121;6163596;2025-03-04;Robbery\n"
    )
    path = write(tmp_path, "brott.csv", text)
    job = run_import(
        area, "crime", "generic", path, map="id=nr,lon=x,lat=y,date=datum,category=brott",
        delimiter=";", srid="3006",
    )  # fmt: skip
    assert counts(job)[:4] == (2, 1, 0, 1), job.rejected_rows
    assert CrimeIncident.objects.get().source_id == "2"
    reason = reasons(job)[0]
    assert "look like longitude and latitude" in reason and "EPSG:3006" in reason, reason


def test_a_file_without_rows_fails_with_the_reason(area, tmp_path):
    # A header and nothing else is the wrong file, not an import of nothing that reads "done".
    path = write(tmp_path, "brott.csv", "nr;x;y;datum;brott\n")
    job = run_import(
        area, "crime", "generic", path, map="id=nr,lon=x,lat=y,date=datum,category=brott",
        delimiter=";",
    )  # fmt: skip
    assert job.status == "failed" and "no rows" in job.error, job.error
    empty = write(tmp_path, "lamps.geojson", point_geojson([]))
    job = run_import(area, "lamps", "auto", empty)
    assert job.status == "failed" and "no rows" in job.error, job.error


def test_crime_dated_in_the_future_is_refused_by_row(area, tmp_path):
    # A year typed 2031 for 2021 put thousands of incidents into a period no analysis of the
    # present covers, and an analysis of it coloured everyone's map with nothing.
    text = (
        "nr;x;y;datum;brott\n"
        "1;13.002;55.602;2031-03-04;Robbery\n"
        "2;13.002;55.602;2031-04;Robbery\n"
        "3;13.002;55.602;2025-03-04;Robbery\n"
    )
    job = run_import(
        area, "crime", "generic", write(tmp_path, "brott.csv", text),
        map="id=nr,lon=x,lat=y,date=datum,category=brott", delimiter=";",
    )  # fmt: skip
    assert counts(job)[:4] == (3, 1, 0, 2), job.rejected_rows
    assert all("in the future" in reason for reason in reasons(job))
    police = csv_text(POLICE_UK_HEADER, [police_row("f1", month="2031-04"), police_row("p1")])
    job = run_import(area, "crime", "police-uk", write(tmp_path, "street.csv", police))
    assert counts(job)[:4] == (2, 1, 0, 1) and "in the future" in reasons(job)[0]
