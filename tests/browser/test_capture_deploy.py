"""A release comes out while a tablet has the capture app: no page runs with the scripts and
styles of another release, offline the app opens as before, and the outbox keeps its findings."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_until
from tests.browser.tablet import place, sign_in_to_capture
from tests.factories import make_member
from tests.walks.helpers import make_walk
from walks import pages
from walks.models import Observation


@pytest.fixture
def deploy(monkeypatch, tmp_path):
    """Brings out a new release: what the release is made of changes (a file of it here), and
    the server restarts (the release is computed once per process). Returns the new release."""
    part = tmp_path / "part-of-the-release"
    part.write_text("0")
    monkeypatch.setattr(pages, "RELEASE_SOURCES", [*pages.RELEASE_SOURCES, part])
    pages.release.cache_clear()

    def bring_out() -> str:
        part.write_text(str(int(part.read_text()) + 1))
        pages.release.cache_clear()
        return pages.release()

    yield bring_out
    monkeypatch.undo()
    pages.release.cache_clear()


def as_of_release(route):
    """The app's scripts and styles as the server has them: each says which release it is of,
    as changed files of a real release would differ."""
    response = route.fetch()
    name = route.request.url.split("?")[0].rsplit("/", 1)[-1]
    release = pages.release()
    if name.endswith(".css"):
        mark = f':root {{ --trygg-release: "{release}"; }}'
    else:
        mark = f'(globalThis.tryggReleases ??= {{}})["{name}"] = "{release}";'
    body = f"{response.text()}\n{mark}\n"
    route.fulfill(status=response.status, content_type=response.headers["content-type"], body=body)


# The releases of the scripts and the stylesheet the page runs with.
RELEASES_RUN = """() => [
  ...Object.values(globalThis.tryggReleases || {}),
  getComputedStyle(document.documentElement).getPropertyValue("--trygg-release").trim()
    .replaceAll('"', ""),
]"""

SHELL_CACHES = """async () =>
  (await caches.keys()).filter((name) => name.startsWith("trygg-shell-"))"""


def the_app_on_a_tablet(live_server, tablet, capture_area):
    """A participant's tablet with the capture app of their walk open, ready offline, its
    worker the current release's; and that release."""
    walk = make_walk(capture_area, [make_member(capture_area, "participant", "walker")])
    tablet.route("**/static/walks/*", as_of_release)
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walk, "walker")
    page.wait_for_selector("body[data-offline-ready=true]")
    release = pages.release()
    assert page.evaluate(SHELL_CACHES) == [f"trygg-shell-{release}"]
    return page, release


def save_a_finding(page):
    place(page, "hiding_place", (500, 300))
    page.tap("#save")
    expect(page.locator("#sync-count")).to_have_attribute("data-count", "1")


def until_the_worker_of(page, release):
    """Until the worker of `release` has taken over: it drops the other releases' caches."""
    wait_until(page, f"async () => (await ({SHELL_CACHES})()).join() === 'trygg-shell-{release}'")


def opened(page, response) -> tuple[str, set[str]]:
    """The release the page is of, and those of the scripts and styles it runs with."""
    page.wait_for_selector("body[data-ready=true]")
    return response.headers["x-trygg-release"], set(page.evaluate(RELEASES_RUN))


def the_new_release_before_its_worker(page, tablet, deploy) -> str:
    """A release comes out and the tablet opens its page, but the new worker does not come (its
    script never arrives): the old one serves the new page. Returns the new release."""
    second = deploy()
    tablet.route("**/walks/sw.js", lambda route: route.abort())
    assert opened(page, page.reload()) == (second, {second})
    return second


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_first_load_after_a_release_runs_that_releases_scripts(
    live_server, tablet, capture_area, deploy
):
    # The worker served the app's scripts and styles from its cache, which holds the release it
    # was installed with: the first load after a deploy ran the new page with the old scripts.
    page, first = the_app_on_a_tablet(live_server, tablet, capture_area)
    loads = []
    page.on("load", lambda loaded: loads.append(loaded.url))
    # The marks are on what the page runs: the entry module, a module it imports, the styles.
    assert set(page.evaluate("() => Object.keys(globalThis.tryggReleases)")) >= {
        "capture.js",
        "status.js",
    }
    assert set(page.evaluate(RELEASES_RUN)) == {first}

    # Offline, a finding waits in the outbox; meanwhile the server gets a new release.
    tablet.set_offline(True)
    save_a_finding(page)
    second = deploy()
    assert second != first

    # Still offline, the app reopens as it did: its page and scripts of the release it has.
    assert opened(page, page.reload()) == (first, {first})
    expect(page.locator("#sync-count")).to_have_text("1 waiting to sync")

    # Online: the first load after the release. The worker installed is still the first
    # release's, its cache the first release's files; the page is the new one, and so are its
    # scripts and styles.
    tablet.set_offline(False)
    assert opened(page, page.reload()) == (second, {second})
    expect(page.locator("#sync-count")).to_have_attribute("data-count", "0")
    assert Observation.objects.get().kind.code == "hiding_place"

    # The new worker takes over, with the new release's cache; offline, the app opens on it.
    until_the_worker_of(page, second)
    tablet.set_offline(True)
    assert opened(page, page.reload()) == (second, {second})
    expect(page.locator("#sync-count")).to_have_text("All synced")
    assert Observation.objects.count() == 1
    # Nothing reloaded the page on its own: three loads, the test's.
    assert len(loads) == 3, loads


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_offline_before_the_new_worker_came_the_new_page_runs_its_own_scripts(
    live_server, tablet, capture_area, deploy
):
    # The first load after a release kept the new page for offline use, but the tablet lost its
    # connection before the new worker was installed: for days it opened the new page with the
    # old worker's scripts.
    page, first = the_app_on_a_tablet(live_server, tablet, capture_area)
    second = the_new_release_before_its_worker(page, tablet, deploy)
    assert page.evaluate(SHELL_CACHES) == [f"trygg-shell-{first}", f"trygg-shell-{second}"]

    tablet.set_offline(True)
    assert opened(page, page.reload()) == (second, {second})
    save_a_finding(page)
    # Still the first release's worker: the new one would have dropped the first's cache.
    assert page.evaluate(SHELL_CACHES) == [f"trygg-shell-{first}", f"trygg-shell-{second}"]

    # Back online, the new worker comes; the finding waiting goes out once.
    tablet.unroute("**/walks/sw.js")
    tablet.set_offline(False)
    assert opened(page, page.reload()) == (second, {second})
    expect(page.locator("#sync-count")).to_have_attribute("data-count", "0")
    until_the_worker_of(page, second)
    assert Observation.objects.get().kind.code == "hiding_place"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_files_refused_for_a_moment_come_from_the_copies_of_the_pages_release(
    live_server, tablet, capture_area, deploy
):
    # The old worker passed on whatever the server answered for a page of another release's
    # scripts: a 503 for a moment (the server restarting) left the page without them, though
    # the tablet had kept them.
    page, first = the_app_on_a_tablet(live_server, tablet, capture_area)
    second = the_new_release_before_its_worker(page, tablet, deploy)

    tablet.route("**/static/walks/*", lambda route: route.fulfill(status=503, body="Restarting"))
    assert opened(page, page.reload()) == (second, {second})
    assert page.evaluate(SHELL_CACHES) == [f"trygg-shell-{first}", f"trygg-shell-{second}"]
