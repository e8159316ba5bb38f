"""The imports and analyses page in Chromium: an analyst uploads a crime CSV, watches the job
while the worker runs it, and reads the report; then starts an analysis."""

import pytest
from playwright.sync_api import expect

from layers.models import AnalysisRun, CrimeIncident, ImportJob
from layers.services import import_job_execute
from tests.browser.conftest import log_in, screenshot
from tests.factories import PASSWORD

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
