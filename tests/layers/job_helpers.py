"""Background jobs in the states the tests need, and their worker, as the tests stand in for it."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone

from layers.jobs import LOCK_SPACE
from layers.models import ImportJob
from layers.partitions import side_connection
from tests.layers.test_hotspot_runs import incidents


def _job_fields(model, fields: dict) -> dict:
    if model is ImportJob:
        return {"kind": "crime", "format": "police-uk", "file_name": "big.csv", **fields}
    return fields


def running(model, area, silent: timedelta, **fields):
    """A running job whose worker last reported `silent` ago."""
    now = timezone.now()
    return model.objects.create(
        area=area, status="running", started_at=now - silent - timedelta(minutes=1),
        progress_at=now - silent, progress=0.45, **_job_fields(model, fields),
    )  # fmt: skip


def queued(model, area, waited: timedelta, **fields):
    """A job queued `waited` ago, that no worker has taken yet."""
    job = model.objects.create(area=area, **_job_fields(model, fields))
    # created_at is stamped on insert (auto_now_add): set back after it.
    model.objects.filter(pk=job.pk).update(created_at=timezone.now() - waited)
    job.refresh_from_db()
    return job


@contextmanager
def worker_holding(job):
    """A live worker on `job`: its lock held on a session of its own, as layers.jobs.job_held
    does, so a status read leaves a running job running (a job nobody holds ends failed)."""
    with side_connection() as worker:
        worker.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_SPACE[type(job)], job.pk])
        yield worker


def page_row(page: str, job) -> str:
    """The row of `job` in the data page's HTML."""
    row_id = f"import-{job.pk}" if isinstance(job, ImportJob) else f"run-{job.pk}"
    return page.split(f'id="{row_id}"')[1].split("</tr>")[0]


@pytest.fixture(name="crime")
def crime_fixture(area):
    """The test area with 20 incidents: NE 12, SE 6, SW 2 (enough for an analysis to run)."""
    incidents(area, "NE", 12)
    incidents(area, "SE", 6)
    incidents(area, "SW", 2)
    return area
