"""The site's pages on a phone: nothing widens the page beyond the screen (wide tables scroll on
their own), so no button or language choice ends up off to the side."""

import pytest
from django.contrib.gis.geos import Point
from django.db import connections

from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_member
from tests.tiles.data import add_observation
from tests.walks.helpers import make_walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
NARROWEST = {"width": 320, "height": 640}


@pytest.mark.parametrize(
    "role, pages",
    [
        (
            "coordinator",
            [
                "/",
                "/walks/{walk}/report/",
                "/areas/testarea/members/",
                "/walks/",
                "/walks/plan/testarea/",
            ],
        ),
        ("analyst", ["/areas/testarea/data/"]),
    ],
)
def test_pages_fit_a_phone(live_server, chromium, capture_area, role, pages):
    user = make_member(capture_area, role, f"phone-{role}")
    walk = make_walk(capture_area, [make_member(capture_area, "participant", "walker")])
    note = "A long note about the underpass that has had no working lamp since the spring " * 3
    finding = add_observation(walk, Point(13.005, 55.605, srid=4326), "unsafe_spot")
    finding.note = note
    finding.save()
    context = chromium.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        log_in(page, live_server.url, user.username, PASSWORD)
        for address in pages:
            page.goto(live_server.url + address.format(walk=walk.pk))
            page.wait_for_load_state("networkidle")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{address} is {width} px wide"
            if address.startswith("/walks/plan/"):  # the route is drawn on a map of some size
                box = page.locator("#map").bounding_box()
                assert box["width"] >= 300 and box["height"] >= 300, box
                legend = page.locator(".plan-legend").bounding_box()
                assert legend["y"] >= box["y"] + box["height"]  # under the map, not over it
    finally:
        context.close()
        connections.close_all()


@pytest.mark.parametrize("language", ["sv", "da"])
def test_pages_reflow_at_320_px_in_every_language(live_server, chromium, capture_area, language):
    """Longer words than English's, at 320 px (WCAG's reflow width: 1280 px zoomed to 400 %):
    the start page's heading is one compound word in Swedish ("Trygghetsvandringar") and
    Danish, which at the desktop's size ran off the card; the top bar's links, with a username
    as long as the demo's, pushed the last language off the screen; a crime category's name
    widened the imports page's list of them; a button's words ("Planera
    trygghetsvandringar", "Se den som deltagarna ser den") kept to one line past the screen."""
    coordinator = make_member(capture_area, "coordinator", "demo-coordinator-2")
    analyst = make_member(capture_area, "analyst", "demo-analyst-two")  # as long as the demo's
    walk = make_walk(capture_area, [make_member(capture_area, "participant", "walker")])
    context = chromium.new_context(
        viewport=NARROWEST, has_touch=True, is_mobile=True, locale=language,
        extra_http_headers={"Accept-Language": language},
    )  # fmt: skip
    coordinators = ["/", "/walks/", f"/walks/{walk.pk}/report/", "/areas/testarea/members/"]
    try:
        page = context.new_page()
        for user, addresses in ((coordinator, coordinators), (analyst, ["/areas/testarea/data/"])):
            log_in(page, live_server.url, user.username, PASSWORD)
            for address in addresses:
                page.goto(live_server.url + address)
                assert page.locator("html").get_attribute("lang") == language
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= NARROWEST["width"], f"{address} is {width} px wide in {language}"
                heading = page.locator("h1").evaluate("h => h.scrollWidth <= h.clientWidth")
                assert heading, f"the heading of {address} runs past its box"
            page.context.clear_cookies()
        # The crime categories: no name runs into the next column or past the list.
        overflowing = page.locator(".categories label").evaluate_all(
            "labels => labels.filter(l => l.scrollWidth > l.clientWidth).map(l => l.textContent)"
        )
        assert overflowing == []
    finally:
        context.close()
        connections.close_all()


@pytest.mark.parametrize("language", ["en", "sv", "da"])
def test_the_top_bar_takes_two_rows_on_a_narrow_phone(
    live_server, chromium, capture_area, language
):
    """The name with the languages, then the links: three rows took a sixth of a 740 px screen
    from the map."""
    user = make_member(capture_area, "planner", "phone-planner")
    context = chromium.new_context(
        viewport={"width": 360, "height": 740}, has_touch=True, is_mobile=True
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    try:
        page = context.new_page()
        log_in(page, live_server.url, user.username, PASSWORD)
        page.goto(live_server.url + "/")
        boxes = {
            name: page.locator(selector).bounding_box()
            for name, selector in [
                ("bar", "header.topbar"),
                ("brand", ".topbar .brand"),
                ("languages", ".topbar form.lang"),
                ("links", ".topbar nav > a >> nth=0"),
            ]
        }
        row = boxes["brand"]["height"]
        assert boxes["bar"]["height"] < 2.6 * row + 20, boxes
        # The languages sit beside the name, clear of it and of the links below.
        assert boxes["languages"]["x"] > boxes["brand"]["x"] + boxes["brand"]["width"]
        assert boxes["languages"]["y"] + boxes["languages"]["height"] <= boxes["links"]["y"] + 2
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()
        connections.close_all()
