"""Stopping an import or an analysis (layers/jobs.py job_stop): the area's analysts only; a
queued job never starts, a running one stops at its next progress report and keeps nothing it
wrote, or at once if its worker has died; an ended job is answered 409 and left as it was."""

import threading
from datetime import timedelta

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from geo.models import AuditEntry
from geo.services import data_versions
from layers.analysis.parameters import parameters_parse
from layers.analysis.results import analysis_shown
from layers.analysis.runs import analysis_run
from layers.analysis.services import analysis_folder
from layers.jobs import LOCK_SPACE
from layers.models import (
    AnalysisRaster,
    AnalysisRun,
    BlockResult,
    CrimeIncident,
    ImportJob,
    RunStatus,
)
from layers.partitions import load_table_name
from layers.services import import_job_create, import_job_run, import_options_parse
from tests.factories import make_user
from tests.layers.importing import POLICE_UK_HEADER, csv_text, police_row, run_import, write
from tests.layers.job_helpers import crime_fixture, running  # noqa: F401
from tests.layers.test_hotspot_runs import IMMEDIATE, SMALL

pytestmark = pytest.mark.django_db

# Not analysts of the area: the answer each gets, as for the other actions on imports/analyses.
IMPORT_REFUSED = [(None, 401), ("outsider", 404), ("participant", 403), ("planner", 403),
                  ("coordinator", 403)]  # fmt: skip
ANALYSIS_REFUSED = [(None, 404), ("outsider", 404), ("participant", 403), ("planner", 403),
                    ("coordinator", 403)]  # fmt: skip


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = IMMEDIATE


def someone(role, member):
    if role is None:
        return None
    return make_user() if role == "outsider" else member(role)


def in_another_session(work):
    """Run `work` on a database session of its own, as a web request beside the worker does
    (the job's own session holds its lock, and its transaction is open)."""
    outcome = {}

    def run():
        try:
            outcome["value"] = work()
        except BaseException as error:  # handed back to the test
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the stop waited for the job's transaction"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def stops(action):
    return list(AuditEntry.objects.filter(action=action).values_list("username", "detail"))


def queued_import(area):
    return ImportJob.objects.create(area=area, kind="crime", format="police-uk", file_name="a.csv")


def big_police_csv(rows: int) -> str:
    """A police-uk file of several of pyarrow's 2 MiB blocks: one progress report per block."""
    return csv_text(
        POLICE_UK_HEADER,
        [police_row(f"c{n}", lon=f"{13.001 + (n % 170) * 0.0001:.4f}") for n in range(rows)],
    )


def big_generic_csv(rows: int) -> str:
    """A generic CSV: one progress report per 20,000 rows."""
    lines = [f"r-{n},{13.001 + (n % 170) * 0.0001:.4f},55.6021,2026-10-03 22:10,Burglary"
             for n in range(rows)]  # fmt: skip
    return "ref,x,y,when,type\n" + "\n".join(lines) + "\n"


BIG = {
    "police-uk": (big_police_csv, {}),
    "generic": (big_generic_csv, {"map": "lon=x,lat=y,date=when,category=type,id=ref"}),
}


# --- imports -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), IMPORT_REFUSED)
def test_only_the_areas_analysts_stop_an_import(area, member, client_for, role, status):
    job = queued_import(area)
    response = client_for(someone(role, member)).post(f"/api/imports/{job.pk}/stop/")
    assert response.status_code == status
    job.refresh_from_db()
    assert (job.status, job.stop_requested_at) == (RunStatus.QUEUED, None)
    assert not AuditEntry.objects.exists()


def test_a_queued_import_is_stopped_and_the_worker_never_runs_it(
    area, member, client_for, django_capture_on_commit_callbacks, tmp_path
):
    analyst = member("analyst")
    client = client_for(analyst)
    upload = SimpleUploadedFile(
        "other-force.csv", csv_text(POLICE_UK_HEADER, [police_row("r1")]).encode()
    )
    with django_capture_on_commit_callbacks() as worker_tasks:
        queued = client.post(
            f"/api/areas/{area.slug}/imports/",
            {"file": upload, "kind": "crime", "format": "police-uk"},
            format="multipart",
        ).json()
    response = client.post(f"/api/imports/{queued['id']}/stop/")
    assert response.status_code == 202
    assert response.json()["status"] == "stopped" and response.json()["stop_requested_at"]
    for task in worker_tasks:  # the worker takes the task only now
        task()
    job = ImportJob.objects.get()
    assert (job.status, job.started_at, job.stopped_by) == ("stopped", None, analyst)
    assert job.finished_at == job.stop_requested_at
    assert not CrimeIncident.objects.exists()
    assert list((tmp_path / "imports").iterdir()) == []  # its upload is deleted all the same
    assert stops("import.stop") == [
        (analyst.username, {"import": job.pk, "file_name": "other-force.csv", "status": "queued"})
    ]
    # Stopping it again changes nothing and says why.
    again = client.post(f"/api/imports/{job.pk}/stop/")
    assert again.status_code == 409
    assert again.json() == {
        "status": ["The import has ended already (stopped): there is nothing to stop."]
    }
    assert len(stops("import.stop")) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("fmt", "populated"),
    [("police-uk", False), ("police-uk", True), ("generic", True)],
    ids=["police-uk-first-load", "police-uk-populated-area", "generic-populated-area"],
)
def test_a_running_import_stops_at_its_next_progress_report_and_keeps_nothing(
    area, member, client_for, tmp_path, fmt, populated
):
    if populated:  # staged and inserted, instead of loaded into a table of its own
        run_import(area, "crime", "police-uk", write(tmp_path, "earlier.csv", big_police_csv(3)))
    before = (CrimeIncident.objects.filter(area=area).count(), data_versions(area=area))
    analyst = member("analyst")
    client = client_for(analyst)
    make_file, raw = BIG[fmt]
    options = import_options_parse(kind="crime", fmt=fmt, raw=raw)
    job = import_job_create(
        area=area, kind="crime", fmt=fmt, file_name="wrong-month.csv", options=options
    )
    path = write(tmp_path, "wrong-month.csv", make_file(60_000))
    reports = []

    def stop_at_the_first_report(done, total):
        # The analyst's stop arrives while the import is reading: a request of its own.
        reports.append((done, total))
        if len(reports) == 1:
            answer = in_another_session(lambda: client.post(f"/api/imports/{job.pk}/stop/"))
            assert answer.status_code == 202 and answer.json()["status"] == "running"

    job = import_job_run(job=job, path=path, progress=stop_at_the_first_report)

    assert job.status == "stopped" and job.stopped_by == analyst
    assert job.finished_at >= job.stop_requested_at >= job.started_at
    # It stopped at the report the stop came in (of three it would make) and kept nothing.
    assert len(reports) == 1
    if fmt == "generic":  # (pyarrow reads a police-uk file ahead: its bytes say little)
        assert reports[0][0] < reports[0][1] / 2
    assert (CrimeIncident.objects.filter(area=area).count(), data_versions(area=area)) == before
    assert (job.imported, job.read) == (0, 0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [load_table_name(area.pk)])
        assert cursor.fetchone()[0] is None  # a first load's table, committed apart, is gone
    assert stops("import.stop") == [
        (analyst.username, {"import": job.pk, "file_name": "wrong-month.csv", "status": "running"})
    ]
    body = client.get(f"/api/imports/{job.pk}/").json()
    assert (body["status"], body["deletable"]) == ("stopped", False)


@pytest.mark.django_db(transaction=True)
def test_stopping_a_running_import_twice_is_asked_once(area, member, client_for):
    job = ImportJob.objects.create(
        area=area, kind="crime", format="police-uk", file_name="x.csv", status="running"
    )
    worker = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    worker.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_SPACE[ImportJob], job.pk))
    try:
        client = client_for(member("analyst"))
        first = client.post(f"/api/imports/{job.pk}/stop/").json()
        second = client.post(f"/api/imports/{job.pk}/stop/").json()
        assert first["status"] == second["status"] == "running"
        assert first["stop_requested_at"] == second["stop_requested_at"] is not None
        assert len(stops("import.stop")) == 1
    finally:
        worker.close()  # the worker dies before its next progress report
    # Asked to stop and with no process left, it reads as stopped: nothing was stored.
    assert client.get(f"/api/imports/{job.pk}/").json()["status"] == "stopped"


@pytest.mark.parametrize(
    ("model", "url", "action"),
    [(ImportJob, "imports", "import.stop"), (AnalysisRun, "analyses", "analysis.stop")],
)
def test_a_running_job_whose_worker_died_is_stopped_at_once(
    area, member, client_for, model, url, action
):
    # It says running, but no process holds its lock: no report will come to learn of a stop.
    job = running(model, area, timedelta(minutes=3))
    analyst = member("analyst")
    response = client_for(analyst).post(f"/api/{url}/{job.pk}/stop/")
    assert response.status_code == 202
    assert response.json()["status"] == "stopped"
    job.refresh_from_db()
    assert (job.status, job.stopped_by, job.error) == ("stopped", analyst, "")
    assert job.finished_at == job.stop_requested_at is not None
    assert [detail["status"] for _user, detail in stops(action)] == ["running"]


@pytest.mark.parametrize("status", ["done", "failed"])
def test_an_ended_import_is_not_stopped(area, member, client_for, status):
    job = ImportJob.objects.create(
        area=area, kind="lamps", format="geojson", file_name="l.json", status=status
    )
    response = client_for(member("analyst")).post(f"/api/imports/{job.pk}/stop/")
    assert response.status_code == 409
    assert response.json()["status"][0].startswith("The import has ended already")
    job.refresh_from_db()
    assert (job.status, job.stop_requested_at, job.stopped_by) == (status, None, None)
    assert not AuditEntry.objects.exists()


# --- analyses ----------------------------------------------------------------------------------


def queued_run(area):
    return AnalysisRun.objects.create(area=area, parameters=parameters_parse(SMALL).as_json())


@pytest.mark.parametrize(("role", "status"), ANALYSIS_REFUSED)
def test_only_the_areas_analysts_stop_an_analysis(area, member, client_for, role, status):
    run = AnalysisRun.objects.create(area=area)
    response = client_for(someone(role, member)).post(f"/api/analyses/{run.pk}/stop/")
    assert response.status_code == status
    run.refresh_from_db()
    assert (run.status, run.stop_requested_at) == (RunStatus.QUEUED, None)
    assert not AuditEntry.objects.exists()


def test_a_queued_analysis_is_stopped_and_the_worker_never_runs_it(
    crime, member, client_for, django_capture_on_commit_callbacks
):
    analyst = member("analyst")
    client = client_for(analyst)
    with django_capture_on_commit_callbacks() as worker_tasks:
        queued = client.post(
            f"/api/areas/{crime.slug}/analyses/", {"from": "2025-01", **SMALL}, format="json"
        ).json()
    response = client.post(f"/api/analyses/{queued['id']}/stop/")
    assert response.status_code == 202 and response.json()["status"] == "stopped"
    for task in worker_tasks:
        task()
    run = AnalysisRun.objects.get()
    assert (run.status, run.started_at, run.stopped_by) == ("stopped", None, analyst)
    assert not BlockResult.objects.exists() and analysis_shown(crime) is None
    assert stops("analysis.stop") == [
        (analyst.username, {"run": run.pk, "status": "queued", "parameters": run.parameters})
    ]


@pytest.mark.django_db(transaction=True)
def test_a_running_analysis_stops_before_it_stores_and_leaves_no_results_or_rasters(
    crime, member, client_for, tmp_path
):
    analyst = member("analyst")
    client = client_for(analyst)
    before = data_versions(area=crime)
    run = queued_run(crime)
    folder = tmp_path / analysis_folder(run.pk)
    stages = []

    def stop_once_the_rasters_are_written(stage, _fraction):
        stages.append(stage)
        if stage == "rasters":
            assert len(list(folder.iterdir())) == 3
            answer = in_another_session(lambda: client.post(f"/api/analyses/{run.pk}/stop/"))
            assert answer.status_code == 202 and answer.json()["status"] == "running"

    run = analysis_run(
        area=crime, parameters=SMALL, run=run, progress=stop_once_the_rasters_are_written
    )

    assert run.status == "stopped" and run.stopped_by == analyst and run.progress < 1
    assert stages[-1] == "rasters"  # the results were never stored
    assert not BlockResult.objects.exists() and not AnalysisRaster.objects.exists()
    assert not folder.exists()
    assert analysis_shown(crime) is None and data_versions(area=crime) == before
    assert len(stops("analysis.stop")) == 1
    assert client.get(f"/api/analyses/{run.pk}/").json()["status"] == "stopped"


@pytest.mark.django_db(transaction=True)
def test_an_analysis_that_fails_after_writing_its_rasters_leaves_no_files_either(crime, tmp_path):
    run = queued_run(crime)
    folder = tmp_path / analysis_folder(run.pk)

    def fail_once_the_rasters_are_written(stage, _fraction):
        if stage == "rasters":
            assert len(list(folder.iterdir())) == 3
            raise RuntimeError("no space left on device")

    with pytest.raises(RuntimeError):
        analysis_run(
            area=crime, parameters=SMALL, run=run, progress=fail_once_the_rasters_are_written
        )

    run.refresh_from_db()
    assert run.status == "failed" and "no space left" in run.error
    assert not AnalysisRaster.objects.exists() and not folder.exists()


@pytest.mark.django_db(transaction=True)
def test_a_running_analysis_stops_after_its_current_stage(crime, member, client_for):
    client = client_for(member("analyst"))
    run = queued_run(crime)
    stages = []

    def stop_after_the_weights(stage, _fraction):
        stages.append(stage)
        if stage == "weights":
            in_another_session(lambda: client.post(f"/api/analyses/{run.pk}/stop/"))

    run = analysis_run(area=crime, parameters=SMALL, run=run, progress=stop_after_the_weights)
    assert run.status == "stopped"
    # The next stage ran to its end, and its progress report learnt of the stop.
    assert stages == ["fingerprint", "blocks", "crime", "insecurity", "weights"]
    assert run.progress == pytest.approx(0.6)  # gi_crime's report, the last one written
    assert not BlockResult.objects.exists()


def test_a_finished_analysis_is_not_stopped(crime, member, client_for):
    run = analysis_run(area=crime, parameters=SMALL)
    response = client_for(member("analyst")).post(f"/api/analyses/{run.pk}/stop/")
    assert response.status_code == 409
    assert response.json() == {
        "status": ["The analysis has ended already (done): there is nothing to stop."]
    }
    run.refresh_from_db()
    assert (run.status, run.stop_requested_at) == ("done", None)
    assert BlockResult.objects.filter(run=run).count() == 4
    assert not AuditEntry.objects.exists()


# --- what a stop waits for ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("jobs", ["imports", "analyses"])
def test_a_stop_does_not_wait_for_other_work_in_the_area(area, member, client_for, jobs):
    # Another import of the area in its last phase: every row it inserts (blocks, lamps, data
    # versions) holds a key-share lock on the area's row until it commits, minutes at worst.
    job = queued_import(area) if jobs == "imports" else queued_run(area)
    client = client_for(member("analyst"))
    other_import = psycopg.connect(**connection.get_connection_params())
    try:
        other_import.execute("SELECT FROM geo_area WHERE id = %s FOR KEY SHARE", [area.pk])
        answer = in_another_session(lambda: client.post(f"/api/{jobs}/{job.pk}/stop/"))
    finally:
        other_import.close()
    assert answer.status_code == 202 and answer.json()["status"] == "stopped"
