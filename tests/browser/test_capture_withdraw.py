"""A participant taps a finding on the capture map to read it, and withdraws their own (a wrong
tap, the wrong kind) while the walk is open: at once if it never left the tablet, on the server
when the connection allows. Others' findings are read-only."""

import uuid

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone
from playwright.sync_api import expect

from geo.models import AuditEntry
from tests.browser.tablet import camera_jpeg, place, sign_in_to_capture, stored_photo
from tests.factories import make_member
from tests.walks.helpers import make_walk
from walks.models import Observation, ObservationKind


def rendered(page, source, count):
    """Wait until the map draws `count` points of `source` (stored or queued)."""
    page.wait_for_function(
        "([layer, count]) => window.tryggCapture.map"
        ".queryRenderedFeatures({layers: [layer]}).length === count",
        arg=[f"{source}-points", count],
    )


def stored_points(page, count):
    rendered(page, "stored", count)


def tap_finding(page, x, y):
    # Two taps on one spot within half a second are the map's double-tap zoom, not a click:
    # a participant's thumb comes back to a finding just placed more slowly than this test.
    page.wait_for_timeout(600)
    page.touchscreen.tap(x, y)
    expect(page.locator("#finding")).to_be_visible()


def withdraw(page):
    page.tap("#withdraw")
    expect(page.locator("#withdraw-confirm")).to_be_visible()
    page.tap("#withdraw-confirm")
    expect(page.locator("#finding")).to_be_hidden()
    expect(page.locator("#toast")).to_have_text("Withdrawn.")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_participant_withdraws_their_own_findings(
    live_server, tablet, capture_area, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    area = capture_area
    walker, fellow = (make_member(area, "participant", name) for name in ("walker", "fellow"))
    walk = make_walk(area, [walker, fellow])

    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walk, "walker")
    counter = page.locator("#sync-count")
    map_box = page.locator("#map").bounding_box()
    # The fellow participant's finding, in the map's middle: readable, not withdrawable.
    middle = (map_box["x"] + map_box["width"] / 2, map_box["y"] + map_box["height"] / 2)
    fellows = Observation.objects.create(
        walk=walk,
        author=fellow,
        kind=ObservationKind.objects.get(code="neglect"),
        geom=Point(
            *page.evaluate(
                f"() => window.tryggCapture.map.unproject([{middle[0] - map_box['x']},"
                f" {middle[1] - map_box['y']}]).toArray()"
            ),
            srid=4326,
        ),
        note="Broken bench",
        captured_at=timezone.now(),
        client_id=uuid.uuid4(),
    )
    stored_photo(fellows, camera_jpeg(), "bench")

    # Online: saved, synced, then withdrawn from the server.
    place(page, "unsafe_spot", (300, 250))
    page.tap('.scale[data-field="severity"] button[value="4"]')
    page.tap("#save")
    expect(counter).to_have_attribute("data-count", "0")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    stored_points(page, 2)
    tap_finding(page, *middle)
    expect(page.locator("#finding-details")).to_contain_text("Broken bench")
    # Its photo, through the API's permission check (a participant of the walk may see it).
    page.wait_for_function("() => document.querySelector('.finding-photos img')?.naturalWidth > 0")
    expect(page.locator("#withdraw")).to_be_hidden()
    page.tap("#finding-close")

    tap_finding(page, 300, 250)
    expect(page.locator("#finding-title")).to_have_text("Unsafe spot")
    expect(page.locator("#finding-details")).to_contain_text("yours")
    expect(page.locator("#finding-details")).to_contain_text("Severity: 4 of 5")
    page.tap("#withdraw")
    page.tap("#withdraw-keep")  # second thoughts: nothing happens
    expect(page.locator("#withdraw")).to_be_visible()
    assert Observation.objects.filter(author=walker).count() == 1
    withdraw(page)
    expect(counter).to_have_attribute("data-count", "0")
    stored_points(page, 1)
    assert list(Observation.objects.all()) == [fellows]
    assert AuditEntry.objects.get().action == "observation.withdraw"

    # Offline, never synced: it goes from the tablet and the server never hears of it.
    tablet.set_offline(True)
    expect(page.locator("#net")).to_have_text("Offline")
    place(page, "hiding_place", (500, 300))
    page.tap("#save")
    expect(counter).to_have_attribute("data-count", "1")
    rendered(page, "queued", 1)
    tap_finding(page, 500, 300)
    expect(page.locator("#finding-details")).to_contain_text("not synced yet")
    withdraw(page)
    expect(counter).to_have_attribute("data-count", "0")

    # Synced, then withdrawn offline: hidden at once, gone from the server once online.
    tablet.set_offline(False)
    place(page, "safe_place", (420, 560))
    page.tap("#save")
    expect(counter).to_have_attribute("data-count", "0")
    stored_points(page, 2)
    tablet.set_offline(True)
    expect(page.locator("#net")).to_have_text("Offline")
    tap_finding(page, 420, 560)
    withdraw(page)
    expect(counter).to_have_text("1 waiting to sync")
    stored_points(page, 1)
    assert Observation.objects.filter(kind__code="safe_place").exists()
    page.select_option("#language", "sv")
    tap_finding(page, *middle)
    expect(page.locator("#finding-close")).to_have_text("Stäng")
    page.screenshot(path="tests/browser/screenshots/capture_finding.png")
    page.tap("#finding-close")

    tablet.set_offline(False)
    expect(counter).to_have_attribute("data-count", "0")
    assert list(Observation.objects.all()) == [fellows]
    assert AuditEntry.objects.filter(action="observation.withdraw").count() == 2


QUEUE_RACE = """async () => {
  const { openQueue } = await import("/static/walks/queue.js");
  const queue = await openQueue();
  const item = { client_id: "0b7a3d8e-2f6c-4a51-9d3e-6c1f0e2a9b47", kind: "other" };
  await queue.add(7, item, null);
  await queue.markSent([item.client_id]);   // a sync takes it out...
  await queue.withdraw(7, item.client_id);  // ...and its author withdraws it meanwhile
  const waiting = await queue.withdrawals(7);
  await queue.settle(7, [item], [{ client_id: item.client_id, status: "rejected", errors: {} }]);
  return {
    waiting: waiting.map((w) => w.client_id),
    rejected: (await queue.rejected(7)).length,
    counts: await queue.counts(7),
  };
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_finding_withdrawn_during_its_sync_leaves_nothing_to_look_at(live_server, tablet):
    """The server rejected it, but its author had withdrawn it: no "not accepted" entry, and
    the withdrawal still goes out (the server may hold it after a lost answer)."""
    page = tablet.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    result = page.evaluate(QUEUE_RACE)
    assert result["waiting"] == ["0b7a3d8e-2f6c-4a51-9d3e-6c1f0e2a9b47"]
    assert result["rejected"] == 0
    assert result["counts"] == {
        "observations": 0,
        "photos": 0,
        "rejected": 0,
        "withdrawals": 1,
        "corrections": 0,
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("light, dark", [("night", True), ("day", False)])
def test_a_night_walk_gets_a_dark_map(live_server, tablet, capture_area, light, dark):
    """A bright screen in the dark dazzles its holder and draws eyes to them."""
    walk = make_walk(
        capture_area, [make_member(capture_area, "participant", "walker")], light=light
    )
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walk, "walker")
    assert page.evaluate("document.body.classList.contains('night')") is dark
    fill = page.evaluate("window.tryggCapture.map.getPaintProperty('blocks', 'fill-color')")
    assert fill == ("#1c2a35" if dark else "#fdfcf7")
    sheet = page.locator("#sheet")
    place(page, "unsafe_spot", (300, 250))
    background = sheet.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == ("rgb(28, 42, 53)" if dark else "rgb(253, 252, 247)")
