"""The imports and analyses page in Chromium: an analyst uploads a crime CSV, watches the job
while the worker runs it, and reads the report; then starts an analysis. An analyst stops an
import that is running."""

import threading

import pytest
from django.db import connections
from playwright.sync_api import expect

from layers.models import AnalysisRun, CrimeIncident, ImportJob
from layers.services import (
    import_job_create,
    import_job_execute,
    import_job_run,
    import_options_parse,
)
from tests.browser.conftest import log_in, screenshot
from tests.factories import PASSWORD
from tests.layers.importing import POLICE_UK_HEADER, csv_text, police_row

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
