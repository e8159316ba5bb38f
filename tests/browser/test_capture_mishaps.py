"""What goes wrong in the street, in the capture app: a double tap on Save, a photo the server
will not take, a walk closed while the tablet still holds findings, a session that ended."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.tablet import camera_jpeg, place, sign_in_to_capture
from tests.factories import make_member
from tests.walks.helpers import make_walk
from walks.models import Observation, Photo, Walk


@pytest.fixture
def walker_walk(capture_area):
    walker = make_member(capture_area, "participant", "walker")
    return make_walk(capture_area, [walker])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_double_tap_on_save_stores_one_finding(live_server, tablet, walker_walk):
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    place(page, "vandalism", (300, 300))
    page.locator("#save").dispatch_event("click")
    page.locator("#save").dispatch_event("click")
    expect(page.locator("#sync-count")).to_have_text("All synced")
    page.wait_for_timeout(500)
    assert Observation.objects.count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_photo_the_server_refuses_is_listed_not_dropped_unseen(
    live_server, tablet, walker_walk, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    place(page, "neglect", (300, 300))
    page.set_input_files(
        "#photo", {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo"}
    )
    page.tap("#save")
    listed = page.locator("#rejected .rejected-item")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("disrepair), photo: This file is not a readable JPEG")
    expect(page.locator("#photo-count")).to_have_text("")
    assert Observation.objects.count() == 1 and not Photo.objects.exists()
    listed.locator("button").tap()
    expect(listed).to_have_count(0)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_refused_findings_photo_does_not_wait_to_upload_for_ever(
    live_server, tablet, walker_walk
):
    # The coordinator closed the walk 20 minutes ago (beyond a late tablet's grace); this page
    # still thinks it open, so the finding goes out with a photo and is refused. Its photo has
    # nothing to go to: the bar said "1 photo waiting to upload" for good.
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    Walk.objects.filter(pk=walker_walk.pk).update(
        status="done", closed_at=timezone.now() - timedelta(minutes=20)
    )
    place(page, "neglect", (300, 300))
    page.set_input_files(
        "#photo", {"name": "hedge.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}
    )
    page.tap("#save")
    listed = page.locator("#rejected .rejected-item")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("marked done")
    expect(page.locator("#sync-count")).to_have_text("All synced")
    expect(page.locator("#photo-count")).to_have_text("")
    assert not Observation.objects.exists() and not Photo.objects.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_spot_outside_the_area_is_caught_before_it_is_saved(live_server, tablet, walker_walk):
    # Offline, the server's refusal would come only after the walk: the tablet says it now and
    # keeps the sheet, so the pin can be moved inside the dashed line of the area's edge.
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    tablet.set_offline(True)
    page.evaluate("window.tryggCapture.map.jumpTo({ center: [13.04, 55.605] })")
    page.locator('.kind[data-kind="neglect"]').click()
    page.click("#place")
    page.tap("#save")
    expect(page.locator("#toast")).to_contain_text("m outside the area and would not be accepted")
    expect(page.locator("#toast")).to_have_class(re.compile(r"\bwarn\b"))
    expect(page.locator("#save")).to_be_visible()
    expect(page.locator("#sync-count")).to_have_attribute("data-count", "0")
    assert page.evaluate("window.tryggCapture.map.getLayer('boundary') !== undefined")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_closed_walk_takes_no_new_findings_but_sends_what_the_tablet_holds(
    live_server, tablet, walker_walk
):
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    tablet.set_offline(True)
    place(page, "unsafe_spot", (300, 300))
    page.tap("#save")
    expect(page.locator("#sync-count")).to_have_attribute("data-count", "1")

    walker_walk.status = "done"  # the coordinator closes the walk meanwhile
    walker_walk.save()
    tablet.set_offline(False)
    expect(page.locator("#sync-count")).to_have_text("All synced")
    assert Observation.objects.filter(walk=walker_walk).count() == 1
    # The sync's answer says the walk is closed: the open page greys its kinds out at once.
    expect(page.locator('.kind[data-kind="unsafe_spot"]')).to_be_disabled()

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#hint")).to_contain_text("This walk is done")
    expect(page.locator('.kind[data-kind="unsafe_spot"]')).to_be_disabled()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_ended_session_links_to_the_login_and_sync_resumes_after_it(
    live_server, tablet, walker_walk
):
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    tablet.clear_cookies()
    place(page, "unsafe_spot", (300, 300))
    page.tap("#save")
    login = page.locator("#net a")
    expect(login).to_have_text("Log in again to sync (nothing is lost).")
    assert Observation.objects.count() == 0

    # Logged in again in another tab: the next attempt (the 30 s heartbeat, or here the
    # connection coming back) sends the finding without a reload.
    other = tablet.new_page()
    sign_in_to_capture(other, live_server, walker_walk, "walker")
    other.close()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#sync-count")).to_have_text("All synced")
    assert Observation.objects.count() == 1

    tablet.clear_cookies()
    place(page, "neglect", (320, 320))
    page.tap("#save")
    page.locator("#net a").click()
    page.wait_for_selector("input[name=username]")
    assert page.url.endswith(f"/accounts/login/?next=%2Fwalks%2F{walker_walk.pk}%2Fcapture%2F")


def tap_all(page, *taps):
    for x, y in taps:
        page.touchscreen.tap(x, y)
        page.wait_for_timeout(600)  # two taps within half a second are the map's zoom


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_lines_and_areas_are_drawn_pin_by_pin(live_server, tablet, walker_walk):
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    finish = page.locator("#finish")

    page.tap('.kind[data-kind="blocked_sightline"]')  # drawn one way only: nothing to choose
    expect(page.locator("#shapes")).to_be_hidden()
    page.tap('.kind[data-kind="neglect"]')  # drawn as a point, a line or an area
    expect(page.locator('#shapes [data-shape="point"]')).to_have_class("chosen")
    page.tap('#shapes [data-shape="area"]')
    tap_all(page, (300, 300), (500, 500), (500, 300), (300, 500))  # a bow tie
    expect(page.locator("#hint")).to_have_text(
        "The outline crosses itself: drag a pin to untangle it."
    )
    expect(finish).to_be_disabled()
    page.tap('#shapes [data-shape="area"]')  # chosen already: nothing changes
    page.tap('#shapes [data-shape="line"]')  # another shape starts the drawing afresh
    page.tap('#shapes [data-shape="area"]')
    tap_all(page, (300, 300), (500, 300), (500, 500))
    expect(finish).to_be_enabled()
    tap_all(page, (300, 500))
    finish.tap()
    expect(page.locator("#sheet")).to_be_visible()
    expect(page.locator("#shapes")).to_be_hidden()  # on a phone it would cover Save
    page.tap("#save")
    expect(page.locator("#sync-count")).to_have_text("All synced")

    page.tap('.kind[data-kind="lighting_defect"]')  # a point or a line: no area offered
    expect(page.locator('#shapes [data-shape="area"]')).to_be_hidden()
    page.tap('#shapes [data-shape="line"]')
    tap_all(page, (320, 200), (450, 210), (600, 190))
    finish.tap()
    page.tap("#save")
    expect(page.locator("#sheet")).to_be_hidden()
    for _ in range(50):  # bounded: the sync follows the save within a second or two
        if Observation.objects.count() == 2:
            break
        page.wait_for_timeout(200)

    shapes = {o.kind.code: o.geom for o in Observation.objects.select_related("kind")}
    area, line = shapes["neglect"], shapes["lighting_defect"]
    assert area.geom_type == "Polygon" and len(area.coords[0]) == 5 and area.valid
    assert line.geom_type == "LineString" and len(line.coords) == 3
    page.screenshot(path="tests/browser/screenshots/capture_area.png")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_my_findings_opened_halfway_through_a_line_hide_its_buttons_until_closed(
    live_server, tablet, walker_walk
):
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    place(page, "vandalism", (300, 300))
    page.tap("#save")
    page.tap('.kind[data-kind="neglect"]')
    page.tap('#shapes [data-shape="line"]')
    tap_all(page, (320, 200), (450, 210))
    tools = page.locator(".draw-tools")
    expect(tools).to_be_visible()

    page.tap("#mine-button")
    page.locator("#mine-list button").first.tap()
    expect(page.locator("#finding")).to_be_visible()
    expect(tools).to_be_hidden()  # they sat on the sheet's buttons
    page.tap("#withdraw")
    page.tap("#withdraw-keep")  # reached: nothing lies over it
    page.tap("#finding-close")
    expect(tools).to_be_visible()  # the line goes on where it was
    assert page.locator(".maplibregl-marker").count() == 2
    page.locator("#finish").tap()
    expect(page.locator("#sheet")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_sightline_needs_its_second_pin_away_from_the_first(live_server, tablet, walker_walk):
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    page.tap('.kind[data-kind="blocked_sightline"]')
    tap_all(page, (400, 300), (404, 302))  # the same spot: a line of no length
    expect(page.locator("#hint")).to_have_text("…then tap what you cannot see.")
    expect(page.locator("#sheet")).to_be_hidden()
    assert page.locator(".maplibregl-marker").count() == 1
    tap_all(page, (520, 360))
    expect(page.locator("#sheet")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_save_is_in_reach_on_a_phone_held_sideways(live_server, chromium, walker_walk):
    context = chromium.new_context(
        viewport={"width": 844, "height": 390}, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    page.tap('.kind[data-kind="vandalism"]')
    tap_all(page, (300, 200))
    expect(page.locator("#sheet")).to_be_visible()
    save = page.locator("#save").bounding_box()
    assert save["y"] + save["height"] <= 390  # on the screen without scrolling the sheet
    page.tap("#save")
    expect(page.locator("#sync-count")).to_have_text("All synced")
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_all_synced_waits_for_the_photos(live_server, tablet, walker_walk, settings, tmp_path):
    # The pill turned green "All synced" while the photos were still going up (two minutes on
    # a slow uplink): a participant who sees it closes the app.
    settings.MEDIA_ROOT = tmp_path
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    page.route("**/photos/", lambda route: route.abort())  # the uplink fails for photos
    place(page, "neglect", (300, 300))
    page.set_input_files(
        "#photo", {"name": "hedge.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}
    )
    page.tap("#save")
    expect(page.locator("#sync-count")).to_have_text("1 photo waiting to upload")
    expect(page.locator("#sync-count")).to_have_class("pending")
    page.unroute("**/photos/")
    expect(page.locator("#sync-count")).to_have_text("All synced", timeout=20_000)
    assert Photo.objects.count() == 1


def noisy_jpeg(width, height) -> bytes:
    """A camera-sized JPEG that does not compress: over 15 MB."""
    import io

    import numpy as np
    from PIL import Image

    pixels = np.random.default_rng(7).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=100)
    return buffer.getvalue()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_photo_over_the_servers_limit_is_shrunk_on_the_tablet(
    live_server, tablet, walker_walk, settings, tmp_path
):
    # Refused with 413 after the walk, when the scene could not be photographed again.
    settings.MEDIA_ROOT = tmp_path
    big = noisy_jpeg(5000, 3000)
    assert len(big) > 15 * 1024 * 1024
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    place(page, "neglect", (300, 300))
    page.set_input_files("#photo", {"name": "IMG_9.jpg", "mimeType": "image/jpeg", "buffer": big})
    page.tap("#save")
    for _ in range(300):  # synced in the background: up to 30 s
        if Photo.objects.exists():
            break
        page.wait_for_timeout(100)
    photo = Photo.objects.get()
    assert (photo.width, photo.height) == (4096, 2458)
    expect(page.locator("#rejected")).to_be_hidden()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_full_tablet_says_the_finding_was_not_saved(live_server, tablet, walker_walk):
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": live_server.url, "quotaSize": 1})
    place(page, "neglect", (300, 300))
    page.fill("#note", "Broken bench")
    page.set_input_files(
        "#photo", {"name": "a.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}
    )
    page.tap("#save")
    expect(page.locator("#toast")).to_contain_text("storage is full")
    # Nothing typed is lost: the sheet is still open with the note.
    expect(page.locator("#sheet")).to_be_visible()
    expect(page.locator("#note")).to_have_value("Broken bench")
