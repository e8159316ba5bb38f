"""The capture map under a participant's thumb: a tap that covers several findings asks which
one, and the floating drawing tools neither catch a tap meant for the map nor hide the spot the
cross marks."""

import uuid

import pytest
from django.contrib.gis.geos import Point
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.tablet import TABLET, place, sign_in_to_capture
from tests.factories import make_member
from tests.walks.helpers import make_walk
from walks.models import Observation, ObservationKind

PHONE = {"width": 390, "height": 844}
SIDEWAYS = {"width": 640, "height": 360}  # a small phone held sideways: the map is a strip


# How many findings the map draws (a point near a tile's edge is drawn in both tiles).
DRAWN = """(count) => new Set(window.tryggCapture.map
  .queryRenderedFeatures({layers: ['stored-points', 'queued-points']})
  .map((f) => f.properties.client_id)).size === count"""


PROJECTED = "(lonLat) => { const p = window.tryggCapture.map.project(lonLat); return [p.x, p.y]; }"


def map_middle(page):
    box = page.locator("#map").bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def lon_lat_at(page, x, y):
    box = page.locator("#map").bounding_box()
    return page.evaluate(
        "([x, y]) => window.tryggCapture.map.unproject([x, y]).toArray()",
        [x - box["x"], y - box["y"]],
    )


def stored(walk, author, kind, lon_lat, severity):
    return Observation.objects.create(
        walk=walk,
        author=author,
        kind=ObservationKind.objects.get(code=kind),
        geom=Point(*lon_lat, srid=4326),
        severity=severity,
        captured_at=timezone.now(),
        client_id=uuid.uuid4(),
    )


def tap_map(page, x, y):
    # Two taps on one spot within half a second are the map's double-tap zoom, not a click.
    page.wait_for_timeout(600)
    page.touchscreen.tap(x, y)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_tap_on_findings_close_together_asks_which_one(live_server, tablet, capture_area):
    # Two findings on one spot: a tap opened the topmost only, the other could not be read.
    walker, fellow = (make_member(capture_area, "participant", n) for n in ("walker", "fellow"))
    walk = make_walk(capture_area, [walker, fellow])
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walk, "walker")
    x, y = map_middle(page)
    stored(walk, fellow, "vandalism", lon_lat_at(page, x, y), 4)
    stored(walk, walker, "hiding_place", lon_lat_at(page, x + 10, y), 2)
    alone = stored(walk, fellow, "drug_dealing", lon_lat_at(page, x - 200, y + 100), 5)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    # And one of the participant's own on the same spot, still waiting on the tablet.
    tablet.set_offline(True)
    place(page, "neglect", (x - 6, y + 6))
    page.tap("#save")
    expect(page.locator("#sync-count")).to_have_text("1 waiting to sync")
    page.wait_for_function(DRAWN, arg=4)

    tap_map(page, x, y)
    chooser = page.locator("#here")
    expect(chooser).to_be_visible()
    expect(page.locator("#finding")).to_be_hidden()
    choices = page.locator("#here-list button")
    expect(choices).to_have_count(3)
    expect(page.locator("#here-title")).to_be_focused()
    expect(choices.filter(has_text="Neglect")).to_contain_text("not synced yet")
    expect(choices.filter(has_text="Vandalism")).to_contain_text("Severity: 4 of 5")
    expect(choices.filter(has_text="Vandalism")).not_to_contain_text("not synced")
    expect(choices.filter(has_text="Hiding place")).to_contain_text("Severity: 2 of 5")
    screenshot(page, "capture_which_finding")
    choices.filter(has_text="Hiding place").tap()
    expect(chooser).to_be_hidden()
    expect(page.locator("#finding-title")).to_have_text("Hiding place")
    expect(page.locator("#finding-details")).to_contain_text("yours")

    # By keyboard: into the list, the next one, Enter; Escape closes the list as a whole.
    page.keyboard.press("Escape")
    expect(page.locator("#finding")).to_be_hidden()
    tap_map(page, x, y)
    expect(page.locator("#here-title")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(choices.nth(1)).to_be_focused()
    second = choices.nth(1).locator("strong").text_content()
    page.keyboard.press("Enter")
    expect(page.locator("#finding-title")).to_have_text(second)
    expect(page.locator("#finding-title")).to_be_focused()
    page.keyboard.press("Escape")
    tap_map(page, x, y)
    expect(chooser).to_be_visible()
    page.select_option("#language", "sv")  # the list says it again in the language chosen
    expect(page.locator("#here-title")).to_have_text("Flera observationer här: vilken?")
    expect(choices.filter(has_text="Nedskräpning")).to_contain_text("inte synkad ännu")
    page.select_option("#language", "en")
    page.keyboard.press("Escape")
    expect(chooser).to_be_hidden()
    expect(page.locator(".kind").first).to_be_focused()

    # One finding under the thumb opens at once, as before.
    alone_at = page.evaluate(PROJECTED, list(alone.geom.coords))
    box = page.locator("#map").bounding_box()
    tap_map(page, box["x"] + alone_at[0], box["y"] + alone_at[1])
    expect(page.locator("#finding-title")).to_have_text("Drug dealing")
    expect(chooser).to_be_hidden()


# A spot inside the drawing tools' box that none of its buttons covers (the gap between them,
# or beside a shorter row), at least 3 px from any of them.
BESIDE_THE_BUTTONS = """() => {
  const box = document.querySelector(".draw-tools").getBoundingClientRect();
  const buttons = [...document.querySelectorAll(".draw-tools button")]
    .filter((b) => b.offsetParent !== null)
    .map((b) => b.getBoundingClientRect());
  const near = (x, y) =>
    buttons.some((r) => x > r.left - 3 && x < r.right + 3 && y > r.top - 3 && y < r.bottom + 3);
  for (let y = Math.ceil(box.top); y < box.bottom; y++)
    for (let x = Math.ceil(box.left); x < box.right; x++) if (!near(x, y)) return [x, y];
  return null;
}"""


def assert_pin_at(page, lon_lat):
    """The pin stands on `lon_lat`, wherever the map moved it to as the sheet opened (on a phone
    the sheet moves the map to keep the pin in sight)."""
    page.wait_for_function("() => !window.tryggCapture.map.isMoving()")
    box = page.locator("#map").bounding_box()
    x, y = page.evaluate(PROJECTED, lon_lat)
    # The tip of MapLibre's pin is on its spot: centred, above the shadow at the box's bottom.
    pin = page.locator(".maplibregl-marker").bounding_box()
    assert abs(pin["x"] + pin["width"] / 2 - box["x"] - x) < 3, (pin, x, y)
    assert 0 <= pin["y"] + pin["height"] - box["y"] - y <= 16, (pin, x, y)


def overlaps(a, b):
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", [PHONE, TABLET, SIDEWAYS], ids=["phone", "tablet", "sideways"])
def test_the_drawing_tools_leave_the_map_to_the_thumb(live_server, chromium, capture_area, screen):
    walk = make_walk(capture_area, [make_member(capture_area, "participant", "walker")])
    context = chromium.new_context(viewport=screen, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        sign_in_to_capture(page, live_server, walk, "walker")
        page.tap('.kind[data-kind="neglect"]')  # a point, a line or an area: all the tools
        expect(page.locator("#shapes")).to_be_visible()
        expect(page.locator("#place")).to_be_visible()
        name = f"capture_tools_{screen['width']}x{screen['height']}"
        screenshot(page, name)

        buttons = page.locator(".draw-tools button:visible")
        expect(buttons).to_have_count(4)  # Place at the cross, Point, Line, Area
        for box in (buttons.nth(i).bounding_box() for i in range(4)):
            assert box["width"] >= 44 and box["height"] >= 44, box
            assert box["x"] >= 0 and box["x"] + box["width"] <= screen["width"], box
        # The spot the cross marks stays in sight, on the map, clear of the tools.
        cross = page.locator("#crosshair").bounding_box()
        map_box = page.locator("#map").bounding_box()
        assert (
            map_box["y"] <= cross["y"]
            and cross["y"] + cross["height"] <= map_box["y"] + (map_box["height"])
        )
        for i in range(4):
            assert not overlaps(cross, buttons.nth(i).bounding_box()), (cross, i)

        # A tap beside the buttons, inside the tools' box, places the pin there.
        spot = page.evaluate(BESIDE_THE_BUTTONS)
        assert spot is not None
        assert page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).classList.contains('maplibregl-canvas')",
            spot,
        )
        spot_at = lon_lat_at(page, *spot)
        page.touchscreen.tap(*spot)
        expect(page.locator("#sheet")).to_be_visible()
        assert_pin_at(page, spot_at)
        page.tap("#cancel")

        # Place at the cross puts the pin where the cross stands.
        page.tap('.kind[data-kind="neglect"]')
        cross = page.locator("#crosshair").bounding_box()
        cross_at = lon_lat_at(
            page, cross["x"] + cross["width"] / 2, cross["y"] + cross["height"] / 2
        )
        page.tap("#place")
        expect(page.locator("#sheet")).to_be_visible()
        assert_pin_at(page, cross_at)
    finally:
        context.close()
        connections.close_all()  # as the tablet fixture does (tests/browser/conftest.py)
