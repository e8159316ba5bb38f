"""A running job whose process died is reported failed when its status is read; a job whose
process is alive, however slow, stays running (layers/jobs.py)."""

import psycopg
import pytest
from django.db import connection

from geo.models import Role
from layers.jobs import LOCK_SPACE, ORPHANED
from layers.models import AnalysisRun, ImportJob
from layers.services import import_job_run

pytestmark = pytest.mark.django_db(transaction=True)


def other_session():
    """A second database session, as the worker process has."""
    return psycopg.connect(**connection.get_connection_params(), autocommit=True)


def running_import(area):
    return ImportJob.objects.create(
        area=area, kind="crime", format="police-uk", file_name="x.csv", status="running"
    )


def test_a_running_import_with_no_process_is_failed_on_read(client_for, member, area):
    job = running_import(area)
    body = client_for(member(Role.ANALYST)).get(f"/api/imports/{job.pk}/").json()
    assert body["status"] == "failed"
    assert body["error"] == ORPHANED
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at is not None


def test_a_running_import_whose_process_holds_it_stays_running(client_for, member, area):
    job = running_import(area)
    analyst = client_for(member(Role.ANALYST))
    worker = other_session()
    worker.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_SPACE[ImportJob], job.pk))
    try:
        assert analyst.get(f"/api/imports/{job.pk}/").json()["status"] == "running"
        assert analyst.get(f"/api/imports/{job.pk}/").json()["status"] == "running"
    finally:
        worker.close()  # the worker dies: its session ends and PostgreSQL frees the lock
    assert analyst.get(f"/api/imports/{job.pk}/").json()["status"] == "failed"


def test_an_analysis_run_left_running_is_failed_on_read(client_for, member, area):
    run = AnalysisRun.objects.create(area=area, status="running")
    body = client_for(member(Role.PLANNER)).get(f"/api/analyses/{run.pk}/").json()
    assert body["status"] == "failed"


def test_an_import_releases_its_lock_when_it_ends(area, tmp_path):
    path = tmp_path / "lamps.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    job = ImportJob.objects.create(area=area, kind="lamps", format="geojson", file_name="l.json")
    import_job_run(job=job, path=str(path))
    observer = other_session()
    try:
        key = (LOCK_SPACE[ImportJob], job.pk)
        assert observer.execute("SELECT pg_try_advisory_lock(%s, %s)", key).fetchone()[0]
    finally:
        observer.close()
