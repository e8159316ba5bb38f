"""The walk planner in an area of many walks and members: the list shows the latest a page at a
time and finds the others by name; the participants' list narrows as a name is typed."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import log_in, wait_until
from tests.factories import PASSWORD, make_member
from walks.models import Walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_planner_pages_through_and_searches_many_walks(live_server, browser_page, member, area):
    page = browser_page
    first = timezone.make_aware(dt.datetime(2024, 1, 2, 19, 0))
    Walk.objects.bulk_create(
        Walk(area=area, name=f"Round {n:02d}", starts_at=first + dt.timedelta(days=3 * n))
        for n in range(30)
    )
    for name in ("caretaker-anna", "police-bo", "resident-cecilie"):
        make_member(area, "participant", name)
    log_in(page, live_server.url, member("planner").username, PASSWORD)
    page.goto(f"{live_server.url}/walks/plan/testarea/")
    wait_until(page, "document.body.dataset.ready === 'true'")
    walks = page.locator("#walk-list li")
    expect(walks).to_have_count(25)
    expect(walks.first).to_contain_text("Round 29")
    # The list scrolls inside the planner; the page itself fits the window.
    assert page.evaluate("document.documentElement.scrollHeight <= innerHeight")
    page.click("#more-walks")
    expect(walks).to_have_count(30)
    expect(walks.last).to_contain_text("Round 00")
    expect(page.locator("#more-walks")).to_be_hidden()

    page.fill("#walk-search", "round 07")
    expect(walks).to_have_count(1)
    walks.first.locator("button").click()
    expect(page.locator("#form-title")).to_have_text("Round 07")

    page.check("#participants input[value='police-bo']")
    page.fill("#participant-search", "anna")
    shown = page.locator("#participants label:visible")
    # The one typed for, and the one ticked already.
    expect(shown).to_have_count(2)
    expect(shown).to_contain_text(["caretaker-anna", "police-bo"])


def test_a_walk_planned_meanwhile_does_not_repeat_one_on_the_next_page(
    live_server, browser_page, member, area
):
    page = browser_page
    first = timezone.make_aware(dt.datetime(2024, 1, 2, 19, 0))
    Walk.objects.bulk_create(
        Walk(area=area, name=f"Round {n:02d}", starts_at=first + dt.timedelta(days=3 * n))
        for n in range(30)
    )
    log_in(page, live_server.url, member("planner").username, PASSWORD)
    page.goto(f"{live_server.url}/walks/plan/testarea/")
    wait_until(page, "document.body.dataset.ready === 'true'")
    walks = page.locator("#walk-list li")
    expect(walks).to_have_count(25)
    # Another planner adds the latest walk: every older one moves one place down the pages.
    Walk.objects.create(area=area, name="Round 30", starts_at=first + dt.timedelta(days=90))
    page.click("#more-walks")
    expect(walks.last).to_contain_text("Round 00")
    names = walks.locator("button").all_text_contents()
    assert len(names) == 30 and len({name.split(" · ")[0] for name in names}) == 30
    # Every walk the pages hold has been shown: nothing more to ask for (the new one is at the
    # top of the list once it is asked for again).
    expect(page.locator("#more-walks")).to_be_hidden()
