"""Two planners on one walk, in Chromium: the planner page's save and delete name the version
of the walk it read, so a colleague's change made behind its back is neither overwritten nor
deleted unseen; the page says so, keeps what was drawn and loads the walk as it now is."""

import pytest
from django.contrib.gis.geos import LineString
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot, wait_until
from tests.factories import PASSWORD
from tests.walks.helpers import make_walk
from walks import services
from walks.models import Walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLLEAGUES_ROUTE = LineString((13.001, 55.601), (13.005, 55.604), (13.012, 55.607), srid=4326)


def test_a_colleagues_change_is_not_overwritten_by_an_older_page(
    live_server, browser_page, member, area
):
    page = browser_page
    walk = make_walk(area, [], name="Underpass round")
    log_in(page, live_server.url, member("coordinator").username, PASSWORD)
    page.goto(f"{live_server.url}/walks/plan/testarea/")
    wait_until(page, "document.body.dataset.ready === 'true'")
    page.click("#walk-list li button")
    expect(page.locator("#route-points")).to_have_text("2")

    # A colleague renames the walk and redraws its route while this page shows the old one.
    services.walk_update(walk=walk, name="Underpass and park", route=COLLEAGUES_ROUTE)
    page.fill("#name", "Underpass round, dusk")
    page.click("#add-centre")
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("Someone else changed this walk")
    expect(page.locator("#reload")).to_be_visible()
    screenshot(page, "walk-planning-conflict")
    # What the planner typed and drew stays on the page; the colleague's walk is untouched.
    expect(page.locator("#name")).to_have_value("Underpass round, dusk")
    expect(page.locator("#route-points")).to_have_text("3")
    walk.refresh_from_db()
    assert (walk.name, walk.route.coords) == ("Underpass and park", COLLEAGUES_ROUTE.coords)

    page.click("#reload")
    expect(page.locator("#form-title")).to_have_text("Underpass and park")
    expect(page.locator("#name")).to_have_value("Underpass and park")
    expect(page.locator("#route-points")).to_have_text("3")
    expect(page.locator("#message")).to_have_text(
        "This is the walk as it is now, with the other change: make yours again."
    )
    expect(page.locator("#reload")).to_be_hidden()
    page.fill("#name", "Underpass and park, dusk")
    page.click("#save")
    expect(page.locator("#message")).to_have_text("Saved.")
    walk.refresh_from_db()
    assert walk.name == "Underpass and park, dusk"
    assert walk.route.coords == COLLEAGUES_ROUTE.coords

    # Deleting a walk someone changed meanwhile is refused too: they may want it after all.
    services.walk_update(walk=walk, name="Keep this one")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete")
    expect(page.locator("#message")).to_contain_text("Someone else changed this walk")
    expect(page.locator("#reload")).to_be_visible()
    assert Walk.objects.filter(pk=walk.pk, name="Keep this one").exists()
    # Chromium logs each refused request; nothing else went wrong.
    refused = "the server responded with a status of 412"
    assert len(page.errors) == 2 and all(refused in error for error in page.errors)
