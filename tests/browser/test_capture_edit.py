"""A participant corrects a finding of theirs the server already has, with the tablet offline:
Edit opens the sheet on it, its answers and note filled in and its pin to drag; the map shows
the correction at once, and the server has it once the connection is back."""

import pytest
from playwright.sync_api import expect

from geo.models import AuditEntry
from tests.browser.tablet import sign_in_to_capture, stored_photo
from tests.browser.test_capture_fix import capture_at, drag_pin_to, stored_observation
from tests.browser.test_capture_withdraw import rendered
from tests.browser.test_planner_map import jpeg
from tests.factories import make_member, square
from tests.walks.helpers import make_walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLACED = [13.005, 55.605]
MOVED = [13.0053, 55.605]  # about 20 m east: the pin was placed on the wrong side of a corner


def tap_at(page, lon_lat):
    """A thumb on the map where `lon_lat` is drawn (not a double tap: see test_capture_withdraw)."""
    page.wait_for_timeout(600)
    frame = page.locator("#map").bounding_box()
    point = page.evaluate(f"window.tryggCapture.map.project({lon_lat})")
    page.touchscreen.tap(frame["x"] + point["x"], frame["y"] + point["y"])


def with_a_sent_finding(live_server, tablet, capture_area, where):
    """A participant's capture page, online, with their "Drak corner" at `where` stored and
    drawn as the server's copy (known as theirs, so Edit is offered)."""
    walker = make_member(capture_area, "participant", "walker")
    walk = make_walk(capture_area, [walker])
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walk, "walker")
    capture_at(page, "unsafe_spot", where, "Drak corner")
    expect(page.locator("#sync-count")).to_have_text("All synced")
    finding = stored_observation(page)
    rendered(page, "stored", 1)
    return page, finding


def test_a_sent_finding_is_corrected_offline_and_the_server_has_it_once_online(
    live_server, tablet, capture_area
):
    page, finding = with_a_sent_finding(live_server, tablet, capture_area, PLACED)
    counter = page.locator("#sync-count")

    tablet.set_offline(True)
    expect(page.locator("#net")).to_have_text("Offline")
    page.evaluate(f"window.tryggCapture.map.jumpTo({{ center: {PLACED}, zoom: 18 }})")
    tap_at(page, PLACED)
    expect(page.locator("#finding-details")).to_contain_text("Drak corner")
    page.tap("#edit")
    sheet = page.locator("#sheet")
    expect(sheet).to_be_visible()
    expect(page.locator("#sheet-title")).to_have_text("Unsafe spot")
    expect(page.locator("#sheet-why")).to_be_hidden()
    expect(page.locator("#note")).to_have_value("Drak corner")
    expect(page.locator('.scale[data-field="severity"] button[value="4"]')).to_have_class("chosen")
    expect(page.locator(".maplibregl-marker")).to_have_count(1)

    # Another kind, a severity thought better of, the typo, and the pin dragged to its place.
    page.tap('.kind[data-kind="lighting_defect"]')
    expect(page.locator("#sheet-title")).to_have_text("Lighting defect")
    expect(page.locator("#note")).to_have_value("Drak corner")  # kept with the new kind
    page.tap('.scale[data-field="severity"] button[value="2"]')
    page.fill("#note", "Dark corner")
    drag_pin_to(page, MOVED)
    page.tap("#save")
    expect(sheet).to_be_hidden()

    # On the map at once, as waiting to sync, in place of the server's copy.
    expect(counter).to_have_text("1 waiting to sync")
    rendered(page, "queued", 1)
    rendered(page, "stored", 0)
    tap_at(page, MOVED)
    expect(page.locator("#finding-title")).to_have_text("Lighting defect")
    expect(page.locator("#finding-details")).to_contain_text("Dark corner")
    expect(page.locator("#finding-details")).to_contain_text("not synced yet")
    page.tap("#finding-close")
    finding.refresh_from_db()
    assert finding.note == "Drak corner"  # the server has not heard of it yet

    tablet.set_offline(False)
    expect(counter).to_have_text("All synced")
    rendered(page, "stored", 1)
    rendered(page, "queued", 0)
    finding.refresh_from_db()
    assert (finding.kind.code, finding.severity, finding.note) == (
        "lighting_defect",
        2,
        "Dark corner",
    )
    assert finding.geom.x == pytest.approx(MOVED[0], abs=0.00005)  # within 3 m
    assert AuditEntry.objects.get().action == "observation.correct"
    tap_at(page, MOVED)
    expect(page.locator("#finding-details")).to_contain_text("Dark corner")
    expect(page.locator("#finding-details")).not_to_contain_text("not synced yet")


EDIT_THEN_WITHDRAW = """async () => {
  const { openQueue } = await import("/static/walks/queue.js");
  const queue = await openQueue();
  const sent = { client_id: "5f0c1e2a-7b3d-4c8e-9a61-2d4e6f8a0b13", kind: "other", note: "Drak" };
  const waits = { client_id: "9d2b4f6a-1c3e-4a5b-8d7f-0e2c4a6b8d1f", kind: "other", note: "Drak" };
  await queue.add(7, waits, null);
  await queue.correct(7, { ...sent, note: "Dark", id: 1 }, null);   // on the server already
  await queue.correct(7, { ...waits, note: "Dark" }, null);          // never sent
  const before = {
    corrections: (await queue.corrections(7)).map((c) => [c.client_id, c.note]),
    outbox: (await queue.pending(7)).map((o) => [o.client_id, o.note]),
  };
  await queue.withdraw(7, sent.client_id);
  return { before, after: await queue.counts(7) };
}"""


def test_an_edit_changes_what_waits_and_a_withdrawal_drops_it(live_server, tablet):
    """A finding never sent is corrected in the outbox itself; one the server has waits as a
    correction, which its withdrawal then drops (nothing is left to correct)."""
    page = tablet.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    result = page.evaluate(EDIT_THEN_WITHDRAW)
    assert result["before"] == {
        "corrections": [["5f0c1e2a-7b3d-4c8e-9a61-2d4e6f8a0b13", "Dark"]],
        "outbox": [["9d2b4f6a-1c3e-4a5b-8d7f-0e2c4a6b8d1f", "Dark"]],
    }
    assert result["after"] == {
        "observations": 1,
        "photos": 0,
        "rejected": 0,
        "withdrawals": 1,
        "corrections": 0,
    }


INSIDE = [13.008, 55.605]
# Over the line the area is redrawn along meanwhile (13.009), beyond the 100 m allowed past it.
ACROSS = [13.0112, 55.605]
BESIDE_THE_SHEET = [13.0115, 55.605]  # a centre at zoom 16 that shows both left of the sheet


def test_a_correction_the_server_refuses_is_listed_and_put_right_with_fix(
    live_server, tablet, capture_area
):
    """Corrected offline to a place the area no longer takes: the server keeps the finding as
    it was, the tablet lists the correction with the reason and Fix; moved back, it goes."""
    page, finding = with_a_sent_finding(live_server, tablet, capture_area, INSIDE)
    counter = page.locator("#sync-count")

    tablet.set_offline(True)
    page.evaluate(f"window.tryggCapture.map.jumpTo({{ center: {INSIDE}, zoom: 17 }})")
    tap_at(page, INSIDE)
    page.tap("#edit")
    page.fill("#note", "Dark corner")
    page.evaluate(f"window.tryggCapture.map.jumpTo({{ center: {BESIDE_THE_SHEET}, zoom: 16 }})")
    drag_pin_to(page, ACROSS)
    page.tap("#save")
    expect(counter).to_have_text("1 waiting to sync")
    capture_area.boundary = square(13.000, 55.600, 13.009, 55.610)
    capture_area.save()
    tablet.set_offline(False)

    listed = page.locator("#rejected .rejected-item")
    expect(listed).to_contain_text("its correction")
    expect(listed).to_contain_text("outside the area")
    finding.refresh_from_db()
    assert finding.note == "Drak corner" and finding.geom.x < 13.009  # as it was
    assert not AuditEntry.objects.exists()

    listed.get_by_role("button", name="Fix").tap()
    expect(page.locator("#sheet-why")).to_contain_text("outside the area")
    expect(page.locator("#note")).to_have_value("Dark corner")
    page.evaluate(f"window.tryggCapture.map.jumpTo({{ center: {BESIDE_THE_SHEET}, zoom: 16 }})")
    drag_pin_to(page, INSIDE)
    page.tap("#save")
    expect(page.locator("#sheet")).to_be_hidden()
    expect(listed).to_have_count(0)
    expect(counter).to_have_text("All synced")
    for _ in range(100):  # sent in the background: up to 20 s
        finding.refresh_from_db()
        if finding.note == "Dark corner":
            break
        page.wait_for_timeout(200)
    assert finding.note == "Dark corner"
    assert finding.geom.x == pytest.approx(INSIDE[0], abs=0.0002)
    assert AuditEntry.objects.get().action == "observation.correct"


def test_a_photo_of_ones_own_is_removed_with_a_second_tap(
    live_server, tablet, capture_area, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    page, finding = with_a_sent_finding(live_server, tablet, capture_area, PLACED)
    stored_photo(finding, jpeg())
    page.reload()
    page.wait_for_function("() => window.tryggCapture?.map?.loaded()")
    rendered(page, "stored", 1)
    page.evaluate(f"window.tryggCapture.map.jumpTo({{ center: {PLACED}, zoom: 18 }})")
    tap_at(page, PLACED)
    remove = page.locator("#finding-details .finding-photos button")
    expect(remove).to_have_text("Remove")
    remove.tap()
    # One tap only asks: a thumb brushing it removes nothing.
    expect(remove).to_have_text("Tap again to remove")
    page.wait_for_timeout(300)
    assert finding.photos.count() == 1 and not AuditEntry.objects.exists()
    remove.tap()
    expect(page.locator("#finding-details .finding-photos figure")).to_have_count(0)
    assert finding.photos.count() == 0
    assert AuditEntry.objects.get().action == "photo.remove"
