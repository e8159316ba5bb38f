"""Every page, in the states its users meet, checked with axe-core for the WCAG 2.2 A and AA
rules (EN 301 549, which the municipalities and police forces that run Trygg must meet) and
axe's best practices: signed out and in each role, the planner map with its popups, and the
capture app by night, with its sheets open, while drawing, in Swedish and on a walk that is done.
axe cannot judge a map's canvas; the maps' controls, legends and popups it does judge."""

import pytest
from django.contrib.gis.geos import Point
from playwright.sync_api import expect

from layers.models import ImportJob, SurveyResult
from tests.browser.axe import Audit
from tests.browser.conftest import log_in, wait_until
from tests.browser.tablet import place, sign_in_to_capture, stored_photo
from tests.browser.test_planner_map import click_lnglat, jpeg, open_map, session_of
from tests.factories import PASSWORD, make_member
from tests.tiles.data import add_observation, add_run
from tests.tiles.layered import fill_every_layer
from tests.walks.helpers import item, make_walk
from walks.services import observations_sync
from walks.taxonomy import builtin_kinds_ensure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def an_area_with_its_history(area):
    """Findings, a finished and a failed import, survey rounds and an analysis: every table,
    list and legend of the pages shows."""
    builtin_kinds_ensure()
    participant = make_member(area, "participant")
    walk = make_walk(area, [participant], name="Underpass round")
    items = [item(note="Broken lamp by the school"), item(kind="safe_place", note="Lit kiosk")]
    observations_sync(walk=walk, author=participant, items=items)
    ImportJob.objects.create(
        area=area,
        kind="crime",
        format="police-uk",
        file_name="october.csv",
        status="done",
        read=3,
        imported=2,
        rejected=1,
        rejected_rows=[{"row": 4, "reason": "the date is not a date"}],
    )
    ImportJob.objects.create(
        area=area, kind="blocks", format="", file_name="blocks.zip", status="failed", error="x"
    )
    sw = area.blocks.get(code="SW")
    SurveyResult.objects.create(block=sw, period="2025-H1", respondents=40, share_unsafe=0.25)
    add_run(area, {"SW": {"comparison_class": "both_high"}})  # the planner's legend, the report's
    return walk


def test_every_page_of_every_role_passes_axe(live_server, browser_page, member, area):
    page, audit = browser_page, Audit()
    walk = an_area_with_its_history(area)
    base = live_server.url

    page.goto(f"{base}/")
    audit.check(page, "start page, signed out")
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "nobody")
    page.fill("input[name=password]", "wrong")
    page.click("button.primary")
    expect(page.locator("#login-error")).to_be_visible()
    audit.check(page, "login refused")

    log_in(page, base, member("coordinator").username, PASSWORD)
    audit.check(page, "start page, coordinator")
    for path, state in [
        ("/walks/", "my walks"),
        (f"/walks/{walk.pk}/report/", "walk report, coordinator"),
        (f"/areas/{area.slug}/members/", "members"),
    ]:
        page.goto(f"{base}{path}")
        audit.check(page, state)
    page.goto(f"{base}/walks/999999/report/")
    audit.check(page, "not found")
    page.errors.clear()  # the browser's own line for the 404
    page.goto(f"{base}/walks/plan/{area.slug}/")
    wait_until(page, "document.body.dataset.ready === 'true'")
    audit.check(page, "walk planner")
    page.locator("#walk-list li button").first.click()
    expect(page.locator("#form-title")).to_have_text("Underpass round")
    audit.check(page, "walk planner, a walk open")
    page.goto(f"{base}/accounts/password_change/")
    page.fill("input[name=old_password]", "not it")
    page.fill("input[name=new_password1]", "short")
    page.fill("input[name=new_password2]", "other")
    page.click("button.primary")
    expect(page.locator("#id_old_password_error")).to_be_visible()
    audit.check(page, "password change refused")
    page.click("form.logout button")
    expect(page.locator("h1")).to_have_text("You are logged out")
    audit.check(page, "signed out")

    log_in(page, base, member("analyst").username, PASSWORD)
    page.goto(f"{base}/areas/{area.slug}/data/")
    wait_until(page, "document.body.dataset.ready === 'true'")
    page.click("text=Why rows were rejected")
    audit.check(page, "imports and analyses")

    audit.assert_clean()
    assert page.errors == []


def test_the_planner_map_and_its_popups_pass_axe(live_server, chromium, settings, tmp_path):
    from tests.factories import make_area

    settings.MEDIA_ROOT = tmp_path
    area = make_area("testarea")
    hidden = add_observation(
        fill_every_layer(area), Point(13.003, 55.608, srid=4326), "hiding_place", severity=5
    )
    stored_photo(hidden, jpeg(), "hide")
    audit = Audit()
    page, errors = open_map(chromium, live_server, session_of(make_member(area, "planner")))
    audit.check(page, "planner map")
    click_lnglat(page, 13.0015, 55.6095)
    popup = page.locator(".maplibregl-popup.details")
    popup.locator("h3", has_text="Block NW").wait_for(timeout=10_000)
    expect(popup.locator(".thumbs img").first).to_be_visible()
    audit.check(page, "a block's popup")
    popup.get_by_role("button", name="Hiding place").click()
    popup.locator("h3", has_text="Hiding place").wait_for(timeout=10_000)
    audit.check(page, "a finding's popup")
    page.context.close()

    # On a tablet the panel folds away behind a button.
    page, errors = open_map(
        chromium, live_server, session_of(make_member(area, "analyst")), size=(820, 1180)
    )
    audit.check(page, "planner map on a tablet, analyst")
    page.context.close()
    audit.assert_clean()
    assert errors == []


def test_the_capture_app_passes_axe_in_each_of_its_states(live_server, tablet, capture_area):
    audit = Audit()
    walker = make_member(capture_area, "participant", "walker")
    walk = make_walk(capture_area, [walker], light="night")
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walk, "walker")
    audit.check(page, "night map")

    place(page, "unsafe_spot", (300, 300))
    audit.check(page, "the sheet of a new finding")
    page.tap('.scale[data-field="severity"] button[value="4"]')
    page.tap("#save")
    expect(page.locator("#sync-count")).to_have_text("All synced")

    page.tap('.kind[data-kind="neglect"]')
    page.tap('#shapes [data-shape="line"]')
    page.touchscreen.tap(400, 200)
    expect(page.locator("#finish")).to_be_visible()
    audit.check(page, "drawing a line")

    page.tap("#mine-button")
    expect(page.locator("#mine")).to_be_visible()
    audit.check(page, "my findings")
    page.locator("#mine-list button").first.tap()
    expect(page.locator("#finding")).to_be_visible()
    audit.check(page, "a finding of mine")
    page.tap("#withdraw")
    audit.check(page, "withdrawing it, asked to confirm")
    page.tap("#withdraw-keep")
    page.tap("#finding-close")

    page.select_option("#language", "sv")
    expect(page.locator("#kinds")).to_have_attribute("aria-label", "Typer av observationer")
    expect(page.locator("#map")).to_have_attribute("aria-label", "Karta över området")
    audit.check(page, "in Swedish")

    done = make_walk(capture_area, [walker], name="Last week", light="day", status="done")
    page.goto(f"{live_server.url}/walks/{done.pk}/capture/")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator('.kind[data-kind="unsafe_spot"]')).to_be_disabled()
    audit.check(page, "a walk that is done, by day")
    audit.assert_clean()


def test_the_audit_finds_what_is_wrong(live_server, browser_page, area):
    """The check itself: a page made worse is caught, rule and element named."""
    page, audit = browser_page, Audit()
    page.goto(f"{live_server.url}/accounts/login/")
    audit.check(page, "the login page")
    page.evaluate(
        """() => {
            const input = document.querySelector("input[name=username]");
            input.closest("label").replaceWith(input);  // a field without its label
            document.querySelector("h1").style.color = "#ddd";  // pale on white
        }"""
    )
    audit.check(page, "a spoilt login page")
    found = audit.found.pop("a spoilt login page")
    assert any(p.startswith('label (critical) at input[name="username"]') for p in found), found
    assert any(p.startswith("color-contrast (serious) at h1") for p in found), found
    audit.assert_clean()  # the page as served had nothing to find
