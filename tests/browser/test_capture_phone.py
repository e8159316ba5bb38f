"""The capture app on a phone: the bar wraps instead of pushing its buttons off the screen, the
hint sits below the bar, whatever its height, and the finding placed stays in sight above the
sheet that asks about it; the hint keeps clear of the zoom buttons."""

import pytest
from django.db import connections
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, wait_until
from tests.browser.tablet import place, sign_in_to_capture
from tests.factories import make_member
from tests.walks.helpers import make_walk

PHONE = {"width": 390, "height": 844}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_capture_app_fits_a_phone(live_server, chromium, capture_area):
    walk = make_walk(capture_area, [make_member(capture_area, "participant", "walker")])
    context = chromium.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        sign_in_to_capture(page, live_server, walk, "walker")
        for control in ("#locate", "#language", "#sync-count"):
            box = page.locator(control).bounding_box()
            assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], control
        bar = page.locator(".bar").bounding_box()
        hint = page.locator("#hint").bounding_box()
        assert hint["y"] >= bar["y"] + bar["height"]  # not over the bar's buttons
        # As wide as the room between the zoom buttons allows: it wrapped at half the screen
        # and stood five lines tall over the map.
        zoom = page.locator(".maplibregl-ctrl-zoom-in").bounding_box()
        assert hint["x"] + hint["width"] <= zoom["x"]
        assert hint["width"] > 0.6 * PHONE["width"]
        assert hint["height"] < 100  # three lines at most
        place(page, "unsafe_spot", (200, 500))
        sheet = page.locator("#sheet").bounding_box()
        assert sheet["x"] >= 0 and sheet["x"] + sheet["width"] <= PHONE["width"]
        assert page.locator("#save").is_visible()
    finally:
        context.close()
        connections.close_all()  # as the tablet fixture does (tests/browser/conftest.py)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1024, 820, 390])
def test_the_bars_buttons_stay_put_whatever_the_connection_says(
    live_server, chromium, capture_area, width
):
    """The connection's words ("Online", "Retrying in 32 s", "You are no longer a participant…")
    moved the buttons between the bar's rows as they changed length: a thumb on its way to
    *My findings* met *My position*."""
    walk = make_walk(capture_area, [make_member(capture_area, "participant", "walker")])
    context = chromium.new_context(
        viewport={"width": width, "height": 768}, has_touch=True, is_mobile=True
    )
    try:
        page = context.new_page()
        sign_in_to_capture(page, live_server, walk, "walker")
        places = []
        for words in (
            "Online",
            "Retrying in 32 s",
            "You are no longer a participant of this walk: ask your coordinator.",
            "Vandringen finns inte längre på servern",
        ):
            page.evaluate(f"document.getElementById('net').textContent = {words!r}")
            places.append(
                [page.locator(c).bounding_box() for c in ("#locate", "#mine-button", "#language")]
            )
        assert all(place == places[0] for place in places), places
        for box in places[0]:
            assert 0 <= box["x"] and box["x"] + box["width"] <= width
    finally:
        context.close()
        connections.close_all()


# Whether every pin of the finding being drawn stands, head and tip, on the map between the hint
# and the open sheet, once the map has stopped moving.
PINS_IN_SIGHT = """(() => {
  if (window.tryggCapture.map.isMoving()) return false;
  const hint = document.getElementById("hint").getBoundingClientRect();
  const sheet = document.getElementById("sheet").getBoundingClientRect();
  const pins = [...document.querySelectorAll(".maplibregl-marker")];
  return pins.length > 0 && pins.every((pin) => {
    const box = pin.getBoundingClientRect();
    return box.top >= hint.bottom && box.bottom <= sheet.top;
  });
})()"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_finding_placed_stays_in_sight_above_the_sheet(
    live_server, chromium, capture_area
):
    """The sheet covered most of a phone's map, the pin just placed with it: the sheet keeps to
    under half the screen (scrolling inside, Save in reach) and the map brings the finding into
    the band above it."""
    walk = make_walk(capture_area, [make_member(capture_area, "participant", "walker")])
    context = chromium.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        sign_in_to_capture(page, live_server, walk, "walker")
        place(page, "unsafe_spot", (200, 600))  # low on the map: where the sheet opens
        sheet = page.locator("#sheet").bounding_box()
        assert sheet["height"] <= PHONE["height"] / 2
        assert page.locator("#save").is_visible() and page.locator("#cancel").is_visible()
        wait_until(page, PINS_IN_SIGHT)
        # One pin: the hint speaks of it, not of pins.
        expect(page.locator("#hint")).to_have_text("Drag the pin to adjust, then save.")
        screenshot(page, "capture_phone_point_in_sight")
        page.tap("#cancel")

        # An area drawn low on the map: all its corners come above the sheet.
        page.tap('.kind[data-kind="neglect"]')
        page.tap('#shapes [data-shape="area"]')
        for x, y in [(110, 560), (290, 580), (220, 690)]:
            page.touchscreen.tap(x, y)
        expect(page.locator(".maplibregl-marker")).to_have_count(3)
        page.tap("#finish")
        expect(page.locator("#sheet")).to_be_visible()
        wait_until(page, PINS_IN_SIGHT)
        expect(page.locator("#hint")).to_have_text("Drag the pins to adjust, then save.")
        screenshot(page, "capture_phone_area_in_sight")
    finally:
        context.close()
        connections.close_all()
