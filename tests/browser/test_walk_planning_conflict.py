"""Two planners on one walk, in Chromium: the planner page's save and delete name the version
of the walk it read, so a colleague's change made behind its back is neither overwritten nor
deleted unseen; the page says so, keeps what was drawn and loads the walk as it now is."""

import pytest
from django.contrib.gis.geos import LineString
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot, wait_until
from tests.factories import PASSWORD
from tests.walks.helpers import item, make_walk
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


def test_findings_arriving_are_told_as_such_not_as_someone_elses_change(
    live_server, browser_page, member, area
):
    # The first finding marks a planned walk under way, a change of the walk: "Mark done" sent
    # from a page still showing it planned is refused (412) as any change against an old
    # version, but the page says what happened instead of blaming a colleague.
    page = browser_page
    participant = member("participant")
    started = make_walk(area, [participant], name="Underpass round")
    renamed = make_walk(area, [participant], name="Park round")
    log_in(page, live_server.url, member("coordinator").username, PASSWORD)
    page.goto(f"{live_server.url}/walks/plan/testarea/")
    wait_until(page, "document.body.dataset.ready === 'true'")

    page.click(f"#walk-list li[data-id='{started.pk}'] button")
    services.observations_sync(walk=started, author=participant, items=[item()])
    page.click("#done")
    expect(page.locator("#message")).to_have_text(
        "Findings have arrived on this walk since you opened it; it is now under way."
        " Load it again, then make your change."
    )
    expect(page.locator("#reload")).to_be_visible()
    assert Walk.objects.get(pk=started.pk).status == "walking"  # still the 412: nothing done
    page.click("#reload")
    expect(page.locator("#status")).to_have_value("walking")
    page.click("#done")
    expect(page.locator("#message")).to_have_text("Saved.")
    assert Walk.objects.get(pk=started.pk).status == "done"

    # Findings and a colleague's change of the planning: that is someone else's change.
    page.click(f"#walk-list li[data-id='{renamed.pk}'] button")
    services.observations_sync(walk=renamed, author=participant, items=[item()])
    services.walk_update(walk=renamed, name="Park round, dusk")
    page.click("#done")
    expect(page.locator("#message")).to_contain_text("Someone else changed this walk")
    expect(page.locator("#reload")).to_be_visible()
    assert Walk.objects.get(pk=renamed.pk).status == "walking"
