import json
import math
import posixpath
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.gis.geos import LineString
from django.test import Client

from tests.factories import make_member
from tests.walks.helpers import make_walk

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_capture_page_carries_walk_kinds_and_urls(participant, walk):
    assert logged_in(participant).get(f"/walks/{walk.pk}/capture/").status_code == 200
    config = capture_config(participant, walk)
    assert config["walk"]["id"] == walk.pk
    assert config["walk"]["open"] is True
    assert config["urls"]["withdraw"] == f"/api/walks/{walk.pk}/observations/{{client_id}}/"
    assert config["walk"]["route"]["type"] == "LineString"
    assert config["urls"]["sync"] == f"/api/walks/{walk.pk}/observations/sync"
    sightline = next(k for k in config["kinds"] if k["code"] == "blocked_sightline")
    assert sightline["geometry_types"] == ["LineString"]
    assert set(sightline["labels"]) == {"en", "sv", "da"}


@pytest.mark.parametrize("status", ["done", "followed_up"])
def test_a_done_walks_capture_page_offers_no_withdrawal(participant, walk, status):
    walk.status = status
    walk.save()
    assert capture_config(participant, walk)["walk"]["open"] is False


def test_capture_page_is_only_for_the_walks_participants(area, walk):
    outsider = make_member(area, "participant")
    assert logged_in(outsider).get(f"/walks/{walk.pk}/capture/").status_code == 403
    coordinator = make_member(area, "coordinator")
    assert logged_in(coordinator).get(f"/walks/{walk.pk}/capture/").status_code == 403


def test_capture_page_asks_anonymous_visitors_to_log_in(walk):
    response = Client().get(f"/walks/{walk.pk}/capture/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_service_worker_may_control_the_walk_pages():
    response = Client().get("/walks/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/walks/"
    body = response.content.decode()
    assert "/static/vendor/maplibre/maplibre-gl.mjs" in body
    assert "__VERSION__" not in body and "__PRECACHE__" not in body


def test_manifest_makes_the_capture_page_installable(participant, walk):
    response = logged_in(participant).get(f"/walks/{walk.pk}/manifest.webmanifest")
    body = response.json()
    assert body["start_url"] == f"/walks/{walk.pk}/capture/"
    assert body["display"] == "standalone" and body["icons"]


@pytest.mark.parametrize(
    "role,status", [("coordinator", 200), ("planner", 200), ("participant", 403), ("analyst", 403)]
)
def test_planning_page_is_for_coordinators_and_planners(member, role, status):
    assert logged_in(member(role)).get("/walks/plan/testarea/").status_code == status


def test_a_refusal_is_a_page_of_the_site_with_its_reason(member):
    response = logged_in(member("participant")).get("/walks/plan/testarea/")
    page = response.content.decode()
    assert response.status_code == 403 and 'class="topbar"' in page
    assert "Only coordinators and planners plan walks." in page and 'href="/"' in page


def test_planning_page_lists_members_to_choose_from(member, area):
    make_member(area, "participant", "resident-anna")
    response = logged_in(member("coordinator")).get("/walks/plan/testarea/")
    assert b'value="resident-anna"' in response.content


def test_a_route_is_planned_over_the_blocks_classes_of_the_analysis_shown(member, area):
    from tests.tiles.data import add_run

    client = logged_in(member("planner"))
    page = client.get("/walks/plan/testarea/")
    assert page.context["config"]["classes"] == {}  # no analysis yet: plain blocks
    assert b'id="plan-classes"' not in page.content
    assert b'id="plan-routes"' in page.content  # the other walks' routes, always

    run = add_run(area, {"SW": {"comparison_class": "both_high"}})
    run.parameters = {"from": "2025-01", "to": "2025-06"}
    run.save()
    page = client.get("/walks/plan/testarea/")
    assert page.context["config"]["classes"]["both_high"] == "#5a3d73"  # the planner map's
    html = page.content.decode()
    assert 'id="plan-classes"' in html and f"Analysis {run.pk}: 2025-01 – 2025-06" in html
    for label in ("Both high", "Insecurity exceeds crime", "Crime exceeds insecurity", "Both low"):
        assert label in html


def test_my_walks_links_to_capture(participant, walk):
    response = logged_in(participant).get("/walks/")
    assert f'href="/walks/{walk.pk}/capture/"'.encode() in response.content


def test_my_walks_come_latest_first(participant, walk, client_for):
    """Counting observations groups the query, which drops the model's default order."""
    for day in (3, 25, 11):
        when = datetime(2026, 11, day, 18, 0, tzinfo=UTC)
        make_walk(walk.area, [participant], name=f"Walk of 2026-11-{day:02}", starts_at=when)
    # The walk fixture starts on 2026-11-20.
    expected = ["Walk of 2026-11-25", "Evening walk", "Walk of 2026-11-11", "Walk of 2026-11-03"]
    page = logged_in(participant).get("/walks/").content.decode()
    assert sorted(expected, key=page.index) == expected
    listed = client_for(participant).get(f"/api/areas/{walk.area.slug}/walks/").json()
    assert [w["name"] for w in listed] == expected


def test_pages_are_translated(participant, walk):
    client = logged_in(participant)
    client.cookies["django_language"] = "da"
    assert "Mine vandringer" in client.get("/walks/").content.decode()


def capture_config(user, walk, query=""):
    page = logged_in(user).get(f"/walks/{walk.pk}/capture/{query}").content.decode()
    return json.loads(
        page.split('id="capture-config" type="application/json">')[1].split("</script>")[0]
    )


def test_capture_page_lists_the_participants_walks_for_pruning_as_my_walks_does(member, area):
    """capture.js prunes the offline copies by the lists My walks gives offline.js: all of the
    participant's walks and which of them are open; a preview keeps nothing, so prunes
    nothing."""
    walker = member("participant")
    walks = [make_walk(area, [walker], status=status) for status in ("walking", "done", "planned")]
    make_walk(area, [member("participant")])  # not theirs
    my_walks = logged_in(walker).get("/walks/").content.decode()
    kept = json.loads(
        my_walks.split('id="kept-config" type="application/json">')[1].split("</script>")[0]
    )
    offline = capture_config(walker, walks[1])["offline"]
    assert offline == {"walks": kept["walks"], "open": kept["open"]}
    assert sorted(offline["walks"]) == sorted(w.pk for w in walks)
    assert sorted(offline["open"]) == sorted([walks[0].pk, walks[2].pk])
    assert "offline" not in capture_config(member("planner"), walks[0], "?preview=1")


def test_capture_map_shows_and_keeps_the_blocks_along_the_route(participant, area):
    """Not the whole area's: a tablet downloads them over mobile data and keeps them offline."""
    # A short route in the middle of the area, 1.1 km across: 400 m around it stays inside.
    walk = make_walk(area, [participant], route=LineString((13.008, 55.6045), (13.010, 55.6055)))
    config = capture_config(participant, walk)
    xmin, ymin, xmax, ymax = config["walk"]["extent"]
    rxmin, rymin, rxmax, rymax = walk.route.extent
    # 400 m around the route: 0.0036° of latitude, more degrees of longitude away from the equator
    assert ymin == pytest.approx(rymin - 0.003593, abs=1e-5)
    assert ymax == pytest.approx(rymax + 0.003593, abs=1e-5)
    assert rxmin - xmin == pytest.approx(xmax - rxmax) and rxmin - xmin > ymax - rymax
    bbox = ",".join(f"{v:.6f}" for v in (xmin, ymin, xmax, ymax))
    assert config["urls"]["blocks"] == f"/api/areas/{walk.area.slug}/blocks/?bbox={bbox}"


def test_capture_map_along_a_route_stops_at_the_area_and_its_tolerance(participant, area, settings):
    """A route along the area's west edge: the map opens on the area's side of it, not half
    on the empty ground beyond the edge where no finding is accepted."""
    settings.TRYGG_OUTSIDE_TOLERANCE_M = 100
    walk = make_walk(area, [participant], route=LineString((13.001, 55.604), (13.003, 55.606)))
    xmin, ymin, xmax, ymax = capture_config(participant, walk)["walk"]["extent"]
    tolerance = 100 / (111_320 * math.cos(math.radians(55.605)))  # 100 m of longitude
    assert xmin == pytest.approx(13.000 - tolerance, abs=1e-6)  # the edge and its tolerance
    assert xmax == pytest.approx(13.003 + 4 * tolerance, abs=1e-5)  # the route and 400 m
    assert (ymin, ymax) == pytest.approx((55.604 - 0.003593, 55.606 + 0.003593), abs=1e-5)


def test_capture_map_of_a_walk_without_a_route_shows_the_area(participant, walk):
    walk.route = None
    walk.save()
    config = capture_config(participant, walk)
    assert config["urls"]["blocks"] == f"/api/areas/{walk.area.slug}/blocks/"
    assert config["walk"]["extent"] == list(walk.area.boundary.extent)


def test_the_capture_page_asks_for_its_manifest_with_the_session(member, area):
    # Without credentials the manifest request met the login redirect, and the app could not
    # be installed.
    walker = member("participant")
    walk = make_walk(area, [walker])
    page = logged_in(walker).get(f"/walks/{walk.pk}/capture/").content.decode()
    assert f'href="/walks/{walk.pk}/manifest.webmanifest" crossorigin="use-credentials"' in page


def test_my_walks_lists_the_walk_under_way_first(member, area):
    walker = member("participant")
    when = datetime(2026, 11, 20, 18, tzinfo=UTC)
    for name, status, days in [
        ("Done last week", "done", -7),
        ("Next month", "planned", 30),
        ("Tonight", "walking", 0),
        ("Next week", "planned", 7),
    ]:
        make_walk(area, [walker], name=name, status=status, starts_at=when + timedelta(days=days))
    page = logged_in(walker).get("/walks/").content.decode()
    order = ["Tonight", "Next month", "Next week", "Done last week"]
    assert sorted(order, key=page.index) == order


@pytest.fixture
def fresh_release():
    """The release is computed once per process: a test that changes what it is made of
    computes it again, and leaves the next test the real one."""
    from walks import pages

    pages.release.cache_clear()
    yield pages
    pages.release.cache_clear()


def served_release() -> str:
    body = Client().get("/walks/sw.js").content.decode()
    return re.search(r'const VERSION = "(\w+)"', body).group(1)


def test_the_service_workers_version_follows_every_file_it_may_cache(
    fresh_release, monkeypatch, tmp_path
):
    # It hashed the capture app's own files only: a change to the site's stylesheet (cached
    # from the walk report) never reached a tablet that had the worker.
    import shutil

    pages = fresh_release
    shared = tmp_path / "static"
    shutil.copytree(pages.SHARED_DIR, shared)
    monkeypatch.setattr(pages, "RELEASE_SOURCES", [pages.STATIC_DIR, shared, pages.LOCKFILE])
    before = served_release()
    (shared / "css" / "trygg.css").write_text("body { color: red; }")
    pages.release.cache_clear()  # a release restarts the server
    assert served_release() != before


def test_pages_under_the_workers_scope_name_its_release(participant, walk):
    # The worker serves a page of another release its scripts from the network (sw.js).
    client = logged_in(participant)
    release = served_release()
    for url in ("/walks/", f"/walks/{walk.pk}/capture/", f"/walks/{walk.pk}/capture/?preview=1"):
        response = client.get(url)
        assert response["Content-Type"].startswith("text/html"), url
        assert response["X-Trygg-Release"] == release, url
    # A refusal under the scope is a page the worker serves too.
    assert client.get("/walks/plan/testarea/")["X-Trygg-Release"] == release
    # Not the data the pages read, nor pages outside the scope.
    assert "X-Trygg-Release" not in client.get(f"/api/walks/{walk.pk}/observations/")
    assert "X-Trygg-Release" not in client.get("/accounts/login/")


def test_a_planners_walks_page_leads_to_the_areas_latest_reports(member, walk):
    page = logged_in(member("planner")).get("/walks/").content.decode()
    assert "You are not a participant of any walk yet." not in page
    assert f'<a href="/walks/{walk.pk}/report/">Evening walk</a>' in page
    assert 'href="/walks/plan/testarea/"' in page


def test_my_walks_leaves_out_walks_of_an_area_one_was_removed_from(participant, walk):
    """A done walk keeps its participants (the record), but its area's pages are closed to
    someone removed from the area: the list does not offer them."""
    from geo.models import Membership
    from geo.services import membership_remove

    walk.status = "done"
    walk.save()
    assert f"/walks/{walk.pk}/" in logged_in(participant).get("/walks/").content.decode()
    membership_remove(membership=Membership.objects.get(user=participant, area=walk.area))
    assert f"/walks/{walk.pk}/" not in logged_in(participant).get("/walks/").content.decode()


def test_service_worker_precaches_every_module_the_capture_app_imports():
    # A tablet opens the app offline from the worker's cache: a module missing from its precache
    # list fails to load, and with it the whole app. Follows the imports from the entry module.
    body = Client().get("/walks/sw.js").content.decode()
    precache = set(json.loads(re.search(r"const PRECACHE = (\[.*?\]);", body).group(1)))
    sources = {"/static/walks/": ROOT / "walks/static/walks/", "/static/js/": ROOT / "static/js/"}
    imported, todo = set(), ["/static/walks/capture.js"]
    while todo:
        url = todo.pop()
        if url in imported:
            continue
        imported.add(url)
        folder = next((prefix for prefix in sources if url.startswith(prefix)), None)
        if folder is None:
            continue  # MapLibre and the other vendored files come whole
        source = (sources[folder] / url.removeprefix(folder)).read_text()
        for name in re.findall(r"""\b(?:from|import)\s*\(?\s*["']([^"'\s]+\.m?js)["']""", source):
            todo.append(name if name.startswith("/") else posixpath.normpath(folder + name))
    assert {"/static/walks/sync.js", "/static/js/map-words.js"} <= imported
    assert imported - precache == set()
