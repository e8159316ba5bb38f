"""Crime imports through each preset and format: rows land where and as they should."""

import zipfile
from datetime import date

import pytest
from django.contrib.gis.geos import Point

from geo.models import DataVersion
from layers.importers.base import STRICT_REFUSED
from layers.models import CrimeIncident, source_key_of
from tests.layers.importing import (
    CHICAGO_HEADER,
    POLICE_UK_HEADER,
    chicago_row,
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


def test_police_uk_rows_are_imported_with_month_category_and_reported_block(area, tmp_path):
    rows = [
        police_row("a" * 64, kind="Burglary", lsoa="SW"),
        police_row("", kind="Anti-social behaviour", lon="13.015", lat="55.608", lsoa="NE"),
    ]
    job = run_import(
        area, "crime", "police-uk", write(tmp_path, "p.csv", csv_text(POLICE_UK_HEADER, rows))
    )
    assert job.status == "done", job.error
    assert counts(job) == (2, 2, 0, 0, 0)
    burglary = CrimeIncident.objects.get(category="burglary")
    assert burglary.month == date(2025, 1, 1) and burglary.occurred_at is None
    assert burglary.source_key == source_key_of("police-uk:" + "a" * 64)
    assert burglary.precision == "snapped" and burglary.reported_block_code == "SW"
    assert burglary.geom.equals_exact(Point(13.002, 55.602, srid=4326), 1e-9)
    asb = CrimeIncident.objects.get(category="anti_social_behaviour")
    assert asb.source_id == "" and asb.source_key != source_key_of("police-uk:")


def test_importing_the_same_file_twice_adds_nothing_and_keeps_identical_asb_rows(area, tmp_path):
    same = police_row("", kind="Anti-social behaviour")
    rows = [same, same, police_row("x1"), police_row("x1")]
    path = write(tmp_path, "p.csv", csv_text(POLICE_UK_HEADER, rows))
    first = run_import(area, "crime", "police-uk", path)
    # Two identical ASB lines are two incidents; a repeated Crime ID is one.
    assert counts(first) == (4, 3, 1, 0, 0)
    second = run_import(area, "crime", "police-uk", path)
    assert counts(second) == (4, 0, 4, 0, 0)
    assert CrimeIncident.objects.count() == 3


def test_points_outside_the_area_are_stored_and_counted(area, tmp_path):
    rows = [police_row("in"), police_row("out", lon="14.5", lat="56.2")]
    job = run_import(
        area, "crime", "police-uk", write(tmp_path, "p.csv", csv_text(POLICE_UK_HEADER, rows))
    )
    assert counts(job) == (2, 2, 0, 0, 1)
    assert CrimeIncident.objects.filter(source_id="out").exists()


def test_strict_imports_nothing_when_a_row_is_rejected(area, tmp_path):
    rows = [police_row("good"), police_row("bad", month="August")]
    path = write(tmp_path, "p.csv", csv_text(POLICE_UK_HEADER, rows))
    job = run_import(area, "crime", "police-uk", path, strict=True)
    assert job.status == "failed" and "strict" in job.error
    # read = imported + duplicates + rejected holds: the good row is rejected with the file.
    assert counts(job) == (2, 0, 0, 2, 0)
    assert [r["row"] for r in job.rejected_rows] == [3]  # only the row at fault is listed
    assert job.notes["rejected_by_reason"] == [
        {"reason": "Month … is not a month written YYYY-MM", "rows": 1},
        {"reason": STRICT_REFUSED, "rows": 1},
    ]
    assert job.error == (
        "strict: 1 rows rejected, so nothing was imported (all 2 rows read count as rejected)."
    )
    assert CrimeIncident.objects.count() == 0
    lenient = run_import(area, "crime", "police-uk", path)
    assert counts(lenient) == (2, 1, 0, 1, 0)


def test_an_import_bumps_the_crime_data_version(area, tmp_path):
    path = write(tmp_path, "p.csv", csv_text(POLICE_UK_HEADER, [police_row("v1")]))
    run_import(area, "crime", "police-uk", path)
    assert DataVersion.objects.get(area=area, layer="crime").version == 2
    run_import(area, "crime", "police-uk", path)  # nothing new: the version stays
    assert DataVersion.objects.get(area=area, layer="crime").version == 2


def test_chicago_dates_categories_and_state_plane_coordinates(tmp_path):
    from tests.factories import make_area, square

    chicago = make_area("chicago", boundary=square(-87.70, 41.85, -87.60, 41.90), blocks=False)
    rows = [
        chicago_row("1", "08/01/2021 11:30:00 PM", "THEFT", "RETAIL THEFT", "41.88", "-87.65"),
        chicago_row("2", "08/02/2021 01:00:00 AM", "BATTERY", "SIMPLE", "", "", "1168000",
                    "1900000"),
        chicago_row("3", "2021-08-02", "BATTERY", "SIMPLE", "41.88", "-87.65"),
    ]  # fmt: skip
    job = run_import(
        chicago, "crime", "chicago", write(tmp_path, "c.csv", csv_text(CHICAGO_HEADER, rows))
    )
    assert counts(job)[:4] == (3, 2, 0, 1)
    assert "Date '2021-08-02' is not MM/DD/YYYY" in reasons(job)[0]
    theft = CrimeIncident.objects.get(source_id="1")
    assert theft.category == "shoplifting" and theft.original_category == "THEFT / RETAIL THEFT"
    assert theft.occurred_at.isoformat() == "2021-08-02T04:30:00+00:00"  # 11:30 PM CDT
    assert theft.precision == "block" and theft.source_key == source_key_of("chicago:1")
    battery = CrimeIncident.objects.get(source_id="2")
    assert battery.category == "violence_and_sexual_offences"
    # X/Y in Illinois East feet → near (-87.656, 41.881), Chicago's Loop.
    assert abs(battery.geom.x + 87.656) < 0.01 and abs(battery.geom.y - 41.881) < 0.01


def test_generic_csv_with_a_column_map_and_a_declared_srid(area, tmp_path):
    # SWEREF 99 TM (EPSG:3006) coordinates of a point in the SW block.
    text = "nr;x;y;datum;brott\n7;374121;6163596;2025-03-04T22:15:00;Klotterplank\n"
    text += "8;374121;6163596;2025-03;vandalism\n9;374121;6163596;2025-03-05;Robbery\n"
    job = run_import(
        area, "crime", "generic", write(tmp_path, "g.csv", text),
        map="lon=x,lat=y,date=datum,category=brott,id=nr", srid="3006", delimiter=";",
    )  # fmt: skip
    assert counts(job) == (3, 3, 0, 0, 0), job.rejected_rows
    first = CrimeIncident.objects.get(source_id="7")
    assert first.category == "other_crime" and first.original_category == "Klotterplank"
    assert first.occurred_at.isoformat() == "2025-03-04T21:15:00+00:00"  # Stockholm time
    assert CrimeIncident.objects.get(source_id="9").category == "robbery"
    assert job.notes["unknown_categories"] == {"Klotterplank": 1, "vandalism": 1}
    assert area.blocks.get(code="SW").geom.contains(first.geom)


def test_generic_geojson_geopackage_and_zipped_shapefile_point_layers(area, tmp_path):
    import shapely

    features = [(13.002, 55.602, {"when": "2025-02-01", "what": "Burglary", "ref": "A"}),
                (13.015, 55.608, {"when": "2025-02-03", "what": "Drugs", "ref": "B"})]  # fmt: skip
    geojson = write(tmp_path, "points.geojson", point_geojson(features))
    job = run_import(area, "crime", "generic", geojson, map="date=when,category=what,id=ref")
    assert counts(job) == (2, 2, 0, 0, 0), (job.error, job.rejected_rows)

    # The same points in EPSG:3006 as a GeoPackage and as a zipped Shapefile.
    import numpy as np
    from pyproj import Transformer

    to_3006 = Transformer.from_crs(4326, 3006, always_xy=True)
    xs, ys = to_3006.transform([13.003, 13.016], [55.603, 55.609])
    wkb = shapely.to_wkb(shapely.points(np.column_stack([xs, ys])))
    fields = {"when": np.array(["2025-04-01", "2025-04-02"], dtype=object),
              "what": np.array(["Robbery", "Shoplifting"], dtype=object),
              "ref": np.array(["C", "D"], dtype=object)}  # fmt: skip
    gpkg = str(tmp_path / "points.gpkg")
    write_layer(gpkg, wkb, fields, "EPSG:3006", driver="GPKG")
    job = run_import(area, "crime", "generic", gpkg, map="date=when,category=what,id=ref")
    assert counts(job) == (2, 2, 0, 0, 0), (job.error, job.rejected_rows)
    assert job.notes["crs"] == "EPSG:3006"
    robbery = CrimeIncident.objects.get(source_id="C")
    assert abs(robbery.geom.x - 13.003) < 1e-6 and abs(robbery.geom.y - 55.603) < 1e-6

    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    write_layer(shp_dir / "pts.shp", wkb, fields, "EPSG:3006")
    zipped = tmp_path / "pts.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for part in shp_dir.iterdir():
            archive.write(part, f"export/{part.name}")
    job = run_import(area, "crime", "generic", str(zipped), map="date=when,category=what,id=ref")
    # Same ids as the GeoPackage: nothing new.
    assert counts(job) == (2, 0, 2, 0, 0), (job.error, job.rejected_rows)
