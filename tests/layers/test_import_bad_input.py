"""Every kind of bad input named in the import issue: refused as a whole with the field and the
reason, or rejected row by row with the row's reason; never a crash, never half an import."""

import zipfile

import pytest
from django.test import override_settings

from layers.importers.base import ImportRefused
from layers.models import CrimeIncident
from layers.services import import_check, import_options_parse
from tests.layers.importing import (
    CHICAGO_HEADER,
    POLICE_UK_HEADER,
    counts,
    csv_text,
    police_row,
    reasons,
    run_import,
    write,
)

pytestmark = pytest.mark.django_db


def refusal(kind, fmt, path, **raw) -> ImportRefused:
    with pytest.raises(ImportRefused) as caught:
        import_check(
            kind=kind, fmt=fmt, path=path, options=import_options_parse(kind=kind, fmt=fmt, raw=raw)
        )
    return caught.value


def test_a_file_of_another_preset_names_the_preset_it_resembles_and_the_missing_columns(tmp_path):
    chicago = write(tmp_path, "c.csv", CHICAGO_HEADER + "\n")
    refused = refusal("crime", "police-uk", chicago)
    assert refused.field == "format"
    assert "missing columns Crime ID, Month" in refused.message
    assert "It has every column the chicago preset needs: use format chicago." in refused.message
    # A police-uk file that lost columns resembles police-uk and says which it lacks.
    cut = write(tmp_path, "p.csv", "Crime ID,Month,Longitude,Latitude,Location\n")
    refused = refusal("crime", "police-uk", cut)
    assert "missing columns LSOA code, Crime type" in refused.message
    assert "most resembles the police-uk preset" in refused.message
    # Only what a row cannot do without: not the optional Reported by, Falls within, …
    assert refused.message.endswith("which also needs: LSOA code, Crime type.")
    # A complete file of another preset says so.
    police = write(tmp_path, "full.csv", POLICE_UK_HEADER + "\n")
    refused = refusal("crime", "chicago", police)
    assert "every column the police-uk preset needs: use format police-uk." in refused.message


def test_the_wrong_delimiter_is_named(tmp_path):
    path = write(tmp_path, "p.csv", csv_text(POLICE_UK_HEADER, [police_row("a")], delimiter=";"))
    refused = refusal("crime", "police-uk", path)
    assert refused.field == "delimiter" and "semicolons (';')" in refused.message


def test_utf8_with_a_bom_imports_and_says_so(area, tmp_path):
    text = csv_text(POLICE_UK_HEADER, [police_row("bom", kind="Burglary")])
    job = run_import(area, "crime", "police-uk", write(tmp_path, "p.csv", "\ufeff" + text))
    assert counts(job) == (1, 1, 0, 0, 0)
    assert job.notes["encoding"] == "utf-8 with BOM"


def test_latin1_swedish_and_danish_letters_are_read_correctly(area, tmp_path):
    text = "id,lon,lat,dato,kategori\n1,13.002,55.602,2025-05-01,Skadegörelse på bil\n"
    text += "2,13.003,55.603,2025-05-02,Tyveri fra butik (æ ø å)\n"
    path = write(tmp_path, "latin1.csv", text, encoding="latin-1")
    job = run_import(
        area, "crime", "generic", path, map="id=id,lon=lon,lat=lat,date=dato,category=kategori"
    )
    assert counts(job) == (2, 2, 0, 0, 0)
    assert job.notes["encoding"].startswith("latin-1")
    originals = set(CrimeIncident.objects.values_list("original_category", flat=True))
    assert originals == {"Skadegörelse på bil", "Tyveri fra butik (æ ø å)"}


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_an_empty_file_is_refused(tmp_path, content):
    refused = refusal("crime", "police-uk", write(tmp_path, "e.csv", content))
    assert refused.field == "file" and "empty" in refused.message


@override_settings(TRYGG_IMPORT_MAX_BYTES=200)
def test_a_file_over_the_size_limit_is_refused(area, tmp_path):
    rows = [police_row(f"id{i}") for i in range(5)]
    path = write(tmp_path, "big.csv", csv_text(POLICE_UK_HEADER, rows))
    refused = refusal("crime", "police-uk", path)
    assert refused.field == "file" and "the limit is 200" in refused.message
    job = run_import(area, "crime", "police-uk", path)
    assert job.status == "failed" and "limit" in job.error
    assert CrimeIncident.objects.count() == 0


def test_swapped_latitude_and_longitude_are_rejected_per_row(area, tmp_path):
    rows = [
        police_row("ok"),
        police_row("swapped", lon="55.602", lat="13.002"),  # lies in the area once swapped
        police_row("beyond", lon="55.6", lat="120.5"),  # latitude beyond ±90
    ]
    job = run_import(
        area, "crime", "police-uk", write(tmp_path, "p.csv", csv_text(POLICE_UK_HEADER, rows))
    )
    assert counts(job) == (3, 1, 0, 2, 0)
    assert [r["row"] for r in job.rejected_rows] == [3, 4]
    assert all("look swapped" in reason for reason in reasons(job))


def test_coordinates_at_0_0_and_missing_locations_are_rejected(area, tmp_path):
    rows = [police_row("zero", lon="0", lat="0.0"), police_row("none", lon="", lat=""),
            police_row("text", lon="east", lat="55")]  # fmt: skip
    job = run_import(
        area, "crime", "police-uk", write(tmp_path, "p.csv", csv_text(POLICE_UK_HEADER, rows))
    )
    assert counts(job) == (3, 0, 0, 3, 0)
    assert "0,0" in reasons(job)[0]
    assert "no location" in reasons(job)[1]
    assert "not numbers" in reasons(job)[2]


def test_unparseable_dates_are_rejected_per_row(area, tmp_path):
    rows = [police_row("a", month="2025-13"), police_row("b", month="Aug 2025"), police_row("c")]
    job = run_import(
        area, "crime", "police-uk", write(tmp_path, "p.csv", csv_text(POLICE_UK_HEADER, rows))
    )
    assert counts(job) == (3, 1, 0, 2, 0)
    assert reasons(job) == [
        "Month '2025-13' is not a month written YYYY-MM",
        "Month 'Aug 2025' is not a month written YYYY-MM",
    ]
    text = "lon,lat,when,what\n13.002,55.602,31/02/2025,Drugs\n13.002,55.602,1850-01-01,Drugs\n"
    job = run_import(
        area,
        "crime",
        "generic",
        write(tmp_path, "g.csv", text),
        map="lon=lon,lat=lat,date=when,category=what",
    )
    assert counts(job) == (2, 0, 0, 2, 0)
    assert "not ISO 8601" in reasons(job)[0] and "1900–2100" in reasons(job)[1]


def test_rows_with_too_few_fields_are_rejected_and_reasons_are_capped_at_1000(area, tmp_path):
    text = POLICE_UK_HEADER + "\n" + "x,2025-01\n" * 1005
    job = run_import(area, "crime", "police-uk", write(tmp_path, "p.csv", text))
    assert counts(job) == (1005, 0, 0, 1005, 0)
    assert len(job.rejected_rows) == 1000
    assert job.rejected_rows[0] == {
        "row": 2,
        "reason": "the row has 2 fields, fewer than the header",
    }


def test_rejections_are_also_counted_by_kind_of_reason(area, tmp_path):
    rows = [police_row(f"c{i}", month=f"2025-{13 + i % 3}") for i in range(30)]
    rows += [police_row(f"d{i}", lon="0", lat="0") for i in range(5)]
    text = csv_text(POLICE_UK_HEADER, rows) + "x,2025-01\n"
    job = run_import(area, "crime", "police-uk", write(tmp_path, "p.csv", text))
    assert job.rejected == 36
    kinds = job.notes["rejected_by_reason"]
    assert [k["rows"] for k in kinds] == [30, 5, 1]
    assert kinds[0]["reason"].startswith("Month … is not")
    assert kinds[2]["reason"] == "the row has … fields, fewer than the header"


def test_kinds_of_reason_hide_the_rows_values_and_keep_the_fixed_wording(area, tmp_path):
    survey = (
        "block_code,period,respondents,share_unsafe\n"
        "A,2026,0,0.5\nB,2026,0,0.2\nC,2026,10,1.7\nD,2026,10,250%\n"
    )
    job = run_import(area, "survey", "auto", write(tmp_path, "s.csv", survey))
    assert job.notes["rejected_by_reason"] == [
        {"reason": "respondents must be at least 1", "rows": 2},
        {"reason": "the share feeling unsafe, …, is not 0–1", "rows": 2},
    ]
    assert reasons(job)[2:] == [
        "the share feeling unsafe, 1.7, is not 0–1",
        "the share feeling unsafe, 2.5, is not 0–1",
    ]
    degrees = "x,y,d,c\n13.002,55.602,2025-03-04,Drugs\n13.1,55.7,2025-03-05,Drugs\n"
    job = run_import(
        area, "crime", "generic", write(tmp_path, "g.csv", degrees),
        map="lon=x,lat=y,date=d,category=c", srid="3006",
    )  # fmt: skip
    assert job.notes["rejected_by_reason"] == [
        {
            "reason": "coordinates …, … look like longitude and latitude (degrees), not "
            "EPSG:3006, whose units are not degrees: leave srid out for WGS 84",
            "rows": 2,
        }
    ]
    assert reasons(job)[0].startswith("coordinates 13.002, 55.602 look like")


def test_a_zip_that_is_not_a_shapefile_is_refused(tmp_path):
    archive = tmp_path / "notes.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "hello")
        z.writestr("points.csv", "a,b\n1,2\n")
    refused = refusal("blocks", "auto", str(archive))
    assert refused.field == "file"
    assert "no Shapefile" in refused.message and "points.csv, readme.txt" in refused.message
    broken = write(tmp_path, "broken.zip", b"PK\x03\x04 not really a zip")
    assert "not a readable zip" in refusal("blocks", "auto", broken).message
    lacking = tmp_path / "lacking.zip"
    with zipfile.ZipFile(lacking, "w") as z:
        z.writestr("a.shp", b"x")
        z.writestr("a.shx", b"x")
    assert "lacks its .dbf" in refusal("blocks", "auto", str(lacking)).message


@pytest.mark.parametrize(
    "name, content",
    [("blocks.gpkg", b"\x00not a geopackage" * 40), ("lamps.geojson", b'{"type": "Feature')],
)
def test_an_unreadable_geofile_is_refused_without_the_servers_path(tmp_path, name, content):
    """GDAL names the file by its path: the stored upload's, on the server."""
    stored = write(tmp_path, name, content)
    refused = refusal("blocks", "auto", stored)
    assert refused.field == "file"
    assert "GDAL cannot read the file" in refused.message or "not GeoJSON" in refused.message
    assert str(tmp_path) not in refused.message and "upload" not in refused.message


VRT = (
    '<OGRVRTDataSource><OGRVRTLayer name="p"><SrcDataSource>CSV:/etc/passwd</SrcDataSource>'
    "<SrcLayer>passwd</SrcLayer></OGRVRTLayer></OGRVRTDataSource>"
)


@pytest.mark.parametrize("kind", ["blocks", "lamps"])
def test_a_file_that_makes_gdal_open_other_files_is_refused_before_it_is_read(tmp_path, kind):
    # A GDAL virtual file uploaded as GeoJSON read the server's /etc/passwd into the error
    # message (and could make the server fetch any address): GDAL goes by content, not name.
    refused = refusal(kind, "auto", write(tmp_path, "lamps.geojson", VRT))
    assert refused.field == "file" and "not GeoJSON" in refused.message
    assert "root" not in refused.message
    refused = refusal(kind, "auto", write(tmp_path, "lamps.gpkg", "  \n" + VRT))
    assert "root" not in refused.message
    crime = write(tmp_path, "crime.geojson", VRT)
    refused = refusal("crime", "generic", crime, map="date=d,category=c")
    assert "not GeoJSON" in refused.message and "root" not in refused.message


def test_a_zip_bomb_is_refused_before_it_is_expanded(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("blocks.shp", "w") as member:
            zeros = bytes(1 << 20)
            for _ in range(20):
                member.write(zeros)
        z.writestr("blocks.shx", b"x")
        z.writestr("blocks.dbf", b"x")
    assert bomb.stat().st_size < 100_000
    refused = refusal("blocks", "auto", str(bomb))
    assert refused.field == "file" and "zip bomb" in refused.message
    with override_settings(TRYGG_IMPORT_MAX_BYTES=150_000):
        refused = refusal("blocks", "auto", str(bomb))
    assert "would expand to 20,971,522 bytes" in refused.message


def test_options_are_checked_and_named(tmp_path):
    with pytest.raises(ImportRefused) as caught:
        import_options_parse(kind="crime", fmt="generic", raw={"map": "lon"})
    assert caught.value.field == "map"
    with pytest.raises(ImportRefused) as caught:
        import_options_parse(kind="crime", fmt="generic", raw={"srid": "utm"})
    assert caught.value.field == "srid"
    with pytest.raises(ImportRefused) as caught:
        import_options_parse(kind="crime", fmt="excel", raw={})
    assert caught.value.field == "format"
    path = write(tmp_path, "g.csv", "x,y,d,c\n")
    refused = refusal("crime", "generic", path, map="lon=x,lat=y,date=d,category=c", srid="999999")
    assert refused.field == "srid" and "EPSG:999999" in refused.message
    refused = refusal("crime", "generic", path, map="lon=x,lat=y,date=when,category=c")
    assert refused.field == "map" and "when" in refused.message


def test_a_quote_left_open_refuses_the_file_with_its_line(area, tmp_path):
    # The csv module's field limit ended the job as "The import failed unexpectedly: Error".
    text = 'nr;x;y;datum;brott\n1;13.002;55.602;2025-03-04;"Robbery\n' + "x" * 200_000 + "\n"
    path = write(tmp_path, "brott.csv", text)
    job = run_import(
        area, "crime", "generic", path, map="id=nr,lon=x,lat=y,date=datum,category=brott",
        delimiter=";",
    )  # fmt: skip
    assert job.status == "failed" and "Line" in job.error and "quotation mark" in job.error
    assert CrimeIncident.objects.count() == 0
