"""A whole walk offline on a tablet: everything captured arrives once when the network returns."""

import pytest
from django.contrib.gis.geos import LineString
from PIL import Image
from playwright.sync_api import expect

from tests.browser.tablet import camera_jpeg, place, sign_in_to_capture
from tests.factories import make_member
from tests.walks.helpers import make_walk
from walks.models import Observation, Photo
from walks.pages import _capture_map

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


# A route of its own, away from make_walk's: its walk's map reads blocks of its own.
ANOTHER_ROUTE = LineString((13.003, 55.603), (13.009, 55.604), srid=4326)


def wait_for_the_blocks(page):
    """Until the capture map shows the area's blocks (offline: from the worker's cache)."""
    page.wait_for_function(
        "() => window.tryggCapture.map.querySourceFeatures('blocks')"
        ".some(f => f.properties.population === 100)"
    )


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
    wait_for_the_blocks(page)
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


# The offline copies' addresses, without the server's.
OFFLINE_COPIES = """async () => (await (await caches.open("trygg-data")).keys())
  .map((request) => { const url = new URL(request.url); return url.pathname + url.search; })"""

# Every copy but those of `spared` (walk ids) stored `days` days ago, and the walks last opened
# on this tablet then (their holders, offline.js).
STORED_DAYS_AGO = """async ([days, spared]) => {
  const then = String(Date.now() - days * 24 * 60 * 60 * 1000);
  const cache = await caches.open("trygg-data");
  for (const request of await cache.keys()) {
    if (spared.some((id) => request.url.includes(`/walks/${id}/`))) continue;
    const response = await cache.match(request);
    const headers = new Headers(response.headers);
    headers.set("X-Trygg-Stored", then);
    const body = await response.blob();
    await cache.put(request, new Response(body, { status: response.status, headers }));
  }
  const holders = JSON.parse(localStorage.getItem("trygg-offline-holders") || "{}");
  for (const key of Object.keys(holders)) {
    if (!spared.includes(Number(key.split(":")[0]))) holders[key] = Number(then);
  }
  localStorage.setItem("trygg-offline-holders", JSON.stringify(holders));
}"""

# A finding waiting in the outbox of walk `id` (as the capture page queues one).
QUEUED_FOR = """async ([id, user]) => {
  const { openQueue } = await import("/static/walks/queue.js");
  const queue = await openQueue();
  await queue.add(`${id}:${user}`, {
    client_id: crypto.randomUUID(), kind: "neglect", captured_at: new Date().toISOString(),
    geometry: { type: "Point", coordinates: [13.005, 55.605] },
  }, null, { id, name: "Done, not yet sent" });
}"""

# A correction and a withdrawal of findings the server already has, waiting for walks `corrected`
# and `withdrawn` (nothing else of theirs is on the tablet).
CHANGES_WAITING_FOR = """async ([corrected, withdrawn, user]) => {
  const { openQueue } = await import("/static/walks/queue.js");
  const queue = await openQueue();
  await queue.correct(`${corrected}:${user}`, {
    client_id: crypto.randomUUID(), kind: "neglect", severity: 3,
    geometry: { type: "Point", coordinates: [13.005, 55.605] },
  }, null, null);
  await queue.withdraw(`${withdrawn}:${user}`, crypto.randomUUID());
}"""


def walkers_walks(area):
    """A participant, "walker", and their walks: one under way, one done, and one on another
    route (blocks of its own, which go with it) that they are to be taken off."""
    walker = make_member(area, "participant", "walker")
    under_way = make_walk(area, [walker], name="Under way", status="walking")
    done = make_walk(area, [walker], name="Done", status="done")
    left = make_walk(area, [walker], name="Taken off", route=ANOTHER_ROUTE)
    return walker, under_way, done, left


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_my_walks_prunes_the_offline_copies_a_walk_no_longer_needs(
    live_server, tablet, capture_area
):
    # A tablet passed round kept every walk's page, findings and area blocks for ever.
    walker, under_way, done, left = walkers_walks(capture_area)
    unsent = make_walk(capture_area, [walker], name="Done, not yet sent", status="done")
    corrected = make_walk(capture_area, [walker], name="A correction waits", status="done")
    withdrawn = make_walk(capture_area, [walker], name="A withdrawal waits", status="done")
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, under_way, "walker")
    page.wait_for_selector("body[data-offline-ready=true]")
    for walk in (done, unsent, corrected, withdrawn, left):
        page.goto(f"{live_server.url}/walks/{walk.pk}/capture/")
        page.wait_for_selector("body[data-offline-ready=true]")
    kept = set(page.evaluate(OFFLINE_COPIES))
    for walk in (under_way, done, unsent, corrected, withdrawn, left):
        assert {f"/walks/{walk.pk}/capture/", f"/api/walks/{walk.pk}/observations/"} <= kept
    blocks = {path for path in kept if "/blocks/" in path}
    assert len(blocks) == 2  # one for the walks on the first route, one for the other

    # Weeks later: every copy but the last walk's is old; the walker was taken off that one.
    page.evaluate(STORED_DAYS_AGO, [45, [left.pk]])
    page.evaluate(QUEUED_FOR, [unsent.pk, walker.pk])
    page.evaluate(CHANGES_WAITING_FOR, [corrected.pk, withdrawn.pk, walker.pk])
    left.participants.remove(walker)
    page.goto(f"{live_server.url}/walks/")
    page.wait_for_selector("body[data-pruned=true]", state="attached")

    pruned = set(page.evaluate(OFFLINE_COPIES))
    stays_or_goes = (
        (under_way, True),
        (unsent, True),
        (corrected, True),
        (withdrawn, True),
        (done, False),
        (left, False),
    )
    for walk, stays in stays_or_goes:
        of_walk = {path for path in kept if f"walks/{walk.pk}/" in path}
        assert (of_walk <= pruned) if stays else not (of_walk & pruned), (walk.name, pruned)
    # The blocks the open walk's map reads stay; those only the walk left behind read go.
    assert blocks_of(under_way) in pruned and blocks_of(left) not in pruned
    assert blocks_of(left) != blocks_of(under_way) == blocks_of(done)

    # The walk under way still opens offline, its map on its blocks.
    tablet.set_offline(True)
    page.goto(f"{live_server.url}/walks/{under_way.pk}/capture/")
    page.wait_for_selector("body[data-ready=true]")
    wait_for_the_blocks(page)
    expect(page.locator("#sync-count")).to_have_text("All synced")


def blocks_of(walk) -> str:
    """The address of the blocks the walk's capture map reads (and keeps offline)."""
    return _capture_map(walk)[1]


# When this tablet last pruned its offline copies, `days` days ago (offline.js).
PRUNED_DAYS_AGO = """(days) => localStorage.setItem(
  "trygg-offline-pruned", String(Date.now() - days * 24 * 60 * 60 * 1000))"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_capture_page_prunes_the_offline_copies_too_online_and_once_a_day(
    live_server, tablet, capture_area
):
    # An installed app starts on a walk's capture page and may never open My walks.
    walker, under_way, done, left = walkers_walks(capture_area)
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, done, "walker")
    page.wait_for_selector("body[data-pruned]", state="attached")
    for walk in (left, under_way):
        page.goto(f"{live_server.url}/walks/{walk.pk}/capture/")
        page.wait_for_selector("body[data-pruned]", state="attached")
    kept = set(page.evaluate(OFFLINE_COPIES))

    def copies_of(walk):
        return {path for path in kept if f"walks/{walk.pk}/" in path}

    assert all(copies_of(walk) for walk in (under_way, done, left))

    # Weeks later, the last pruning two days ago. Every copy is old, even the open walk's; the
    # walker was taken off one walk.
    page.evaluate(STORED_DAYS_AGO, [45, []])
    page.evaluate(PRUNED_DAYS_AGO, 2)
    left.participants.remove(walker)

    # Offline, the app starts from its copies and drops none of them.
    tablet.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-pruned]", state="attached")
    assert page.get_attribute("body", "data-pruned") == "false"
    assert set(page.evaluate(OFFLINE_COPIES)) == kept

    # Online: this walk's copies are stored afresh, its outbox synced, and then the copies no
    # longer needed go, as My walks drops them.
    tablet.set_offline(False)
    page.reload()
    page.wait_for_selector("body[data-pruned]", state="attached")
    assert page.get_attribute("body", "data-pruned") == "true"
    pruned = set(page.evaluate(OFFLINE_COPIES))
    assert copies_of(under_way) <= pruned
    assert not (copies_of(done) | copies_of(left)) & pruned
    assert blocks_of(under_way) in pruned and blocks_of(left) not in pruned

    # Once a day: the done walk's copies, kept again and grown old, stay until tomorrow.
    page.goto(f"{live_server.url}/walks/{done.pk}/capture/")
    page.wait_for_selector("body[data-pruned]", state="attached")
    assert page.get_attribute("body", "data-pruned") == "false"
    page.evaluate(STORED_DAYS_AGO, [45, [under_way.pk]])
    page.goto(f"{live_server.url}/walks/{under_way.pk}/capture/")
    page.wait_for_selector("body[data-pruned]", state="attached")
    assert page.get_attribute("body", "data-pruned") == "false"
    assert copies_of(done) <= set(page.evaluate(OFFLINE_COPIES))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_residents_sharing_a_tablet_prune_only_their_own_offline_copies(
    live_server, tablet, capture_area
):
    # Residents pass the tablet round without signing out. Bo's My walks asked the server about
    # Anna's walk, which refuses it to him (403), and dropped her copies: she reached her walk
    # offline with no map.
    anna, bo = (make_member(capture_area, "participant", name) for name in ("anna", "bo"))
    hers = make_walk(capture_area, [anna], name="Anna's")
    long_ago = make_walk(capture_area, [anna], name="Anna's, long ago", status="done")
    his = make_walk(capture_area, [bo], name="Bo's", route=ANOTHER_ROUTE)
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, hers, "anna")
    page.wait_for_selector("body[data-offline-ready=true]")
    page.goto(f"{live_server.url}/walks/{long_ago.pk}/capture/")
    page.wait_for_selector("body[data-offline-ready=true]")
    tablet.clear_cookies()
    sign_in_to_capture(page, live_server, his, "bo")
    page.wait_for_selector("body[data-offline-ready=true]")
    kept = set(page.evaluate(OFFLINE_COPIES))

    def copies_of(walk):
        return {path for path in kept if f"walks/{walk.pk}/" in path}

    assert all(copies_of(walk) for walk in (hers, long_ago, his))

    # Weeks later nobody has opened the old walk; Bo, still signed in, was taken off his.
    page.evaluate(STORED_DAYS_AGO, [45, [hers.pk, his.pk]])
    his.participants.remove(bo)
    asked = []
    page.on("request", lambda r: asked.append(r.url) if r.method == "HEAD" else None)
    page.goto(f"{live_server.url}/walks/")
    page.wait_for_selector("body[data-pruned=true]", state="attached")

    pruned = set(page.evaluate(OFFLINE_COPIES))
    assert copies_of(hers) <= pruned, pruned
    assert not (copies_of(his) | copies_of(long_ago)) & pruned, pruned
    assert blocks_of(hers) in pruned and blocks_of(his) not in pruned
    # The server was asked about Bo's own walk only, once; not about Anna's.
    assert asked == [f"{live_server.url}/walks/{his.pk}/capture/"]

    # Anna takes the tablet out on her walk: it opens offline, its map on its blocks.
    tablet.set_offline(True)
    page.goto(f"{live_server.url}/walks/{hers.pk}/capture/")
    page.wait_for_selector("body[data-ready=true]")
    wait_for_the_blocks(page)
