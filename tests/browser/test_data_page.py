"""The imports and analyses page in Chromium: an analyst uploads a crime CSV, watches the job
while the worker runs it, and reads the report; then starts an analysis. An analyst stops an
import that is running. The form shows only the options of the chosen kind and format, and a
stopped analysis is run again. Jobs started elsewhere come in without a reload, and a job no
worker takes asks whether the worker runs."""

import threading
from datetime import date, timedelta

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect

from layers.jobs import QUEUE_SILENCE_LIMIT
from layers.models import (
    PROGRESS_SILENCE_LIMIT,
    AnalysisRun,
    CrimeIncident,
    ImportJob,
    SurveyResult,
)
from layers.services import (
    import_job_create,
    import_job_execute,
    import_job_run,
    import_options_parse,
)
from tests.browser.conftest import log_in, screenshot, wait_until
from tests.factories import PASSWORD
from tests.layers.exports_data import crime
from tests.layers.importing import POLICE_UK_HEADER, csv_text, police_row
from tests.layers.job_helpers import worker_holding

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = "ref,x,y,when,type\nr-1,13.0051,55.6021,2026-10-03 22:10,Burglary\n"
CSV += "r-2,13.0122,55.6061,2026-10-04 01:30,Robbery\nr-3,13.0122,55.6061,yesterday,Robbery\n"


def test_an_analyst_imports_and_analyses_from_the_page(
    live_server, browser_page, member, settings, tmp_path
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path
    page = browser_page
    log_in(page, live_server.url, member("analyst").username, PASSWORD)
    page.click("text=Imports and analyses")
    expect(page.locator("h1")).to_contain_text("Imports and analyses")
    wait_until(page, "document.body.dataset.ready === 'true'")

    # The format list follows the kind: crime has no "found from the file".
    page.select_option("select[name=kind]", "blocks")
    assert page.locator("select[name=format]").input_value() == ""
    page.select_option("select[name=kind]", "crime")
    assert page.locator("select[name=format]").input_value() == "police-uk"
    assert page.locator("select[name=format] option[value='']").is_disabled()
    csv = tmp_path / "october.csv"
    csv.write_text(CSV)
    page.select_option("select[name=format]", "generic")
    page.set_input_files("input[name=file]", str(csv))
    page.click("details.options summary")
    page.fill("input[name=map]", "lon=x,lat=y,date=when,category=type,id=ref")
    page.click("text=Upload and import")
    expect(page.locator(".messages")).to_contain_text("october.csv is queued for import")
    row = page.locator("tr[data-job]")
    expect(row).to_contain_text("Queued")

    # The worker runs it (here, the test); the page sees it end and shows the report.
    import_job_execute(job_id=ImportJob.objects.get().pk)
    expect(page.locator("table.jobs td.counts").first).to_contain_text(
        "Read: 3 · imported: 2 · duplicates: 0 · rejected: 1", timeout=15_000
    )
    assert CrimeIncident.objects.count() == 2
    page.click("text=Why rows were rejected")
    expect(page.locator(".reasons")).to_contain_text("Row 4")
    screenshot(page, "data-page")

    page.fill("input[name=date_from]", "2026-10")
    page.check("input[value=burglary]")
    page.click("text=Start the analysis")
    expect(page.locator(".messages")).to_contain_text("The analysis is queued")
    run = AnalysisRun.objects.get()
    assert (run.parameters["from"], run.parameters["categories"]) == ("2026-10", ["burglary"])
    assert page.errors == []


def test_an_analyst_stops_a_running_import(live_server, browser_page, member, area, tmp_path):
    page = browser_page
    analyst = member("analyst")
    options = import_options_parse(kind="crime", fmt="police-uk", raw={})
    job = import_job_create(
        area=area, kind="crime", fmt="police-uk", file_name="wrong-force.csv", options=options
    )
    path = tmp_path / "wrong-force.csv"
    path.write_text(csv_text(POLICE_UK_HEADER, [police_row("w1"), police_row("w2")]))
    # The worker (here a thread) reads the file and waits at its first progress report until
    # the analyst has pressed Stop: that report is where it learns of the stop.
    reading, stop_pressed = threading.Event(), threading.Event()

    def report(done, total):
        reading.set()
        assert stop_pressed.wait(timeout=60)

    def worker():
        try:
            import_job_run(job=job, path=str(path), progress=report)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert reading.wait(timeout=60)
        log_in(page, live_server.url, analyst.username, PASSWORD)
        page.goto(f"{live_server.url}/areas/{area.slug}/data/")
        row = page.locator("table.jobs tr", has_text="wrong-force.csv")
        expect(row.locator(".state")).to_have_text("Running")
        questions = []
        page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
        # By keyboard, as the Delete buttons: focus it and press Enter.
        row.get_by_role("button", name="Stop the import of wrong-force.csv").focus()
        page.keyboard.press("Enter")
        expect(row.locator(".state")).to_have_text("Stopping…")
        assert questions == [
            "Stop the import of wrong-force.csv? Nothing of it is kept: no rows are stored."
        ]
        assert row.get_by_role("button", name="Stop the import of wrong-force.csv").count() == 0
    finally:
        stop_pressed.set()
        thread.join(timeout=60)
    # The page's polling sees the job end and shows it stopped.
    expect(row.locator(".state")).to_have_text("Stopped", timeout=15_000)
    expect(row).to_contain_text("nothing of it was kept")
    job.refresh_from_db()
    assert (job.status, job.stopped_by) == ("stopped", analyst)
    assert not CrimeIncident.objects.exists()
    screenshot(page, "data-page-stopped")
    assert page.errors == []


def shown_options(page) -> list[str]:
    return [
        box.get_attribute("data-option")
        for box in page.locator("[data-option]").all()
        if box.is_visible()
    ]


def test_the_form_shows_the_options_of_the_kind_and_format_chosen(
    live_server, browser_page, member, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    page = browser_page
    log_in(page, live_server.url, member("analyst").username, PASSWORD)
    page.goto(f"{live_server.url}/areas/testarea/data/")
    wait_until(page, "document.body.dataset.ready === 'true'")
    page.click("details.options summary")
    expected = {
        ("crime", "police-uk"): ["delimiter", "strict", "dataset", "precision"],
        ("crime", "generic"): [
            "map", "srid", "layer", "delimiter", "strict", "timezone", "dataset", "precision",
        ],
        ("blocks", ""): ["srid", "layer", "strict", "code_field", "name_field", "population_field"],
        ("blocks", "geojson"): ["srid", "strict", "code_field", "name_field", "population_field"],
        ("lamps", ""): [
            "srid", "layer", "strict", "id_field", "status_field", "height_field", "lumen_field",
        ],
        ("survey", ""): ["delimiter", "strict"],
    }  # fmt: skip
    for (kind, fmt), options in expected.items():
        page.select_option("select[name=kind]", kind)
        page.select_option("select[name=format]", fmt)
        assert shown_options(page) == options, (kind, fmt)
    # Hidden is gone for a screen reader and the keyboard too, not merely greyed.
    assert page.get_by_role("textbox", name="code_field").count() == 0
    assert page.locator("input[name=code_field]").is_disabled()
    screenshot(page, "data-page-survey-options")

    # The delimiter is chosen by name; "Other…" asks for the character.
    other = page.locator("input[name=delimiter_other]")
    expect(other).to_be_hidden()
    page.select_option("select[name=delimiter]", "other")
    expect(other).to_be_visible()
    page.select_option("select[name=delimiter]", "tab")
    expect(other).to_be_hidden()

    # What was typed in an option before the kind changed is not sent once it is hidden.
    page.select_option("select[name=kind]", "crime")
    page.select_option("select[name=format]", "generic")
    page.fill("input[name=srid]", "3006")
    page.select_option("select[name=format]", "police-uk")
    page.select_option("select[name=delimiter]", ";")
    path = tmp_path / "semicolons.csv"
    path.write_text(csv_text(POLICE_UK_HEADER, [police_row("s1")], delimiter=";"))
    page.set_input_files("input[name=file]", str(path))
    page.click("text=Upload and import")
    expect(page.locator(".messages")).to_contain_text("semicolons.csv is queued for import")
    expect(page.locator(".messages")).not_to_contain_text("ignored")
    job = ImportJob.objects.get()
    assert (job.format, job.options.get("delimiter"), "srid" in job.options) == (
        "police-uk", ";", False,
    )  # fmt: skip
    assert page.errors == []


def test_an_analyst_runs_a_stopped_analysis_again(live_server, browser_page, member, area):
    from layers.analysis.parameters import parameters_parse

    page = browser_page
    crime(area, 13.002, 55.602, "b1", category="burglary", month=date(2025, 6, 1))
    parameters = parameters_parse(
        {"from": "2025-01", "categories": ["burglary"], "variable": "density", "seed": 7}
    ).as_json()
    stopped = AnalysisRun.objects.create(area=area, status="stopped", parameters=parameters, seed=7)
    log_in(page, live_server.url, member("analyst").username, PASSWORD)
    page.goto(f"{live_server.url}/areas/{area.slug}/data/")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name=f"Run analysis {stopped.pk} again").click()
    expect(page.locator(".messages")).to_contain_text(
        f"with the parameters of analysis {stopped.pk}"
    )
    assert questions == [
        f"Run analysis {stopped.pk} again with the same parameters? A new analysis is queued;"
        " this one stays as it is."
    ]
    again = AnalysisRun.objects.exclude(pk=stopped.pk).get()
    assert (again.status, again.parameters, again.seed) == ("queued", stopped.parameters, 7)
    expect(page.locator(f"tr[data-job='/api/analyses/{again.pk}/']")).to_contain_text("Queued")
    assert page.errors == []


def test_an_analyst_deletes_a_survey_round_by_keyboard(live_server, browser_page, member, area):
    page = browser_page
    sw, se = area.blocks.get(code="SW"), area.blocks.get(code="SE")
    SurveyResult.objects.create(block=sw, period="2025-H1", respondents=40, share_unsafe=0.25)
    SurveyResult.objects.create(block=se, period="2025-H1", respondents=30, share_unsafe=0.1)
    SurveyResult.objects.create(block=sw, period="2025-H2", respondents=50, share_unsafe=0.4)
    log_in(page, live_server.url, member("analyst").username, PASSWORD)
    page.goto(f"{live_server.url}/areas/{area.slug}/data/")
    table = page.locator("table.survey-rounds")
    expect(table.locator("tbody tr")).to_have_count(2)
    row = table.locator("tr", has_text="2025-H1")
    expect(row).to_contain_text("2")
    expect(row).to_contain_text("70")
    delete = row.get_by_role("button", name="Delete the survey results of period 2025-H1")
    questions = []

    # Asked first: cancelled, nothing is deleted.
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    delete.focus()
    page.keyboard.press("Enter")
    expect(table.locator("tbody tr")).to_have_count(2)
    assert SurveyResult.objects.count() == 3

    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    delete.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text(
        "The survey results of period 2025-H1 are deleted (2 blocks)."
    )
    question = (
        "Delete the survey results of period 2025-H1 (2 blocks)? Analyses already run keep their"
        " results; run a new one."
    )
    assert questions == [question, question]
    expect(page.locator("table.survey-rounds tbody tr")).to_have_count(1)
    assert list(SurveyResult.objects.values_list("period", flat=True)) == ["2025-H2"]
    screenshot(page, "data-page-survey-deleted")
    assert page.errors == []


def test_the_page_follows_its_jobs_without_a_reload(live_server, browser_page, member, area):
    page = browser_page
    job = ImportJob.objects.create(
        area=area, kind="crime", format="police-uk", file_name="november.csv"
    )
    from layers.analysis.parameters import parameters_parse

    crime(area, 13.002, 55.602, "b1", category="burglary", month=date(2025, 6, 1))
    parameters = parameters_parse({"from": "2025-01", "seed": 3}).as_json()
    run = AnalysisRun.objects.create(area=area, parameters=parameters, seed=3)
    log_in(page, live_server.url, member("analyst").username, PASSWORD)
    page.goto(f"{live_server.url}/areas/{area.slug}/data/")
    imported, analysed = page.locator(f"#import-{job.pk}"), page.locator(f"#run-{run.pk}")
    expect(imported.locator(".state")).to_have_text("Queued")
    expect(analysed.locator(".state")).to_have_text("Queued")
    page.evaluate("window.notReloaded = true")
    page.fill("input[name=date_from]", "2025-03")  # typed, and kept

    with worker_holding(job):  # the worker takes the import and reads half of it
        ImportJob.objects.filter(pk=job.pk).update(status="running", progress=0.45, read=1200)
        expect(imported.locator(".state")).to_have_text("Running", timeout=15_000)
        expect(imported.locator(".progress")).to_have_text("45 %")
        # The Rows column counts the rows read so far (it stayed empty until the end).
        expect(imported.locator("td.counts")).to_have_text("Read so far: 1,200")
        ImportJob.objects.filter(pk=job.pk).update(progress=0.6, read=1600)
        expect(imported.locator("td.counts")).to_have_text("Read so far: 1,600", timeout=15_000)
        # The analysis fails meanwhile: its row shows why, and offers to run it again.
        AnalysisRun.objects.filter(pk=run.pk).update(status="failed", error="Out of memory.")
        expect(analysed.locator(".state")).to_have_text("Failed", timeout=15_000)
        expect(analysed).to_contain_text("Out of memory.")
        expect(analysed.get_by_role("button", name=f"Run analysis {run.pk} again")).to_be_visible()
        ImportJob.objects.filter(pk=job.pk).update(
            status="done", progress=1.0, read=3, imported=2, rejected=1
        )
        expect(imported.locator("td.counts")).to_contain_text(
            "Read: 3 · imported: 2 · duplicates: 0 · rejected: 1", timeout=15_000
        )
    expect(imported.locator(".state")).to_have_text("Done")
    assert page.evaluate("window.notReloaded") is True
    assert page.locator("input[name=date_from]").input_value() == "2025-03"
    screenshot(page, "data-page-followed")

    # Run again from the row put in by the script: it asks first, and a double click asks and
    # posts once, its button disabled as the POST goes.
    questions, posts = [], []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    analysed.get_by_role("button", name=f"Run analysis {run.pk} again").dblclick()
    expect(page.locator(".messages")).to_contain_text(
        f"with the parameters of analysis {run.pk}", timeout=15_000
    )
    assert questions == [
        f"Run analysis {run.pk} again with the same parameters? A new analysis is queued;"
        " this one stays as it is."
    ]
    assert len(posts) == 1
    assert AnalysisRun.objects.count() == 2
    assert page.errors == []


def test_a_job_whose_worker_reports_nothing_for_long_says_since_when(
    live_server, browser_page, member, area
):
    page = browser_page
    now = timezone.now()
    job = ImportJob.objects.create(
        area=area, kind="crime", format="police-uk", file_name="huge.csv", status="running",
        started_at=now, progress_at=now, progress=0.3,
    )  # fmt: skip
    log_in(page, live_server.url, member("analyst").username, PASSWORD)
    with worker_holding(job):  # alive, but stuck
        page.goto(f"{live_server.url}/areas/{area.slug}/data/")
        state = page.locator(f"#import-{job.pk} .state")
        expect(state).to_have_text("Running")
        page.evaluate("window.notReloaded = true")
        silent_since = now - PROGRESS_SILENCE_LIMIT - timedelta(minutes=5)
        ImportJob.objects.filter(pk=job.pk).update(progress_at=silent_since)
        since = timezone.localtime(silent_since).strftime("%H:%M")
        expect(state).to_have_text(
            f"No progress since {since} — the worker may have stopped", timeout=15_000
        )
        expect(state).to_have_class("state stalled")
        screenshot(page, "data-page-stalled")
        # It reports again: it was slow, not stuck.
        ImportJob.objects.filter(pk=job.pk).update(progress_at=timezone.now(), progress=0.6)
        expect(state).to_have_text("Running", timeout=15_000)
        expect(page.locator(f"#import-{job.pk} .progress")).to_have_text("60 %")
    assert page.evaluate("window.notReloaded") is True
    assert page.errors == []


def test_a_row_put_in_anew_keeps_the_keyboard_where_it_was(live_server, browser_page, member, area):
    """A keyboard user on a row's button when the row is put in anew stays on that button, or
    on its row if the button is gone: focus is not thrown back to the top of the page."""
    page = browser_page
    crime(area, 13.002, 55.602, "b1", category="burglary", month=date(2025, 6, 1))
    yesterday = timezone.now() - timedelta(days=1)
    shown = AnalysisRun.objects.create(area=area, status="done", finished_at=yesterday)
    newer, third = (AnalysisRun.objects.create(area=area) for _ in range(2))
    log_in(page, live_server.url, member("analyst").username, PASSWORD)
    page.goto(f"{live_server.url}/areas/{area.slug}/data/")
    focused = "document.activeElement.getAttribute('aria-label') || document.activeElement.id"

    delete = page.get_by_role("button", name=f"Delete analysis {shown.pk}")
    delete.focus()
    # The newer run finishes: the map shows it, and the older one's row offers to show it.
    AnalysisRun.objects.filter(pk=newer.pk).update(status="done", finished_at=timezone.now())
    expect(page.get_by_role("button", name=f"Show analysis {shown.pk} on the map")).to_be_visible(
        timeout=15_000
    )
    assert page.evaluate(focused) == f"Delete analysis {shown.pk}"

    page.get_by_role("button", name=f"Stop analysis {third.pk}").focus()
    AnalysisRun.objects.filter(pk=third.pk).update(status="failed", error="Out of memory.")
    expect(page.locator(f"#run-{third.pk}")).to_contain_text("Out of memory.", timeout=15_000)
    assert page.evaluate(focused) == f"run-{third.pk}"
    page.keyboard.press("Tab")  # on to the row's first button
    assert page.evaluate(focused) == f"Run analysis {third.pk} again"
    assert page.errors == []


def test_jobs_started_elsewhere_show_without_a_reload(live_server, browser_page, member, area):
    page = browser_page
    finished = AnalysisRun.objects.create(area=area, status="done", finished_at=timezone.now())
    log_in(page, live_server.url, member("analyst").username, PASSWORD)
    page.goto(f"{live_server.url}/areas/{area.slug}/data/")
    expect(page.locator("#import-list")).to_have_text("Nothing imported yet.")
    expect(page.locator(f"#run-{finished.pk} .state")).to_have_text("Done")
    page.evaluate("window.notReloaded = true")
    page.fill("input[name=date_from]", "2025-03")  # typed, and kept

    # Another analyst uploads a file: its row comes in, and the page follows it.
    job = ImportJob.objects.create(
        area=area, kind="crime", format="police-uk", file_name="colleague.csv",
        created_by=member("analyst", area),
    )  # fmt: skip
    state = page.locator(f"#import-{job.pk} .state")
    expect(state).to_have_text("Queued", timeout=15_000)
    expect(page.locator(f"#import-{job.pk} .progress")).to_have_count(0)  # none until it runs
    # It waits, and no worker is at work: the page asks whether the worker runs.
    queued_at = timezone.now() - QUEUE_SILENCE_LIMIT - timedelta(minutes=5)
    ImportJob.objects.filter(pk=job.pk).update(created_at=queued_at)
    since = timezone.localtime(queued_at).strftime("%H:%M")
    expect(state).to_have_text(
        f"Queued since {since} — no worker has taken it; is the task worker running?",
        timeout=15_000,
    )
    expect(state).to_have_class("state stalled")
    screenshot(page, "data-page-unclaimed")

    # Another tab starts an analysis: it comes first in its list; one deleted elsewhere goes.
    run = AnalysisRun.objects.create(area=area)
    expect(page.locator("#run-list tbody tr").first).to_have_id(f"run-{run.pk}", timeout=15_000)
    expect(page.locator(f"#run-{run.pk} .state")).to_have_text("Queued")
    finished.delete()
    expect(page.locator(f"#run-{finished.pk}")).to_have_count(0, timeout=15_000)
    expect(page.locator("#run-list tbody tr")).to_have_count(1)

    with worker_holding(job):  # a worker takes the import at last
        now = timezone.now()
        ImportJob.objects.filter(pk=job.pk).update(
            status="running", started_at=now, progress_at=now, progress=0.3
        )
        expect(state).to_have_text("Running", timeout=15_000)
        expect(page.locator(f"#import-{job.pk} .progress")).to_have_text("30 %")
    assert page.evaluate("window.notReloaded") is True
    assert page.locator("input[name=date_from]").input_value() == "2025-03"
    assert page.errors == []


def test_the_note_on_the_analysis_the_map_shows_follows_a_choice_made_elsewhere(
    live_server, browser_page, member, area
):
    """The note above the analyses kept saying the map shows the latest one after another
    analyst had chosen an older one; and a job's Stop sat among the rows it stored."""
    page = browser_page
    earlier, latest = (
        AnalysisRun.objects.create(area=area, status="done", finished_at=timezone.now() - ago)
        for ago in (timedelta(hours=1), timedelta(0))
    )
    job = ImportJob.objects.create(
        area=area, kind="crime", format="police-uk", file_name="waiting.csv"
    )
    log_in(page, live_server.url, member("analyst").username, PASSWORD)
    page.goto(f"{live_server.url}/areas/{area.slug}/data/")
    wait_until(page, "document.body.dataset.ready === 'true'")
    note = page.locator("#on-the-map")
    expect(note).to_contain_text("The map shows the latest finished analysis.")
    # Stop beside the status it changes; a queued job shows no progress yet.
    stop = page.get_by_role("button", name="Stop the import of waiting.csv")
    expect(page.locator(f"#import-{job.pk} td.status").get_by_role("button")).to_have_count(1)
    expect(stop).to_be_visible()
    expect(page.locator(f"#import-{job.pk}")).not_to_contain_text("%")

    AnalysisRun.objects.filter(pk=earlier.pk).update(pinned=True)  # chosen in another tab
    expect(note).to_contain_text(
        f"The map shows analysis {earlier.pk}, chosen by an analyst", timeout=15_000
    )
    expect(page.locator(f"#run-{earlier.pk}")).to_contain_text("On the map (chosen)")
    expect(page.get_by_role("button", name=f"Show analysis {latest.pk} on the map")).to_be_visible()
    screenshot(page, "data-page-chosen-elsewhere")
    assert page.errors == []
