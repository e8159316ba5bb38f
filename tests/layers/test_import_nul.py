"""A NUL character (a zero byte) in a field to be stored as text, which PostgreSQL refuses:
the row is rejected with its reason and the rest of the file imported, instead of the whole
import failing (or, for police-uk files, waiting forever on its COPY)."""

from datetime import date

import psycopg
import pytest

from geo.models import Block
from layers.importers.crimeload import CrimeWriter, rows_to_batch
from layers.models import CrimeIncident, SurveyResult
from tests.layers.importing import (
    CHICAGO_HEADER,
    POLICE_UK_HEADER,
    chicago_row,
    counts,
    csv_text,
    point_geojson,
    police_row,
    polygon_geojson,
    reasons,
    run_import,
    write,
)

pytestmark = pytest.mark.django_db
NOT_STORABLE = "contains a NUL character (a zero byte), which cannot be stored as text"


@pytest.mark.parametrize("latin1", [False, True], ids=["column-wise", "row-by-row"])
def test_police_uk_rows_with_a_nul_are_rejected_and_the_rest_imported(area, tmp_path, latin1):
    rows = [
        police_row("a\x00b"),
        police_row("c1", kind="Stöld\x00"),  # an unknown type: not counted, as not stored
        police_row("c2", lsoa="S\x00W"),
        police_row("c3", location="On or near \x00"),  # not stored: imported
        police_row("c4", kind="Stöld"),
    ]
    text = csv_text(POLICE_UK_HEADER, rows)
    # A Latin-1 file is checked row by row (pyarrow reads UTF-8 only): both paths agree.
    job = run_import(
        area, "crime", "police-uk", write(tmp_path, "c.csv", text, "latin-1" if latin1 else "utf-8")
    )
    assert job.status == "done", job.error
    assert counts(job) == (5, 2, 0, 3, 0)
    assert reasons(job) == [
        f"Crime ID {NOT_STORABLE}",
        f"Crime type {NOT_STORABLE}",
        f"LSOA code {NOT_STORABLE}",
    ]
    assert job.notes["unknown_categories"] == {"Stöld": 1}
    assert set(CrimeIncident.objects.values_list("source_id", flat=True)) == {"c3", "c4"}


def test_chicago_rows_with_a_nul_are_rejected_and_the_rest_imported(area, tmp_path):
    moment = "08/01/2021 11:30:00 PM"
    rows = [
        chicago_row("1\x00", moment, "THEFT", "RETAIL THEFT"),
        chicago_row("2", moment, "THE\x00FT", "RETAIL THEFT"),
        chicago_row("3", moment, "THEFT", "RETAIL\x00THEFT"),
        chicago_row("4", moment, "THEFT", "RETAIL THEFT"),
    ]
    job = run_import(
        area, "crime", "chicago", write(tmp_path, "c.csv", csv_text(CHICAGO_HEADER, rows))
    )
    assert counts(job) == (4, 1, 0, 3, 0)
    assert reasons(job) == [
        f"ID {NOT_STORABLE}",
        f"Primary Type {NOT_STORABLE}",
        f"Description {NOT_STORABLE}",
    ]
    assert CrimeIncident.objects.get().source_id == "4"


def test_generic_rows_with_a_nul_are_rejected_and_the_rest_imported(area, tmp_path):
    rows = [
        ["1", "13.002", "55.602", "2025-01-02", "Rån\x00", "SW"],
        ["2\x00", "13.002", "55.602", "2025-01-02", "Okänt", "SW"],  # unknown: not counted
        ["3", "13.002", "55.602", "2025-01-02", "Rån", "S\x00W"],
        ["4", "13.002", "55.602", "2025-01-02", "Okänt", "SW"],
    ]
    job = run_import(
        area, "crime", "generic", write(tmp_path, "c.csv", csv_text("nr,x,y,datum,brott,kv", rows)),
        map="id=nr,lon=x,lat=y,date=datum,category=brott,block=kv",
    )  # fmt: skip
    assert counts(job) == (4, 1, 0, 3, 0)
    assert reasons(job) == [
        f"the category {NOT_STORABLE}",
        f"the id {NOT_STORABLE}",
        f"the block {NOT_STORABLE}",
    ]
    assert job.notes["unknown_categories"] == {"Okänt": 1}
    assert CrimeIncident.objects.get().source_id == "4"


def test_survey_rows_with_a_nul_are_rejected_and_the_rest_imported(area, tmp_path):
    text = (
        "block_code,period,respondents,share_unsafe\n"
        "S\x00W,2025,40,0.25\nSE,2025\x00,40,0.25\nNE,2025,4\x000,0.25\nNW,2025,40,0.5\n"
    )
    job = run_import(area, "survey", "auto", write(tmp_path, "s.csv", text))
    assert counts(job) == (4, 1, 0, 3, 0)
    assert reasons(job) == [
        f"block_code {NOT_STORABLE}",
        f"period {NOT_STORABLE}",
        "respondents '4\\x000' is not a number: give the number of respondents, a whole number"
        " of at least 1",
    ]
    assert SurveyResult.objects.get().block.code == "NW"


def test_a_refusal_quoting_a_header_with_a_nul_fails_the_job_with_its_reason(area, tmp_path):
    text = "nr,x,y,da\x00tum,brott\n1,13.002,55.602,2025-01-02,Rån\n"
    job = run_import(
        area, "crime", "generic", write(tmp_path, "c.csv", text),
        map="id=nr,lon=x,lat=y,date=datum,category=brott",
    )  # fmt: skip
    assert job.status == "failed"
    assert job.error == (
        "map: The mapped columns datum are not in the file; its columns are nr, x, y,"
        " da\\x00tum, brott."
    )


def test_gdal_ends_a_text_field_at_a_nul_so_blocks_and_lamps_import(area, tmp_path):
    """GDAL reads a field's text up to its first NUL (GeoJSON, GeoPackage and Shapefile alike):
    no NUL reaches the importer from a layer, and the text after it is lost."""
    square = [(13.0, 55.6), (13.001, 55.6), (13.001, 55.601), (13.0, 55.601), (13.0, 55.6)]
    blocks = polygon_geojson({"code": "P1\x00x", "name": "Ödla\x00n"}, square)
    job = run_import(area, "blocks", "auto", write(tmp_path, "b.geojson", blocks))
    assert counts(job) == (1, 1, 0, 0, 0)
    assert Block.objects.filter(code="P1", name="Ödla").exists()
    lamps = point_geojson([(13.002, 55.602, {"id": "L1\x00x", "status": "broken\x00"})])
    job = run_import(area, "lamps", "auto", write(tmp_path, "l.geojson", lamps))
    assert counts(job) == (1, 1, 0, 0, 0)
    assert area.lamps.get().source_id == "L1"


def test_a_streamed_copy_the_server_refuses_at_its_end_fails_instead_of_waiting(area):
    """The server reports a refused row as the COPY ends, after the writer thread has taken
    the end mark: the import fails with the server's error (it waited forever)."""
    row = (2, "k", "a\x00b", 13.002, 55.602, 4326, None, date(2025, 1, 1), "burglary", "B", "")
    with CrimeWriter(area=area, dataset="t", precision="exact", streaming=True) as writer:
        writer.add(rows_to_batch([row]))
        with pytest.raises(psycopg.DataError):
            writer.finish()
