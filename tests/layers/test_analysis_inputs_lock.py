"""An analysis's second fingerprint and the storing of its results share one transaction under
the area's inputs lock, which imports take before they write (layers/jobs.py): no import commits
between the check and the results' commit. Each test holds a real import and a real analysis on
connections of their own at a chosen point, by holding a row one of them writes next."""

import threading
import time

import psycopg
import pytest
from django.db import connection, connections

from geo.services import data_version_bump
from layers.analysis.runs import analysis_run
from layers.jobs import INPUTS_LOCK_SPACE
from layers.models import AnalysisRun, BlockResult, CrimeIncident, RunStatus
from layers.partitions import side_connection
from tests.layers.importing import (
    POLICE_UK_HEADER,
    csv_text,
    police_row,
    polygon_geojson,
    run_import,
    write,
)
from tests.layers.job_helpers import crime_fixture  # noqa: F401
from tests.layers.test_hotspot_runs import IMMEDIATE, SMALL

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_S = 60  # at most, for a thread to reach the lock it is to wait on


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = IMMEDIATE


class Session:
    """`work` run in a thread, on a database session of its own (its backend `pid`)."""

    def __init__(self, work):
        self.pid, self.outcome = None, {}
        started = threading.Event()

        def run():
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    self.pid = cursor.fetchone()[0]
                started.set()
                self.outcome["value"] = work()
            except BaseException as error:  # handed back to the test
                self.outcome["error"] = error
            finally:
                started.set()
                connections.close_all()

        self.thread = threading.Thread(target=run, daemon=True)  # a hung one ends with pytest
        self.thread.start()
        assert started.wait(timeout=WAIT_S)

    def waits(self, watcher, *, inputs_lock=False) -> bool:
        """Whether the session waits for a lock (the area's inputs lock, if `inputs_lock`);
        False once it has ended without waiting."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and self.thread.is_alive():
            row = watcher.execute(
                "SELECT EXISTS (SELECT FROM pg_locks WHERE pid = %s AND NOT granted"
                " AND (NOT %s OR (locktype = 'advisory' AND classid = %s)))",
                [self.pid, inputs_lock, INPUTS_LOCK_SPACE],
            ).fetchone()
            if row[0]:
                return True
            time.sleep(0.02)
        assert not self.thread.is_alive(), "neither waited nor ended"
        return False

    def result(self):
        self.thread.join(timeout=WAIT_S)
        assert not self.thread.is_alive()
        if "error" in self.outcome:
            raise self.outcome["error"]
        return self.outcome["value"]


def crime_file(tmp_path) -> str:
    rows = [police_row(f"new-{n}", lon="13.0135", lat="55.6075") for n in range(3)]
    return write(tmp_path, "new.csv", csv_text(POLICE_UK_HEADER, rows))


def version_row_held(area, layer: str) -> psycopg.Connection:
    """A session holding the area's data version row of `layer`, which a job writes last in its
    transaction: the job waits there, its other work done, until the session ends."""
    data_version_bump(area=area, layers=[layer])
    holder = side_connection()
    holder.execute(
        "SELECT FROM geo_dataversion WHERE area_id = %s AND layer = %s FOR UPDATE",
        [area.pk, layer],
    )
    return holder


def test_an_import_committing_while_a_run_stores_its_results_waits_for_the_run(crime, tmp_path):
    """The second fingerprint was taken before the storing transaction: an import committing in
    between went unnoticed, and a run stored after the import had finished lacked its rows."""
    path = crime_file(tmp_path)
    holder = version_row_held(crime, "analysis")
    with side_connection() as watcher:
        watcher.autocommit = True
        try:
            run = Session(lambda: analysis_run(area=crime, parameters=SMALL))
            assert run.waits(watcher)  # its results checked and written, not yet committed
            job = Session(lambda: run_import(crime, "crime", "police-uk", path))
            assert job.waits(watcher, inputs_lock=True), "the import committed meanwhile"
        finally:
            holder.close()  # the run commits
        run, job = run.result(), job.result()
    assert run.status == job.status == RunStatus.DONE
    assert run.finished_at < job.finished_at
    # The run stored what it read: the 20 incidents before the import.
    assert sum(BlockResult.objects.filter(run=run).values_list("crime_count", flat=True)) == 20
    assert CrimeIncident.objects.filter(import_job=job).count() == 3


def test_a_run_storing_while_an_import_writes_fails_at_once_with_its_reason(crime, tmp_path):
    path = crime_file(tmp_path)
    holder = version_row_held(crime, "crime")
    with side_connection() as watcher:
        watcher.autocommit = True
        try:
            job = Session(lambda: run_import(crime, "crime", "police-uk", path))
            assert job.waits(watcher)  # its rows written, not yet committed
            with pytest.raises(ValueError, match="An import or a delete is changing"):
                analysis_run(area=crime, parameters=SMALL)
        finally:
            holder.close()  # the import commits
        job = job.result()
    run = AnalysisRun.objects.get()
    assert run.status == RunStatus.FAILED and "start the analysis again" in run.error
    assert not BlockResult.objects.exists()
    assert job.status == RunStatus.DONE and job.imported == 3


def test_a_blocks_import_and_a_crime_import_both_waiting_for_the_inputs_lock_both_finish(
    crime, tmp_path
):
    """A blocks import re-places the area's incidents, which waits for a crime import's hold on
    the crime partition, taken as that import begins. The blocks import takes the inputs lock
    after that write, not before: holding the lock while waiting for a crime import that waits
    for it was a deadlock, and one of the two failed."""
    corner = [(13.000, 55.600), (13.001, 55.600), (13.001, 55.601), (13.000, 55.600)]
    blocks = write(tmp_path, "corner.geojson", polygon_geojson({"code": "CORNER"}, corner))
    path = crime_file(tmp_path)
    holder = side_connection()  # another writer, committing
    holder.execute("SELECT pg_advisory_xact_lock(%s, %s)", [INPUTS_LOCK_SPACE, crime.pk])
    with side_connection() as watcher:
        watcher.autocommit = True
        try:
            placing = Session(lambda: run_import(crime, "blocks", "geojson", blocks))
            assert placing.waits(watcher, inputs_lock=True)  # its incidents re-placed
            loading = Session(lambda: run_import(crime, "crime", "police-uk", path))
            assert loading.waits(watcher)  # for the partition the blocks import wrote in
        finally:
            holder.close()
        placed, loaded = placing.result(), loading.result()
    assert (placed.status, placed.imported) == (RunStatus.DONE, 1)
    assert (loaded.status, loaded.imported) == (RunStatus.DONE, 3)
    assert not CrimeIncident.objects.filter(area=crime, block__isnull=True).exists()
