"""A finding the server refused is put right on the tablet and sent again: a shape outside the
area is moved on the map, a kind no longer offered is chosen anew. It goes out under the same
client_id (the server stored nothing under it) until the server stores it."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.tablet import sign_in_to_capture
from tests.factories import make_member, square
from tests.walks.helpers import make_walk
from walks.models import Observation, ObservationKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EAST_SIDE = [13.015, 55.605]  # inside the test area, until its west half is all that is left
WEST_SIDE = [13.005, 55.605]


@pytest.fixture
def walker_walk(capture_area):
    walker = make_member(capture_area, "participant", "walker")
    return make_walk(capture_area, [walker])


def capture_at(page, kind, lon_lat, note):
    page.evaluate(f"window.tryggCapture.map.jumpTo({{ center: {lon_lat}, zoom: 15 }})")
    page.tap(f'.kind[data-kind="{kind}"]')
    page.click("#place")
    page.tap('.scale[data-field="severity"] button[value="4"]')
    page.fill("#note", note)
    page.tap("#save")
    expect(page.locator("#sheet")).to_be_hidden()


def refused_client_id(page) -> str:
    return page.evaluate(
        """async () => {
          const { openQueue } = await import("/static/walks/queue.js");
          const [outbox] = await (await openQueue()).outboxes();
          return outbox.findings[0].client_id;
        }"""
    )


def drag_pin_to(page, lon_lat):
    pin = page.locator(".maplibregl-marker").bounding_box()
    target = page.evaluate(f"window.tryggCapture.map.project({lon_lat})")
    frame = page.locator("#map").bounding_box()
    # A pin's point is its bottom centre; it is held a little above.
    page.mouse.move(pin["x"] + pin["width"] / 2, pin["y"] + pin["height"] - 10)
    page.mouse.down()
    page.mouse.move(frame["x"] + target["x"], frame["y"] + target["y"] - 10, steps=8)
    page.mouse.up()


def stored_observation(page):
    for _ in range(100):  # synced in the background: up to 20 s
        if Observation.objects.exists():
            return Observation.objects.select_related("kind").get()
        page.wait_for_timeout(200)
    raise AssertionError("nothing stored")


def test_a_finding_refused_as_outside_the_area_is_moved_and_stored(
    live_server, tablet, walker_walk, capture_area
):
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    tablet.set_offline(True)
    capture_at(page, "unsafe_spot", EAST_SIDE, "Dark corner")
    # The area is redrawn meanwhile: the east half is no longer in it.
    capture_area.boundary = square(13.000, 55.600, 13.009, 55.610)
    capture_area.save()
    tablet.set_offline(False)

    listed = page.locator("#rejected .rejected-item")
    expect(listed).to_contain_text("outside the area")
    client_id = refused_client_id(page)
    listed.get_by_role("button", name="Fix").tap()
    sheet = page.locator("#sheet")
    expect(sheet).to_be_visible()
    expect(page.locator("#sheet-why")).to_contain_text("outside the area")
    expect(page.locator("#note")).to_have_value("Dark corner")
    expect(page.locator('.scale[data-field="severity"] button[value="4"]')).to_have_class("chosen")
    expect(page.locator(".maplibregl-marker")).to_have_count(1)
    screenshot(page, "capture_fix_refused")

    page.evaluate("window.tryggCapture.map.setZoom(14)")
    drag_pin_to(page, WEST_SIDE)
    page.tap("#save")
    expect(sheet).to_be_hidden()
    expect(page.locator("#sync-count")).to_have_text("All synced")
    expect(listed).to_have_count(0)
    stored = stored_observation(page)
    assert str(stored.client_id) == client_id
    assert (stored.note, stored.severity, stored.kind.code) == ("Dark corner", 4, "unsafe_spot")
    assert capture_area.boundary.covers(stored.geom)
    assert stored.geom.x < 13.009


def test_a_finding_of_a_kind_no_longer_offered_gets_another_kind_and_is_stored(
    live_server, tablet, walker_walk, capture_area
):
    ObservationKind.objects.create(
        code="broken_bench",
        area=capture_area,
        label_en="Broken bench",
        label_sv="Trasig bänk",
        label_da="Ødelagt bænk",
        geometry_types=["Point"],
    )
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    tablet.set_offline(True)
    capture_at(page, "broken_bench", WEST_SIDE, "Seat gone")
    ObservationKind.objects.filter(code="broken_bench").delete()  # the coordinator drops it
    tablet.set_offline(False)

    listed = page.locator("#rejected .rejected-item")
    expect(listed).to_contain_text("broken_bench")
    client_id = refused_client_id(page)
    listed.get_by_role("button", name="Fix").tap()
    expect(page.locator("#sheet-why")).to_contain_text("broken_bench")
    page.tap('.kind[data-kind="neglect"]')  # what it is, among the kinds offered
    expect(page.locator("#sheet")).to_be_visible()  # its pin kept: drawn as a point either way
    expect(page.locator("#sheet-title")).to_have_text("Neglect (litter, disrepair)")
    expect(page.locator("#note")).to_have_value("Seat gone")
    page.tap("#save")
    expect(page.locator("#sync-count")).to_have_text("All synced")
    expect(listed).to_have_count(0)
    stored = stored_observation(page)
    assert (str(stored.client_id), stored.kind.code) == (client_id, "neglect")
    assert stored.note == "Seat gone"
