"""The imports and analyses page: analysts upload a file and start an analysis there, with the
API's rules and reports; a refused upload changes nothing and says why."""

import re
import threading
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from layers.models import AnalysisRun, CrimeIncident, ImportJob
from tests.layers.exports_data import crime
from tests.layers.importing import POLICE_UK_HEADER, csv_text, police_row
from tests.layers.job_helpers import page_row, running, worker_holding

pytestmark = pytest.mark.django_db

PAGE = "/areas/testarea/data/"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def analyst(client, member):
    client.force_login(member("analyst"))
    return client


def police_csv(delimiter=",") -> SimpleUploadedFile:
    rows = [police_row("r1"), police_row("r2", month="someday"), police_row("r3")]
    text = csv_text(POLICE_UK_HEADER, rows, delimiter)
    return SimpleUploadedFile("august.csv", text.encode(), content_type="text/csv")


@pytest.mark.parametrize("role", ["participant", "planner", "coordinator"])
def test_only_analysts_open_it(client, member, role):
    client.force_login(member(role))
    assert client.get(PAGE).status_code == 403


@override_settings(TASKS=IMMEDIATE)
def test_an_analyst_imports_police_data_and_reads_the_report(
    analyst, area, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst.post(
            PAGE, {"action": "import", "kind": "crime", "format": "police-uk", "file": police_csv()}
        )
    assert response.status_code == 302 and response["Location"] == PAGE
    job = ImportJob.objects.get()
    assert (job.status, job.imported, job.rejected) == ("done", 2, 1)
    assert CrimeIncident.objects.filter(area=area).count() == 2
    page = analyst.get(PAGE).content.decode()
    assert "august.csv is queued for import" in page
    assert "Read: 3 · imported: 2 · duplicates: 0 · rejected: 1" in page
    assert "Row 3: Month &#x27;someday&#x27; is not a month written YYYY-MM" in page
    assert "1 row: Month … is not a month written YYYY-MM" in page  # counted by reason
    assert "data-job" not in page  # nothing left under way


def test_a_refused_upload_says_why_and_leaves_nothing(analyst, tmp_path):
    wrong = SimpleUploadedFile("x.csv", b"a,b\n1,2\n", content_type="text/csv")
    response = analyst.post(
        PAGE,
        {"action": "import", "kind": "crime", "format": "police-uk", "file": wrong, "srid": "3006"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error"' in page and "Longitude" in page
    assert 'name="srid" value="3006"' in page  # what was typed is kept
    assert not ImportJob.objects.exists()
    uploads = tmp_path / "imports"
    assert not uploads.exists() or not any(uploads.iterdir())  # the stored file is removed


def test_bad_options_and_missing_files_are_named(analyst):
    response = analyst.post(PAGE, {"action": "import", "kind": "crime", "format": "police-uk"})
    assert "This field is required." in response.content.decode()
    response = analyst.post(
        PAGE,
        {
            "action": "import",
            "kind": "crime",
            "format": "generic",
            "file": police_csv(),
            "map": "x",
        },
    )
    assert response.status_code == 200 and "map" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_analyst_starts_an_analysis(analyst, area):
    crime(area, 13.002, 55.602, "b1", category="burglary", month=date(2025, 6, 1))
    response = analyst.post(
        PAGE,
        {
            "action": "analyse",
            "date_from": "2025-01",
            "date_to": "2025-12",
            "categories": ["burglary"],
        },
    )
    assert response.status_code == 302
    run = AnalysisRun.objects.get()
    assert run.status == "queued" and run.created_by is not None
    assert (run.parameters["from"], run.parameters["to"]) == ("2025-01", "2025-12")
    assert run.parameters["categories"] == ["burglary"]
    page = analyst.get(PAGE).content.decode()
    assert "The analysis is queued" in page and f'data-job="/api/analyses/{run.pk}/"' in page
    # Unticked, the hot spots are not corrected for testing some 15,000 blocks at once.
    assert run.parameters["fdr"] is False


def test_the_page_offers_the_false_discovery_rate_and_ticks_it(analyst, area):
    # Tested block by block at 90 %, one block in ten reads "hot" or "cold" by chance alone.
    assert re.search(r'name="fdr"[^>]*checked', analyst.get(PAGE).content.decode())
    crime(area, 13.002, 55.602, "b1", category="burglary", month=date(2025, 6, 1))
    analyst.post(PAGE, {"action": "analyse", "fdr": "on"})
    assert AnalysisRun.objects.get().parameters["fdr"] is True


def test_a_bad_period_is_named_and_nothing_runs(analyst):
    response = analyst.post(PAGE, {"action": "analyse", "date_from": "2025-13"})
    assert response.status_code == 200 and 'class="error"' in response.content.decode()
    assert not AnalysisRun.objects.exists()


def test_a_period_without_recorded_crime_is_refused(analyst, area):
    # It would end with every block "not significant" and blank everyone's map.
    crime(area, 13.002, 55.602, "b1", category="burglary", month=date(2025, 6, 1))
    for period in ({"date_from": "2026-01"}, {"date_from": "2025-01", "categories": ["drugs"]}):
        response = analyst.post(PAGE, {"action": "analyse", **period})
        assert response.status_code == 200
        assert "No recorded crime of the area falls in this period" in response.content.decode()
    assert not AnalysisRun.objects.exists()


def test_an_unknown_action_is_a_400(analyst):
    assert analyst.post(PAGE, {"action": "drop"}).status_code == 400


@pytest.fixture
def two_runs(area, settings, tmp_path):
    """An earlier run and the latest one, each with a result and a raster file."""
    from django.utils import timezone

    from layers.models import AnalysisRaster, BlockResult

    runs = []
    for klass in ("both_low", "both_high"):
        run = AnalysisRun.objects.create(area=area, status="done", finished_at=timezone.now())
        BlockResult.objects.create(run=run, block=area.blocks.first(), comparison_class=klass)
        raster = tmp_path / "analyses" / str(run.pk) / "insecurity.tif"
        raster.parent.mkdir(parents=True)
        raster.write_bytes(b"II*\x00")
        AnalysisRaster.objects.create(
            run=run, name="insecurity", path=f"analyses/{run.pk}/insecurity.tif"
        )
        runs.append(run)
    return runs


def test_only_the_analysis_the_map_shows_links_to_the_map(analyst, two_runs):
    earlier, latest = two_runs
    page = analyst.get(PAGE).content.decode()
    assert page.count('href="/map/testarea/">On the map</a>') == 1
    row = page.split(f"/api/analyses/{latest.pk}/blocks/")[0].rsplit("<tr", 1)[1]
    assert "On the map" in row


def test_an_analyst_deletes_a_run_started_by_mistake(
    analyst, area, two_runs, tmp_path, django_capture_on_commit_callbacks
):
    from geo.models import AuditEntry
    from geo.services import data_versions
    from layers.analysis.results import analysis_shown
    from layers.models import BlockResult

    earlier, mistaken = two_runs
    before = data_versions(area=area)["blocks"]
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst.post(PAGE, {"action": "delete_run", "run": mistaken.pk}, follow=True)
    assert f"Analysis {mistaken.pk} is deleted." in response.content.decode()
    assert analysis_shown(area) == earlier  # the map falls back to the earlier run
    assert not BlockResult.objects.filter(run_id=mistaken.pk).exists()
    assert not (tmp_path / "analyses" / str(mistaken.pk)).exists()
    assert (tmp_path / "analyses" / str(earlier.pk) / "insecurity.tif").exists()
    assert data_versions(area=area)["blocks"] == before + 1
    assert AuditEntry.objects.get(action="analysis.delete").detail["run"] == mistaken.pk


def test_an_analysis_waiting_for_the_worker_is_not_deleted(analyst, client_for, member, area):
    queued = AnalysisRun.objects.create(area=area, status="queued")
    response = analyst.post(PAGE, {"action": "delete_run", "run": queued.pk}, follow=True)
    assert "still running" in response.content.decode()
    api = client_for(member("analyst")).delete(f"/api/analyses/{queued.pk}/")
    assert api.status_code == 409 and "still running" in str(api.json())
    assert AnalysisRun.objects.filter(pk=queued.pk).exists()


def test_a_run_whose_worker_died_may_be_deleted(analyst, area):
    """It says running, but no process holds its lock (layers/jobs.py): it is over."""
    orphan = AnalysisRun.objects.create(area=area, status="running")
    analyst.post(PAGE, {"action": "delete_run", "run": orphan.pk})
    assert not AnalysisRun.objects.filter(pk=orphan.pk).exists()


def test_runs_of_another_area_or_bad_ids_are_not_found(analyst, two_runs):
    from tests.factories import make_area

    other = AnalysisRun.objects.create(area=make_area("elsewhere"), status="done")
    for value in (other.pk, "x", ""):
        assert analyst.post(PAGE, {"action": "delete_run", "run": value}).status_code == 404
    assert AnalysisRun.objects.count() == 3


def row_of(page: str, status_url: str) -> str:
    """The table row whose work polls `status_url`."""
    return page.split(f'data-job="{status_url}"')[1].split("</tr>")[0]


def test_an_analyst_stops_a_queued_import_and_analysis_from_the_page(analyst, area):
    job = ImportJob.objects.create(area=area, kind="crime", format="police-uk", file_name="a.csv")
    run = AnalysisRun.objects.create(area=area)
    page = analyst.get(PAGE).content.decode()
    import_row, run_row = (
        row_of(page, f"/api/imports/{job.pk}/"),
        row_of(page, f"/api/analyses/{run.pk}/"),
    )
    assert 'data-confirm="Stop the import of a.csv? Nothing of it is kept' in import_row
    assert 'aria-label="Stop the import of a.csv"' in import_row
    assert f'aria-label="Stop analysis {run.pk}"' in run_row

    # Beside the status they change, not among the rows it stored or the results.
    assert 'class="stop-job"' in import_row.split('<td class="status"')[1].split("</td>")[0]
    assert 'class="stop-job"' in run_row.split('<td class="status"')[1].split("</td>")[0]
    # Queued, they have no progress to show: not a "0 %" that reads as stuck.
    assert 'class="progress"' not in import_row + run_row

    # No worker had them: they are stopped at once, and the message says so.
    response = analyst.post(PAGE, {"action": "stop_import", "job": job.pk}, follow=True)
    assert "The import of a.csv is stopped: nothing of it is kept." in response.content.decode()
    response = analyst.post(PAGE, {"action": "stop_run", "run": run.pk}, follow=True)
    page = response.content.decode()
    assert f"Analysis {run.pk} is stopped: nothing of it is kept." in page
    job.refresh_from_db(), run.refresh_from_db()
    assert (job.status, run.status) == ("stopped", "stopped")
    assert "data-job=" not in page and 'name="action" value="stop_' not in page
    assert page.count("nothing of it was kept") == 2


def test_a_job_asked_to_stop_says_stopping_until_its_worker_has_stopped(analyst, area):
    from django.utils import timezone

    job = ImportJob.objects.create(
        area=area, kind="crime", format="police-uk", file_name="a.csv", status="running",
        stop_requested_at=timezone.now(),
    )  # fmt: skip
    with worker_holding(job):  # alive, and yet to come to its next progress report
        row = row_of(analyst.get(PAGE).content.decode(), f"/api/imports/{job.pk}/")
    assert '<span class="state">Stopping…</span>' in row and "stop_import" not in row


def test_a_running_job_stopped_from_the_page_is_said_to_be_stopping(analyst, area):
    job = running(ImportJob, area, timedelta(seconds=5), file_name="busy.csv")
    run = running(AnalysisRun, area, timedelta(seconds=5))
    with worker_holding(job), worker_holding(run):  # their workers roll them back, later
        row = row_of(analyst.get(PAGE).content.decode(), f"/api/imports/{job.pk}/")
        assert '<span class="progress">45 %</span>' in row
        page = analyst.post(PAGE, {"action": "stop_import", "job": job.pk}, follow=True)
        assert "Stopping the import of busy.csv: nothing of it is kept." in page.content.decode()
        page = analyst.post(PAGE, {"action": "stop_run", "run": run.pk}, follow=True)
        assert f"Stopping analysis {run.pk}: nothing of it is kept." in page.content.decode()


def test_a_job_whose_worker_died_is_stopped_at_once_from_the_page(analyst, area):
    job = running(ImportJob, area, timedelta(minutes=3), file_name="gone.csv")  # nobody holds it
    page = analyst.post(PAGE, {"action": "stop_import", "job": job.pk}, follow=True)
    job.refresh_from_db()
    assert (job.status, job.error) == ("stopped", "")
    page = page.content.decode()
    # Stopped, not stopping: no worker is left to roll it back.
    assert "The import of gone.csv is stopped: nothing of it is kept." in page
    row = page_row(page, job)
    assert '<span class="state">Stopped</span>' in row and "nothing of it was kept" in row


def test_an_ended_or_anothers_job_is_not_stopped_from_the_page(analyst, area, two_runs):
    from tests.factories import make_area

    done = two_runs[0]
    response = analyst.post(PAGE, {"action": "stop_run", "run": done.pk}, follow=True)
    assert "The analysis has ended already (done): there is nothing to stop." in (
        response.content.decode()
    )
    other = ImportJob.objects.create(area=make_area("elsewhere"), kind="crime", file_name="b")
    assert analyst.post(PAGE, {"action": "stop_import", "job": other.pk}).status_code == 404
    done.refresh_from_db(), other.refresh_from_db()
    assert (done.status, other.status) == ("done", "queued")


def queued_options(analyst, separator=",", **posted) -> dict:
    """Upload the police CSV, its columns separated by `separator`, with these form fields; the
    options the queued job keeps."""
    upload = police_csv(separator)
    response = analyst.post(
        PAGE, {"action": "import", "kind": "crime", "format": "police-uk", "file": upload, **posted}
    )
    assert response.status_code == 302, response.content.decode()
    return ImportJob.objects.get().options


def test_each_option_says_what_it_is_for_the_script_that_hides_the_others(analyst):
    page = analyst.get(PAGE).content.decode()
    assert 'id="options-of"' in page and '"police-uk": ["delimiter", "dataset"' in page
    for name in ("map", "srid", "layer", "delimiter", "strict", "code_field", "lumen_field"):
        assert f'data-option="{name}"' in page


def test_every_kind_and_format_names_the_options_it_uses():
    from layers.pages import OPTIONS
    from layers.services import FORMATS_OF, OPTIONS_OF

    assert {kind: set(formats) for kind, formats in FORMATS_OF.items()} == {
        kind: set(used) for kind, used in OPTIONS_OF.items()
    }
    # An option no importer is said to use would never be shown while the script runs.
    used = {name for formats in OPTIONS_OF.values() for names in formats.values() for name in names}
    assert used == set(OPTIONS)


def test_without_the_script_options_the_kind_does_not_use_are_ignored_and_named(analyst):
    # Every option is shown then: police-uk files have no CRS to name nor block code field.
    options = queued_options(analyst, srid="3006", code_field="kod", dataset="skane")
    assert "srid" not in options and "code_field" not in options
    assert options["dataset"] == "skane"
    page = analyst.get(PAGE).content.decode()
    assert "Not used for this kind and format, so ignored: srid, code_field." in page


@pytest.mark.parametrize(
    ("chosen", "typed", "used"),
    [("", "", ","), (";", "", ";"), ("tab", "", "\t"), ("|", "", "|"), ("other", ":", ":")],
)
def test_the_delimiter_is_chosen_from_a_list(analyst, chosen, typed, used):
    options = queued_options(analyst, used, delimiter=chosen, delimiter_other=typed)
    assert options.get("delimiter", ",") == used  # a comma, the default, is not given


def test_the_list_offers_the_common_delimiters_by_name(analyst):
    page = analyst.get(PAGE).content.decode()
    choices = page.split('<select name="delimiter">')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)<', choices) == [
        ("", "Comma (,)"), (";", "Semicolon (;)"), ("tab", "Tab"), ("|", "Pipe (|)"),
        ("other", "Other…"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("chosen", "typed", "error"),
    [
        ("other", "", "Type the other delimiter"),
        (";", ":", "Choose “Other…” in the list to use the delimiter typed"),
        ("other", "::", "The delimiter is one character"),
    ],
)
def test_a_delimiter_that_does_not_add_up_is_refused(analyst, chosen, typed, error):
    response = analyst.post(
        PAGE,
        {"action": "import", "kind": "crime", "format": "police-uk", "file": police_csv(),
         "delimiter": chosen, "delimiter_other": typed},
    )  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200 and error in page
    # What was chosen and typed is kept for the next try.
    assert f'<option value="{chosen}" selected>' in page
    assert f'name="delimiter_other" value="{typed}"' in page
    assert not ImportJob.objects.exists()


PARAMETERS = {"from": "2025-01", "to": "2025-12", "categories": ["burglary"], "fdr": True,
              "variable": "density", "k": 5, "seed": 7}  # fmt: skip


@pytest.fixture
def stopped_run(area):
    """A stopped analysis, with parameters the page's form cannot give (the API's)."""
    from layers.analysis.parameters import parameters_parse

    crime(area, 13.002, 55.602, "b1", category="burglary", month=date(2025, 6, 1))
    parameters = parameters_parse(PARAMETERS).as_json()
    return AnalysisRun.objects.create(area=area, status="stopped", parameters=parameters, seed=7)


def test_a_stopped_or_failed_analysis_offers_to_run_again_and_asks_first(
    analyst, area, stopped_run
):
    failed = AnalysisRun.objects.create(area=area, status="failed")
    done = AnalysisRun.objects.create(area=area, status="done")
    queued = AnalysisRun.objects.create(area=area, status="queued")
    page = analyst.get(PAGE).content.decode()
    for run in (stopped_run, failed):
        assert f'aria-label="Run analysis {run.pk} again"' in page
        assert f'data-confirm="Run analysis {run.pk} again with the same parameters?' in page
    for run in (done, queued):
        assert f'aria-label="Run analysis {run.pk} again"' not in page


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("analyst", 302),
        ("superuser", 302),
        ("participant", 403),
        ("planner", 403),
        ("coordinator", 403),
        ("outsider", 404),
        ("anonymous", 302),
    ],
)
def test_running_an_analysis_again_is_for_whoever_may_start_one(
    client, member, area, stopped_run, who, status
):
    from tests.factories import make_area, make_member, make_user

    user = {
        "superuser": lambda: make_user(is_superuser=True),
        "outsider": lambda: make_member(make_area("elsewhere"), "analyst"),
        "anonymous": lambda: None,
    }.get(who, lambda: member(who))()
    if user is not None:
        client.force_login(user)
    response = client.post(PAGE, {"action": "run_again", "run": stopped_run.pk})
    assert response.status_code == status
    again = AnalysisRun.objects.exclude(pk=stopped_run.pk)
    if who not in ("analyst", "superuser"):
        assert not again.exists()  # anonymous: sent to log in first
        return
    assert response["Location"] == PAGE
    run = again.get()
    assert (run.status, run.created_by, run.seed) == ("queued", user, 7)
    assert run.parameters == stopped_run.parameters
    stopped_run.refresh_from_db()
    assert stopped_run.status == "stopped"  # the old run stays as it was
    page = client.get(PAGE).content.decode()
    assert f"Analysis {run.pk} is queued with the parameters of analysis {stopped_run.pk}." in page


def test_only_a_stopped_or_failed_analysis_runs_again(analyst, area, two_runs):
    from tests.factories import make_area

    done = two_runs[0]
    queued = AnalysisRun.objects.create(area=area, status="queued")
    for run, status in ((done, "done"), (queued, "queued")):
        response = analyst.post(PAGE, {"action": "run_again", "run": run.pk}, follow=True)
        assert (
            f"Analysis {run.pk} is {status}: only a stopped or failed analysis is run again."
            in response.content.decode()
        )
    other = AnalysisRun.objects.create(area=make_area("elsewhere"), status="stopped")
    assert analyst.post(PAGE, {"action": "run_again", "run": other.pk}).status_code == 404
    assert AnalysisRun.objects.count() == 4


def test_a_run_again_the_data_no_longer_supports_is_refused_with_the_reason(analyst, stopped_run):
    CrimeIncident.objects.all().delete()  # the import of its period deleted since
    response = analyst.post(PAGE, {"action": "run_again", "run": stopped_run.pk}, follow=True)
    assert "No recorded crime of the area falls in this period" in response.content.decode()
    assert AnalysisRun.objects.count() == 1


def run_again(client, run) -> str:
    """Press "Run again" on `run`: the page the redirect leads to."""
    response = client.post(PAGE, {"action": "run_again", "run": run.pk}, follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    return response.content.decode()


def test_a_double_click_or_a_retried_post_runs_an_analysis_again_once(
    analyst, client, member, stopped_run
):
    run_again(analyst, stopped_run)
    again = AnalysisRun.objects.exclude(pk=stopped_run.pk).get()
    # The second click, or the browser sending the POST again: the run queued first answers.
    page = run_again(analyst, stopped_run)
    already = (
        f"Analysis {stopped_run.pk} is already being run again as analysis {again.pk} (queued):"
        " no second run was queued."
    )
    assert already in page
    assert AnalysisRun.objects.count() == 2
    # Another analyst too, while the worker runs it.
    again.status = "running"
    again.save(update_fields=["status"])
    client.force_login(member("analyst"))
    with worker_holding(again):
        assert already.replace("(queued)", "(running)") in run_again(client, stopped_run)
    assert AnalysisRun.objects.count() == 2


def test_once_the_run_again_has_ended_or_its_worker_died_it_may_run_again(analyst, stopped_run):
    run_again(analyst, stopped_run)
    again = AnalysisRun.objects.exclude(pk=stopped_run.pk).get()
    again.status = "running"  # and no worker holds it: it died
    again.save(update_fields=["status"])
    page = run_again(analyst, stopped_run)
    third = AnalysisRun.objects.exclude(pk__in=[stopped_run.pk, again.pk]).get()
    assert (
        f"Analysis {third.pk} is queued with the parameters of analysis {stopped_run.pk}." in page
    )
    again.refresh_from_db()
    assert again.status == "failed"
    # The run again of a run with other parameters (another seed) is a run of its own.
    other = AnalysisRun.objects.create(
        area=stopped_run.area, status="failed", parameters=stopped_run.parameters | {"seed": 8}
    )
    assert "is queued with the parameters" in run_again(analyst, other)
    assert AnalysisRun.objects.filter(status="queued").count() == 2


def press_run_again_at_once(member, runs) -> list:
    """Two analysts press "Run again" at the same moment, one on each of `runs`: the answers,
    once both requests have ended."""
    from django.db import connection
    from django.test import Client

    from layers.partitions import side_connection
    from tests.walks.helpers import wait_until_waiting

    answers, errors = [], []

    def press(client, run):
        try:
            answers.append(client.post(PAGE, {"action": "run_again", "run": run.pk}))
        except Exception as error:  # the test client re-raises what would be a 500
            errors.append(error)
        finally:
            connection.close()

    threads = []
    for run in runs:
        client = Client()
        client.force_login(member("analyst"))
        threads.append(threading.Thread(target=press, args=[client, run]))
    # A third transaction holds the runs: both requests come to their locks past their reading,
    # whichever the threads' timing, and meet there; it lets go as the block ends.
    with side_connection() as holder:
        holder.execute(
            "SELECT 1 FROM layers_analysisrun WHERE id = ANY(%s) FOR UPDATE",
            [[run.pk for run in runs]],
        )
        for thread in threads:
            thread.start()
        wait_until_waiting(2)  # both at a lock
    for thread in threads:
        thread.join(30)
    assert errors == []
    return answers


@pytest.mark.django_db(transaction=True)
def test_two_run_agains_at_once_queue_one_run(member, stopped_run):
    answers = press_run_again_at_once(member, [stopped_run, stopped_run])
    assert [answer.status_code for answer in answers] == [302, 302]
    again = AnalysisRun.objects.exclude(pk=stopped_run.pk).get()
    assert (again.status, again.parameters) == ("queued", stopped_run.parameters)


@pytest.mark.django_db(transaction=True)
def test_run_agains_at_once_of_two_runs_of_the_same_parameters_queue_one_run(member, stopped_run):
    """Its run again failed too: both rows offer "Run again", and both are pressed at once."""
    failed_again = AnalysisRun.objects.create(
        area=stopped_run.area, status="failed", parameters=stopped_run.parameters, seed=7
    )
    answers = press_run_again_at_once(member, [stopped_run, failed_again])
    assert [answer.status_code for answer in answers] == [302, 302]
    queued = AnalysisRun.objects.filter(status="queued")
    assert list(queued.values_list("parameters", flat=True)) == [stopped_run.parameters]


def test_a_message_outlasts_the_background_requests_and_shows_on_the_next_page(analyst):
    """The page refreshes its lists from the jobs API and from itself fetched in the background
    (jobs.js, marked by its header): neither may use up the "queued" a POST in another tab left
    for the page that tab goes to next. That page shows it, once."""
    queued = "august.csv is queued for import"
    form = {"action": "import", "kind": "crime", "format": "police-uk", "file": police_csv()}
    assert analyst.post(PAGE, form).status_code == 302
    jobs = analyst.get("/api/areas/testarea/jobs/")
    assert jobs.status_code == 200 and len(jobs.json()["imports"]) == 1
    background = analyst.get(PAGE, headers={"X-Trygg-Background": "1"}).content.decode()
    assert 'id="import-' in background and queued not in background
    assert queued in analyst.get(PAGE).content.decode()
    assert queued not in analyst.get(PAGE).content.decode()


def test_a_large_imports_counts_are_grouped_as_the_language_writes_them(analyst, area):
    ImportJob.objects.create(
        area=area, kind="crime", format="police-uk", file_name="year.csv", status="done",
        read=1048576, imported=1000000, duplicates=48000, rejected=576,
    )  # fmt: skip
    page = analyst.get(PAGE).content.decode()
    assert "Read: 1,048,576 · imported: 1,000,000 · duplicates: 48,000 · rejected: 576" in page
    analyst.cookies["django_language"] = "sv"
    page = analyst.get(PAGE).content.decode()
    assert "1\xa0000\xa0000" in page  # Swedish groups digits with a space that does not break


def test_a_jobs_known_error_reads_in_the_pages_language(analyst, area):
    """Stored in English (the API's clients read it so), shown in the page's language; an error
    Trygg does not know (an exception's own words) is shown as it is."""
    from layers.jobs import ORPHANED

    AnalysisRun.objects.create(area=area, status="failed", error=ORPHANED)
    AnalysisRun.objects.create(area=area, status="failed", error="weights do not cover every block")
    analyst.cookies["django_language"] = "sv"
    page = analyst.get(PAGE).content.decode()
    assert "Processen som körde jobbet stannade innan det var klart" in page
    assert ORPHANED not in page
    assert "weights do not cover every block" in page


def test_the_page_says_what_the_area_holds_however_it_came(analyst, area):
    """Data loaded without an import (the admin, load_demo) is counted too: the page listed only
    imports, and such an area read as empty. The crime count follows an import at once."""
    from geo.services import data_version_bump
    from tests.tiles.data import add_lamp
    from tests.walks.helpers import make_walk

    crime(area, 13.002, 55.602, "a")
    add_lamp(area, 13.001, 55.601, "broken")
    make_walk(area)
    page = analyst.get(PAGE).content.decode()
    holds = re.search(r'<p class="holdings">(.*?)</p>', page, re.S).group(1)
    assert " ".join(holds.split()) == (
        "The area holds 4 blocks · 1 crime incident (test) · 1 street lamp"
        " · 1 walk with 0 findings."
    )
    crime(area, 13.003, 55.603, "b")
    data_version_bump(area=area, layers=["crime"])  # as an import does
    assert "2 crime incidents (test)" in analyst.get(PAGE).content.decode()
