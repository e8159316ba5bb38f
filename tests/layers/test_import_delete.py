"""Undoing a crime import: every row records the import that stored it, analysts delete an
import with exactly its rows (DELETE /api/imports/{id}/, the data page), and an import all of
whose rows lie outside the area says so."""

import re

import numpy as np
import pytest
import shapely
from django.db import connection

from geo.models import AuditEntry, DataVersion, Role
from layers.jobs import LOCK_SPACE
from layers.models import CrimeIncident, ImportJob, RunStatus
from layers.partitions import partition_name, side_connection
from tests.factories import make_area, make_member
from tests.layers.export_helpers import geojson_of
from tests.layers.importing import (
    POLICE_UK_HEADER,
    counts,
    csv_text,
    point_geojson,
    police_row,
    run_import,
    write,
    write_layer,
)
from tests.tiles.data import WHOLE_AREA, features

pytestmark = pytest.mark.django_db

PAGE = "/areas/testarea/data/"
TILE = "/tiles/testarea/crime/" + "/".join(map(str, WHOLE_AREA)) + ".mvt"
OUTSIDE = {"lon": "14.9", "lat": "56.9"}  # far from the test area (13.00–13.02, 55.60–55.61)


def police(tmp_path, name, ids, **where):
    rows = [police_row(crime_id, **where) for crime_id in ids]
    return write(tmp_path, name, csv_text(POLICE_UK_HEADER, rows))


def jobs_of_rows(area) -> dict[str, int | None]:
    return dict(CrimeIncident.objects.filter(area=area).values_list("source_id", "import_job_id"))


def tile_count(response) -> int:
    return sum(f["properties"]["count"] for f in features(response, "crime"))


# Each import path records its job.


def test_a_first_load_and_a_later_import_record_their_jobs(area, tmp_path):
    first = run_import(area, "crime", "police-uk", police(tmp_path, "a.csv", ["r1", "r2"]))
    assert first.notes["load"].startswith("first load")
    later = run_import(area, "crime", "police-uk", police(tmp_path, "b.csv", ["r2", "r3"]))
    assert later.notes["load"] == "insert into the populated area"
    assert counts(later) == (2, 1, 1, 0, 0)
    # r2 was stored by the first import and stays the first import's.
    assert jobs_of_rows(area) == {"r1": first.pk, "r2": first.pk, "r3": later.pk}
    # The partition a first load built carries the index the crime table has on the job.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            [partition_name(area.pk), "%(import_job_id)%"],
        )
        assert cursor.fetchone()[0] == 1


def test_anti_social_behaviour_rows_without_an_id_record_their_job(area, tmp_path):
    path = police(tmp_path, "asb.csv", ["", ""])  # two identical lines: two incidents
    job = run_import(area, "crime", "police-uk", path)
    assert counts(job) == (2, 2, 0, 0, 0)
    assert set(CrimeIncident.objects.values_list("import_job_id", flat=True)) == {job.pk}


def test_a_generic_csv_records_its_job(area, tmp_path):
    text = (
        "ref,x,y,when,what\nA,13.002,55.602,2025-02-01,Burglary\nB,13.015,55.608,2025-02-03,Drugs\n"
    )
    path = write(tmp_path, "g.csv", text)
    job = run_import(
        area, "crime", "generic", path, map="lon=x,lat=y,date=when,category=what,id=ref"
    )
    assert counts(job) == (2, 2, 0, 0, 0), job.rejected_rows
    assert jobs_of_rows(area) == {"A": job.pk, "B": job.pk}


def test_gdal_layers_record_their_jobs(area, tmp_path):
    geojson = write(
        tmp_path,
        "p.geojson",
        point_geojson([(13.002, 55.602, {"when": "2025-02-01", "what": "Burglary", "ref": "A"})]),
    )
    first = run_import(area, "crime", "generic", geojson, map="date=when,category=what,id=ref")
    gpkg = str(tmp_path / "p.gpkg")
    wkb = shapely.to_wkb(shapely.points(np.array([[13.003, 55.603], [13.016, 55.609]])))
    fields = {
        "when": np.array(["2025-04-01", "2025-04-02"], dtype=object),
        "what": np.array(["Robbery", "Shoplifting"], dtype=object),
        "ref": np.array(["A", "D"], dtype=object),
    }
    write_layer(gpkg, wkb, fields, "EPSG:4326", driver="GPKG")
    later = run_import(area, "crime", "generic", gpkg, map="date=when,category=what,id=ref")
    assert counts(later) == (2, 1, 1, 0, 0), later.rejected_rows
    assert jobs_of_rows(area) == {"A": first.pk, "D": later.pk}


def test_rows_stored_otherwise_have_no_job(area):
    from tests.layers.exports_data import crime

    crime(area, 13.002, 55.602, "manual:1")
    assert list(CrimeIncident.objects.values_list("import_job_id", flat=True)) == [None]


# Deleting an import.


@pytest.fixture
def analyst_user(member):
    return member(Role.ANALYST)


@pytest.fixture
def analyst(client_for, analyst_user):
    return client_for(analyst_user)


def test_deleting_an_import_takes_exactly_its_rows(area, analyst, analyst_user, tmp_path):
    first = run_import(area, "crime", "police-uk", police(tmp_path, "a.csv", ["r1", "r2"]))
    wrong = run_import(area, "crime", "police-uk", police(tmp_path, "b.csv", ["r2", "r3", "r4"]))
    assert counts(wrong) == (3, 2, 1, 0, 0)
    other = make_area("other")
    elsewhere = run_import(other, "crime", "police-uk", police(tmp_path, "c.csv", ["r3"]))
    version = DataVersion.objects.get(area=area, layer="crime").version

    response = analyst.delete(f"/api/imports/{wrong.pk}/")

    assert response.status_code == 204, response.content
    assert jobs_of_rows(area) == {"r1": first.pk, "r2": first.pk}  # r2 stays the first's
    assert jobs_of_rows(other) == {"r3": elsewhere.pk}
    assert DataVersion.objects.get(area=area, layer="crime").version == version + 1
    entry = AuditEntry.objects.get(action="import.delete")
    assert entry.area == area and entry.user == analyst_user
    assert entry.detail == {"import": wrong.pk, "file_name": "f", "rows_deleted": 2}
    report = analyst.get(f"/api/imports/{wrong.pk}/").json()
    assert report["deleted_rows"] == 2 and report["deleted_at"]
    assert report["deletable"] is False
    assert report["counts"] == "read: 3, imported: 2, duplicates: 1, rejected: 0, outside: 0"
    again = analyst.delete(f"/api/imports/{wrong.pk}/")
    assert again.status_code == 409 and "deleted already" in again.json()["status"][0]
    assert AuditEntry.objects.filter(action="import.delete").count() == 1
    # The right file can be imported again afterwards.
    fixed = run_import(area, "crime", "police-uk", police(tmp_path, "d.csv", ["r3"]))
    assert counts(fixed) == (1, 1, 0, 0, 0)


def test_the_map_and_the_exports_show_the_deletion_at_once(area, analyst, tmp_path):
    run_import(area, "crime", "police-uk", police(tmp_path, "a.csv", ["r1"]))
    wrong = run_import(area, "crime", "police-uk", police(tmp_path, "b.csv", ["r2", "r3"]))
    before = analyst.get(TILE)
    assert tile_count(before) == 3
    etag = before["ETag"]
    assert analyst.get(TILE, HTTP_IF_NONE_MATCH=etag).status_code == 304
    export = analyst.get("/api/areas/testarea/export/crime.geojson")
    assert len(geojson_of(export)["features"]) == 3

    assert analyst.delete(f"/api/imports/{wrong.pk}/").status_code == 204

    after = analyst.get(TILE, HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200 and after["ETag"] != etag
    assert tile_count(after) == 1
    export = analyst.get("/api/areas/testarea/export/crime.geojson")
    assert len(geojson_of(export)["features"]) == 1


@pytest.mark.parametrize("role", ["participant", "planner", "coordinator"])
def test_only_the_areas_analysts_delete_imports(area, client_for, member, tmp_path, role):
    job = run_import(area, "crime", "police-uk", police(tmp_path, "a.csv", ["r1"]))
    assert client_for(member(role)).delete(f"/api/imports/{job.pk}/").status_code == 403
    outsider = make_member(make_area("other"), Role.ANALYST)
    assert client_for(outsider).delete(f"/api/imports/{job.pk}/").status_code == 404
    assert client_for(None).delete(f"/api/imports/{job.pk}/").status_code == 401
    assert jobs_of_rows(area) == {"r1": job.pk}
    assert not AuditEntry.objects.filter(action="import.delete").exists()


@pytest.mark.parametrize("state", ["queued", "running"])
def test_an_import_under_way_is_not_deleted(area, analyst, state):
    job = ImportJob.objects.create(area=area, kind="crime", format="police-uk", status=state)
    # Its worker holds the job's lock on a session of its own, as import_job_run does.
    with side_connection() as worker:
        worker.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_SPACE[ImportJob], job.pk])
        response = analyst.delete(f"/api/imports/{job.pk}/")
    assert response.status_code == 409
    assert "still running" in response.json()["status"][0]
    assert ImportJob.objects.get(pk=job.pk).deleted_at is None


@pytest.mark.parametrize(
    "fields, why",
    [
        ({"kind": "lamps", "format": "geojson", "status": "done"}, "Only crime imports"),
        ({"kind": "crime", "format": "police-uk", "status": "failed"}, "stored nothing"),
        (
            {"kind": "crime", "format": "police-uk", "status": "done", "rows_recorded": False},
            "before imports were recorded",
        ),
    ],
)
def test_what_cannot_be_deleted_says_why(area, analyst, fields, why):
    job = ImportJob.objects.create(area=area, **fields)
    assert job.deletable is False
    response = analyst.delete(f"/api/imports/{job.pk}/")
    assert response.status_code == 409
    assert why in next(iter(response.json().values()))[0]
    assert ImportJob.objects.get(pk=job.pk).deleted_at is None


# On the data page.


@pytest.fixture
def page_analyst(client, member, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    user = member("analyst")
    client.force_login(user)
    return client


def test_the_data_page_deletes_a_crime_import(area, page_analyst, tmp_path):
    kept = run_import(area, "crime", "police-uk", police(tmp_path, "a.csv", ["r1"]))
    wrong = run_import(area, "crime", "police-uk", police(tmp_path, "b.csv", ["r2", "r3"]))
    lamps = ImportJob.objects.create(area=area, kind="lamps", format="geojson", status="done")
    page = page_analyst.get(PAGE).content.decode()
    forms = re.findall(r'<form method="post" class="delete-import"[^>]*>.*?</form>', page)
    assert len(forms) == 2  # the two crime imports; not the lamps
    assert f'name="job" value="{lamps.pk}"' not in page
    assert "Delete the import of f with the 2 rows it stored?" in page

    response = page_analyst.post(PAGE, {"action": "delete_import", "job": wrong.pk})

    assert response.status_code == 302 and response["Location"] == PAGE
    assert jobs_of_rows(area) == {"r1": kept.pk}
    page = page_analyst.get(PAGE).content.decode()
    assert f"Import {wrong.pk} is deleted with the 2 rows it stored." in page
    assert "with the 2 rows it stored</strong>" in page  # the job stays, marked deleted
    assert len(re.findall(r'class="delete-import"', page)) == 1
    # Twice (a second tab): refused with the reason, nothing else changes.
    page_analyst.post(PAGE, {"action": "delete_import", "job": wrong.pk})
    assert "The import is deleted already." in page_analyst.get(PAGE).content.decode()
    # Another area's import is not found from this area's page.
    other = run_import(make_area("other"), "crime", "police-uk", police(tmp_path, "c.csv", ["x"]))
    assert page_analyst.post(PAGE, {"action": "delete_import", "job": other.pk}).status_code == 404
    assert page_analyst.post(PAGE, {"action": "delete_import", "job": "x"}).status_code == 404


@pytest.mark.parametrize("role", ["planner", "coordinator"])
def test_only_analysts_delete_on_the_page(area, client, member, tmp_path, role):
    job = run_import(area, "crime", "police-uk", police(tmp_path, "a.csv", ["r1"]))
    client.force_login(member(role))
    assert client.post(PAGE, {"action": "delete_import", "job": job.pk}).status_code == 403
    assert jobs_of_rows(area) == {"r1": job.pk}


# A file all of whose rows lie outside the area.


def test_an_import_entirely_outside_the_area_warns(area, analyst, page_analyst, tmp_path):
    job = run_import(area, "crime", "police-uk", police(tmp_path, "x.csv", ["o1", "o2"], **OUTSIDE))
    assert job.status == "done"
    # The counts rule holds: the rows are stored and counted, not dropped.
    assert counts(job) == (2, 2, 0, 0, 2)
    assert job.read == job.imported + job.duplicates + job.rejected
    warning = (
        "All 2 rows of this import lie outside the area: is this the right file, and the right"
        " area? If not, delete the import."
    )
    assert job.warning == warning
    assert analyst.get(f"/api/imports/{job.pk}/").json()["warning"] == warning
    assert warning in page_analyst.get(PAGE).content.decode()
    assert analyst.delete(f"/api/imports/{job.pk}/").status_code == 204
    assert analyst.get(f"/api/imports/{job.pk}/").json()["warning"] == ""
    assert not CrimeIncident.objects.filter(area=area).exists()


def test_a_file_partly_outside_or_only_rejected_does_not_warn(area, tmp_path):
    rows = [police_row("in"), police_row("out", **OUTSIDE)]
    partly = run_import(
        area, "crime", "police-uk", write(tmp_path, "p.csv", csv_text(POLICE_UK_HEADER, rows))
    )
    assert counts(partly) == (2, 2, 0, 0, 1) and partly.warning == ""
    bad = [police_row("b1", month="someday", **OUTSIDE)]
    rejected = run_import(
        area, "crime", "police-uk", write(tmp_path, "r.csv", csv_text(POLICE_UK_HEADER, bad))
    )
    assert counts(rejected) == (1, 0, 0, 1, 0) and rejected.warning == ""
    # Imported again, the outside rows are duplicates only: nothing of this import to delete.
    again = run_import(area, "crime", "police-uk", police(tmp_path, "o.csv", ["out"], **OUTSIDE))
    assert counts(again) == (1, 0, 1, 0, 1) and again.warning == ""


def test_the_command_prints_the_warning(area, tmp_path, capsys):
    from django.core.management import call_command

    path = police(tmp_path, "x.csv", ["o1"], **OUTSIDE)
    call_command("import_crime", "testarea", path, "--format", "police-uk")
    out, err = capsys.readouterr()
    assert out.strip().endswith("read: 1, imported: 1, duplicates: 0, rejected: 0, outside: 1")
    assert "warning: The 1 row of this import lies outside the area" in err
    assert ImportJob.objects.get().status == RunStatus.DONE


def test_a_job_removed_otherwise_leaves_its_rows_without_a_job(area, tmp_path):
    """The admin or an area's deletion removes jobs through Django: rows left behind lose the
    link (there is no database constraint to keep it), as rows from before the change have."""
    job = run_import(area, "crime", "police-uk", police(tmp_path, "a.csv", ["r1"]))
    job.delete()
    assert jobs_of_rows(area) == {"r1": None}
    other = make_area("other")
    run_import(other, "crime", "police-uk", police(tmp_path, "b.csv", ["r2"]))
    other.delete()
    assert not ImportJob.objects.filter(area_id=other.pk).exists()
    assert not CrimeIncident.objects.filter(area_id=other.pk).exists()
