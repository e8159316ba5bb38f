"""A whole walk offline on a tablet: everything captured arrives once when the network returns."""

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.tablet import camera_jpeg, place, sign_in_to_capture
from tests.factories import make_member
from tests.walks.helpers import make_walk
from walks.models import Observation, Photo

# The page's own scripts, and those of them the service worker's caches do not hold.
SCRIPTS_NOT_PRECACHED = """async () => {
  const loaded = performance.getEntriesByType("resource")
    .map((entry) => new URL(entry.name))
    .filter((url) => url.origin === location.origin && /[.]m?js$/.test(url.pathname))
    .map((url) => url.pathname);
  const missing = [];
  for (const path of loaded) if (!(await caches.match(path))) missing.push(path);
  return [loaded, missing];
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_three_observations_captured_offline_arrive_exactly_once(
    live_server, tablet, capture_area, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    area = capture_area
    walker = make_member(area, "participant", "walker")
    walk = make_walk(area, [walker])

    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walk, "walker")
    counter = page.locator("#sync-count")
    expect(counter).to_have_attribute("data-count", "0")

    tablet.set_offline(True)
    expect(page.locator("#net")).to_have_text("Offline")

    place(page, "unsafe_spot", (300, 250))
    page.tap('.scale[data-field="severity"] button[value="4"]')
    page.tap('.scale[data-field="feeling"] button[value="1"]')
    page.fill("#note", "No light in the underpass")
    page.tap("#save")
    expect(counter).to_have_attribute("data-count", "1")

    place(page, "blocked_sightline", (250, 450), (450, 350))
    page.tap('.scale[data-field="feeling"] button[value="2"]')
    page.set_input_files(
        "#photo", {"name": "hedge.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}
    )
    page.tap("#save")
    expect(counter).to_have_attribute("data-count", "2")

    place(page, "safe_place", (420, 560))
    expect(page.locator('.scale[data-field="severity"]')).to_be_hidden()  # a safe place
    page.tap('.scale[data-field="feeling"] button[value="5"]')
    page.tap("#save")
    # Switching language while the toast shows re-words it.
    page.select_option("#language", "sv")
    expect(page.locator("#toast")).to_have_text("Sparat på surfplattan.")
    page.select_option("#language", "en")

    expect(counter).to_have_attribute("data-count", "3")
    expect(counter).to_have_text("3 waiting to sync")
    expect(page.locator("#photo-count")).to_have_text("+ 1 photo")
    assert Observation.objects.count() == 0

    tablet.set_offline(False)
    expect(counter).to_have_attribute("data-count", "0")
    expect(counter).to_have_text("All synced")
    expect(page.locator("#photo-count")).to_have_text("")

    stored = {o.kind.code: o for o in Observation.objects.select_related("kind")}
    assert sorted(stored) == ["blocked_sightline", "safe_place", "unsafe_spot"]
    assert Observation.objects.count() == 3
    spot, sightline = stored["unsafe_spot"], stored["blocked_sightline"]
    assert (spot.severity, spot.feeling, spot.note) == (4, 1, "No light in the underpass")
    assert spot.geom.geom_type == "Point" and area.boundary.covers(spot.geom)
    assert sightline.geom.geom_type == "LineString" and len(sightline.geom.coords) == 2
    assert stored["safe_place"].feeling == 5
    assert all(o.author == walker and o.accuracy_m == 15 for o in stored.values())
    [photo] = Photo.objects.all()
    assert photo.observation == sightline
    assert dict(Image.open(photo.image.path).getexif()) == {}

    page.select_option("#language", "sv")
    expect(counter).to_have_text("Allt synkat")
    expect(page.locator('.kind[data-kind="blocked_sightline"]')).to_have_text("Skymd sikt")
    # The map's own controls too, without a reload.
    expect(page.locator(".maplibregl-ctrl-zoom-in")).to_have_attribute("aria-label", "Zooma in")
    page.screenshot(path="tests/browser/screenshots/capture_synced.png")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_capture_app_reopens_offline_with_its_queue(live_server, tablet, capture_area):
    walk = make_walk(capture_area, [make_member(capture_area, "participant", "walker")])

    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walk, "walker")
    page.wait_for_selector("body[data-offline-ready=true]")
    # The reload below may still find the app's modules in the browser's own cache; a tablet
    # opening it the next day finds them only in the worker's: every script the page loaded is
    # there (one missing and the app does not start offline).
    loaded, missing = page.evaluate(SCRIPTS_NOT_PRECACHED)
    assert {"/static/walks/capture.js", "/static/walks/sync.js"} <= set(loaded)
    assert missing == []

    tablet.set_offline(True)
    place(page, "hiding_place", (500, 300))
    page.tap("#save")
    expect(page.locator("#sync-count")).to_have_attribute("data-count", "1")

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#sync-count")).to_have_text("1 waiting to sync")
    expect(page.locator('.kind[data-kind="hiding_place"]')).to_be_visible()
    # The basemap came from the worker's cache: the area's blocks are on the map.
    page.wait_for_function(
        "() => window.tryggCapture.map.querySourceFeatures('blocks')"
        ".some(f => f.properties.population === 100)"
    )
    assert Observation.objects.count() == 0

    tablet.set_offline(False)
    expect(page.locator("#sync-count")).to_have_attribute("data-count", "0")
    assert Observation.objects.get().kind.code == "hiding_place"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_tablet_passed_round_sends_each_finding_under_its_authors_name(
    live_server, tablet, capture_area
):
    # The outbox was the walk's: what one participant captured offline went out under the name
    # of whoever logged in next on the tablet.
    anna, bo = (make_member(capture_area, "participant", name) for name in ("anna", "bo"))
    walk = make_walk(capture_area, [anna, bo])
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walk, "anna")
    tablet.set_offline(True)
    place(page, "neglect", (300, 300))
    page.tap("#save")
    expect(page.locator("#sync-count")).to_have_text("1 waiting to sync")
    # Anna's session ends; Bo signs in on the same tablet, online.
    tablet.clear_cookies()
    tablet.set_offline(False)
    sign_in_to_capture(page, live_server, walk, "bo")
    expect(page.locator("#others-waiting")).to_contain_text("1 finding of another participant")
    expect(page.locator("#sync-count")).to_have_text("All synced")
    assert Observation.objects.count() == 0
    # Anna back: hers goes out, as hers.
    tablet.clear_cookies()
    sign_in_to_capture(page, live_server, walk, "anna")
    for _ in range(100):  # synced in the background: up to 10 s
        if Observation.objects.exists():
            break
        page.wait_for_timeout(100)
    assert Observation.objects.get().author == anna
    expect(page.locator("#others-waiting")).to_have_text("")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_two_tabs_send_a_photo_once(live_server, tablet, capture_area, settings, tmp_path):
    # Both tabs synced the same outbox: every photo went up twice (the server kept one).
    settings.MEDIA_ROOT = tmp_path
    walker = make_member(capture_area, "participant", "walker")
    walk = make_walk(capture_area, [walker])
    first = tablet.new_page()
    sign_in_to_capture(first, live_server, walk, "walker")
    second = tablet.new_page()
    second.goto(f"{live_server.url}/walks/{walk.pk}/capture/")
    second.wait_for_selector("body[data-ready=true]")
    uploads = []
    for page in (first, second):
        page.on("request", lambda r: uploads.append(r.url) if "/photos/" in r.url else None)
    tablet.set_offline(True)
    place(first, "neglect", (300, 300))
    first.set_input_files(
        "#photo", {"name": "hedge.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}
    )
    first.tap("#save")
    expect(first.locator("#sync-count")).to_have_text("1 waiting to sync")
    tablet.set_offline(False)
    for page in (first, second):  # a slow uplink: each upload takes a few seconds
        page.context.new_cdp_session(page).send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 300, "downloadThroughput": -1, "uploadThroughput": 8000},
        )
    for _ in range(200):  # both tabs hear "online" and sync: up to 20 s
        if Photo.objects.exists():
            break
        first.wait_for_timeout(100)
    first.wait_for_timeout(6000)  # the other tab's upload, had it started one
    assert Photo.objects.count() == 1 and len(uploads) == 1, uploads
