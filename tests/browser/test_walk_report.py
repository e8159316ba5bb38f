"""The walk report in Chromium: the map is drawn, printing is offered, and a coordinator deletes
a finding after confirming it (the question comes from page.js: the policy forbids inline
script)."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.factories import PASSWORD
from tests.walks.helpers import make_walk
from walks.models import Observation
from walks.services import observations_sync
from walks.taxonomy import builtin_kinds_ensure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_reads_prints_and_prunes_a_walk_report(
    live_server, browser_page, member, area
):
    from tests.walks.helpers import item

    builtin_kinds_ensure()
    participant = member("participant")
    walk = make_walk(area, [participant])
    items = [item(note="Broken lamp by the school"), item(kind="safe_place", note="Lit kiosk")]
    observations_sync(walk=walk, author=participant, items=items)
    page = browser_page
    log_in(page, live_server.url, member("coordinator").username, PASSWORD)
    page.goto(f"{live_server.url}/walks/{walk.pk}/report/")
    expect(page.locator("svg circle.marker")).to_have_count(2)
    expect(page.locator("button[data-print]")).to_be_visible()
    screenshot(page, "walk-report")
    # On paper: the findings and the map, none of the controls for changing them.
    page.emulate_media(media="print")
    for control in (".topbar", ".head-actions", "details.history", "td.no-print"):
        expect(page.locator(control).first).to_be_hidden()
    expect(page.locator("tr#observation-1")).to_be_visible()
    # A4 less its margins is 688 px wide: the cells that keep to one line on screen (block,
    # time) and the follow-up's width give way there, so no column is cut at the paper's edge.
    page.set_viewport_size({"width": 688, "height": 900})
    loosened = page.evaluate(
        """() => [getComputedStyle(document.querySelector(".findings-table td.nowrap")).whiteSpace,
                  getComputedStyle(document.querySelector(".findings-table td.follow-up")).minWidth,
                  document.querySelector(".findings-table").getBoundingClientRect().right]"""
    )
    assert loosened[:2] == ["normal", "0px"]
    assert loosened[2] <= 688
    page.set_viewport_size({"width": 1440, "height": 900})
    page.emulate_media(media="screen")

    questions, answers = [], ["dismiss", "accept"]

    def answer(dialog):
        questions.append(dialog.message)
        getattr(dialog, answers.pop(0))()

    page.on("dialog", answer)
    page.get_by_role("button", name="Delete finding 1").click()
    expect(page.locator("tr#observation-2")).to_be_visible()  # dismissed: nothing deleted
    assert Observation.objects.count() == 2
    page.get_by_role("button", name="Delete finding 1").click()
    expect(page.locator(".messages")).to_contain_text("The finding and its photos are deleted.")
    expect(page.locator("svg circle.marker")).to_have_count(1)
    assert list(Observation.objects.values_list("note", flat=True)) == ["Lit kiosk"]
    assert questions[0] == "Delete finding 1 and its photos for good?"
    assert page.errors == []


def test_the_findings_sort_by_severity_and_back_by_number(live_server, browser_page, member, area):
    from tests.walks.helpers import item

    builtin_kinds_ensure()
    participant = member("participant")
    walk = make_walk(area, [participant])
    items = [
        item(severity=2, note="Litter"),
        item(severity=5, note="Dark underpass"),
        item(kind="safe_place", severity=None, note="Lit kiosk"),
        item(severity=4, note="Broken lamp"),
    ]
    observations_sync(walk=walk, author=participant, items=items)
    page = browser_page
    log_in(page, live_server.url, member("planner").username, PASSWORD)
    page.goto(f"{live_server.url}/walks/{walk.pk}/report/")
    numbers = page.locator(".findings-table tbody td.number")
    expect(numbers).to_have_text(["1", "2", "3", "4"])

    severity = page.get_by_role("columnheader", name="Severity")
    severity.get_by_role("button").click()
    expect(severity).to_have_attribute("aria-sort", "ascending")
    expect(numbers).to_have_text(["1", "4", "2", "3"])  # a safe place has none: last
    severity.get_by_role("button").click()  # the most serious first, for the housing company
    expect(severity).to_have_attribute("aria-sort", "descending")
    expect(numbers).to_have_text(["2", "4", "1", "3"])
    # The markers on the map keep their numbers; the order back by the walk's own.
    page.get_by_role("columnheader", name="#").get_by_role("button").focus()
    page.keyboard.press("Enter")
    expect(numbers).to_have_text(["1", "2", "3", "4"])
    expect(severity).not_to_have_attribute("aria-sort", "descending")
    assert page.errors == []
