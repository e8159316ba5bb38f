"""The walk planner in Chromium: a coordinator sees the area's blocks (its vector tiles), draws
a route with clicks, names the walk, picks a participant and saves it."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot, wait_until
from tests.factories import PASSWORD
from walks.models import Walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The walk ids of the other walks' routes the planner's map draws.
OTHER_ROUTES = (
    "[...new Set(window.tryggPlan.map.queryRenderedFeatures(undefined, {layers: ['other-routes']})"
    ".map((f) => f.id))]"
)


def click_lnglat(page, lon, lat):
    point = f"window.tryggPlan.map.project([{lon}, {lat}])"
    x, y = page.evaluate(f"(() => {{ const p = {point}; return [p.x, p.y]; }})()")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_a_coordinator_plans_a_walk_on_the_blocks(live_server, browser_page, member):
    page = browser_page
    coordinator, participant = member("coordinator"), member("participant")
    log_in(page, live_server.url, coordinator.username, PASSWORD)
    page.goto(f"{live_server.url}/walks/plan/testarea/")
    wait_until(page, "document.body.dataset.ready === 'true'")
    wait_until(page, "window.tryggPlan.map.loaded() && window.tryggPlan.map.areTilesLoaded()")
    blocks = page.evaluate(
        "[...new Set(window.tryggPlan.map.querySourceFeatures('blocks', {sourceLayer: 'blocks'})"
        ".map((f) => f.properties.code))].sort()"
    )
    assert blocks == ["NE", "NW", "SE", "SW"]

    for lon, lat in [(13.003, 55.603), (13.009, 55.605), (13.015, 55.608)]:
        click_lnglat(page, lon, lat)
    expect(page.locator("#route-points")).to_have_text("3")
    page.fill("#name", "School route, dusk")
    page.fill("#date", "2026-12-03")
    page.fill("#start", "16:30")
    page.check(f"#participants input[value='{participant.username}']")
    page.click("#save")
    expect(page.locator("#message")).to_have_text("Saved.")
    expect(page.locator("#walk-list li")).to_contain_text(["School route, dusk"])
    screenshot(page, "walk-planning")

    walk = Walk.objects.get(name="School route, dusk")
    assert list(walk.participants.all()) == [participant]
    assert walk.route.num_points == 3
    assert walk.route[0] == pytest.approx((13.003, 55.603), abs=1e-4)  # within a pixel or two

    # The routes of the other walks lie under the one being drawn: the one just saved is one
    # of them once another is edited, not while it is itself (drawn by the page, in blue).
    wait_until(page, f"{OTHER_ROUTES}.length === 0")
    page.click("#new-walk")
    wait_until(page, f"JSON.stringify({OTHER_ROUTES}) === '[{walk.pk}]'")

    # Planned by mistake after all: without findings, it can be deleted, after a question.
    page.locator("#walk-list li button").first.click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete")
    expect(page.locator("#message")).to_have_text("Deleted.")
    expect(page.locator("#walk-list li")).to_have_count(0)
    assert not Walk.objects.exists()
    wait_until(page, f"{OTHER_ROUTES}.length === 0")  # its route's tiles asked for again
    assert page.errors == []


def test_a_walk_is_planned_again_on_the_same_route_with_the_same_people(
    live_server, browser_page, member, area
):
    from tests.walks.helpers import make_walk

    page = browser_page
    coordinator, walker = member("coordinator"), member("participant")
    autumn = make_walk(area, [walker], name="Underpass round", light="night")
    log_in(page, live_server.url, coordinator.username, PASSWORD)
    page.goto(f"{live_server.url}/walks/plan/testarea/")
    wait_until(page, "document.body.dataset.ready === 'true'")
    # A keyboard opens a walk of the list (its items took a pointer's click only).
    page.locator("#walk-list li button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#form-title")).to_have_text("Underpass round")
    expect(page.locator("#walk-list li button")).to_have_attribute("aria-current", "true")
    page.click("#again")
    expect(page.locator("#form-title")).to_have_text("New walk")
    expect(page.locator("#name")).to_have_value("Underpass round")
    expect(page.locator("#date")).to_have_value("")  # the one thing to choose
    expect(page.locator("#route-points")).to_have_text("2")
    page.fill("#date", "2027-03-18")
    page.click("#save")
    expect(page.locator("#message")).to_have_text("Saved.")
    expect(page.locator("#walk-list li")).to_have_count(2)

    spring = Walk.objects.exclude(pk=autumn.pk).get()
    assert (spring.name, spring.light, spring.status) == ("Underpass round", "night", "planned")
    assert list(spring.participants.all()) == [walker]
    assert spring.route.equals_exact(autumn.route, tolerance=1e-7)
    assert spring.starts_at.date().isoformat() == "2027-03-18"
    autumn.refresh_from_db()
    assert autumn.starts_at.year == 2026  # the earlier walk is left as it was

    # A route point without a mouse: the map's centre, under its cross.
    centre = page.evaluate("window.tryggPlan.map.getCenter().toArray()")
    page.locator("#add-centre").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#route-points")).to_have_text("3")
    page.click("#save")
    for _ in range(50):  # the message already reads "Saved." from before: poll, up to 5 s
        spring.refresh_from_db()
        if len(spring.route.coords) == 3:
            break
        page.wait_for_timeout(100)
    assert spring.route.coords[-1] == pytest.approx(tuple(centre), abs=1e-6)
    assert page.errors == []


def test_a_night_walk_past_midnight_planned_from_another_time_zone(live_server, chromium, member):
    # A planner's laptop set to London plans Malmö's walk in Malmö's time; the walk ends
    # after midnight, the next day. A new walk offers only Save.
    context = chromium.new_context(
        viewport={"width": 1024, "height": 768}, timezone_id="Europe/London"
    )
    page = context.new_page()
    log_in(page, live_server.url, member("coordinator").username, PASSWORD)
    page.goto(f"{live_server.url}/walks/plan/testarea/")
    wait_until(page, "document.body.dataset.ready === 'true'")
    for button in ("#done", "#report", "#again", "#delete"):
        expect(page.locator(button)).to_be_hidden()
    page.fill("#name", "Late round")
    page.fill("#date", "2026-12-05")
    page.fill("#start", "22:00")
    page.fill("#end", "01:00")
    page.click("#save")  # no route: a walk may be planned before its route is known
    expect(page.locator("#message")).to_have_text("Saved.")
    walk = Walk.objects.get(name="Late round")
    assert walk.route is None
    assert timezone.localtime(walk.starts_at).isoformat() == "2026-12-05T22:00:00+01:00"
    assert timezone.localtime(walk.ends_at).isoformat() == "2026-12-06T01:00:00+01:00"
    expect(page.locator("#walk-list li")).to_contain_text(["Late round · 2026-12-05 22:00"])
    expect(page.locator("#start")).to_have_value("22:00")
    expect(page.locator("#done")).to_be_visible()
    context.close()


# What marks a walk of the list as one to open: its frame, its chevron, its background under the
# pointer and the keyboard's outline on it.
ROW_LOOK = """((button) => {
  const style = getComputedStyle(button);
  return {
    border: style.borderTopStyle + " " + style.borderTopWidth,
    chevron: getComputedStyle(button, "::after").content,
    background: style.backgroundColor,
    outline: style.outlineStyle + " " + style.outlineWidth,
  };
})"""


def test_the_walks_of_the_list_look_like_rows_to_open(live_server, browser_page, member, area):
    """The list's walks were buttons that looked like plain text: nothing said they opened."""
    from tests.walks.helpers import make_walk

    page = browser_page
    make_walk(area, [], name="Underpass round")
    make_walk(area, [], name="School route")
    log_in(page, live_server.url, member("coordinator").username, PASSWORD)
    page.goto(f"{live_server.url}/walks/plan/testarea/")
    wait_until(page, "document.body.dataset.ready === 'true'")
    rows = page.locator("#walk-list li button")
    expect(rows).to_have_count(2)
    # Its name first, then what it is; read aloud as one line.
    school = rows.filter(has_text="School route")
    expect(school.locator(".walk-name")).to_have_text("School route")
    expect(school).to_contain_text("School route · 2026-11-20")
    page.mouse.move(0, 0)
    still = rows.nth(1).evaluate(ROW_LOOK)
    assert still["border"] == "solid 1px" and "›" in still["chevron"], still
    rows.nth(1).hover()
    assert rows.nth(1).evaluate(ROW_LOOK)["background"] != still["background"]

    page.mouse.move(0, 0)
    page.locator("#walk-search").focus()
    page.keyboard.press("Tab")  # the keyboard on the first walk: its outline shows
    focused = rows.first.evaluate(ROW_LOOK)
    assert focused["outline"] == "solid 3px", focused
    page.keyboard.press("Enter")
    expect(rows.first).to_have_attribute("aria-current", "true")
    screenshot(page, "walk-planning-list")
    assert page.errors == []


def test_a_new_walks_day_or_night_follows_the_sun_until_the_planner_chooses(
    live_server, browser_page, member
):
    # The test area lies at Malmö (55.6° N): on 3 December the sun sets about 15:35.
    page = browser_page
    log_in(page, live_server.url, member("coordinator").username, PASSWORD)
    page.goto(f"{live_server.url}/walks/plan/testarea/")
    wait_until(page, "document.body.dataset.ready === 'true'")
    light = page.locator("#light")
    page.fill("#date", "2026-12-03")
    page.fill("#start", "12:00")
    expect(light).to_have_value("day")
    page.fill("#start", "16:30")
    expect(light).to_have_value("night")
    # From 14:00 to 18:00: halfway, at 16:00, the sun has set.
    page.fill("#start", "14:00")
    page.fill("#end", "18:00")
    expect(light).to_have_value("night")
    page.fill("#end", "15:00")
    expect(light).to_have_value("day")
    # Midsummer, 22:00: the sun is still up in Malmö.
    page.fill("#date", "2026-06-21")
    page.fill("#end", "")
    page.fill("#start", "21:30")
    expect(light).to_have_value("day")
    # Once chosen, the light stays whatever the time.
    light.select_option("night")
    page.fill("#start", "12:00")
    expect(light).to_have_value("night")
    page.fill("#name", "Noon, as night")
    page.click("#save")
    expect(page.locator("#message")).to_have_text("Saved.")
    assert Walk.objects.get(name="Noon, as night").light == "night"
    assert page.errors == []


def test_a_route_is_drawn_over_the_blocks_coloured_by_their_class(
    live_server, browser_page, member, area
):
    from tests.tiles.data import add_run

    add_run(area, {"SW": {"comparison_class": "fear_exceeds_crime"}})
    page = browser_page
    log_in(page, live_server.url, member("planner").username, PASSWORD)
    page.goto(f"{live_server.url}/walks/plan/testarea/")
    wait_until(page, "document.body.dataset.ready === 'true'")
    wait_until(page, "window.tryggPlan.map.loaded() && window.tryggPlan.map.areTilesLoaded()")
    legend = page.locator(".plan-legend")
    expect(legend).to_contain_text("Insecurity exceeds crime")
    # The planner's blocks tile carries the SW block's class; the map paints it.
    sw = page.evaluate(
        """(() => { const map = window.tryggPlan.map;
                    const p = map.project([13.0085, 55.6005]);
                    return map.queryRenderedFeatures(p, { layers: ["blocks"] })
                              .map((f) => f.properties.class); })()"""
    )
    assert sw == ["fear_exceeds_crime"]
    fill = "window.tryggPlan.map.getPaintProperty('blocks', 'fill-color')"
    assert page.evaluate(fill)[0] == "match"
    # Off, for a plain sheet to draw on; the legend's list goes with the colours.
    page.uncheck("#plan-classes")
    assert page.evaluate(fill) == "#fdfcf7"
    expect(legend.locator("ul")).to_be_hidden()
    page.check("#plan-classes")
    assert page.evaluate(fill)[0] == "match"
    assert page.errors == []
