"""The walk report: every finding numbered on a printable map and listed with its block, note
and photos, for those who may see the walk."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_member
from tests.walks.helpers import item, make_walk, sync
from tests.walks.test_photos import jpeg_with_gps, upload
from walks.models import Observation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def report(client, walk, **headers):
    return client.get(f"/walks/{walk.pk}/report/", **headers)


@pytest.fixture
def findings(capture_client, walk):
    """Three findings: a point in block SW, a sightline, and a safe place on the route."""
    items = [
        item(geometry={"type": "Point", "coordinates": [13.003, 55.602]}, note="Dark underpass"),
        item(
            kind="blocked_sightline",
            geometry={"type": "LineString", "coordinates": [[13.012, 55.607], [13.014, 55.608]]},
            note="Hedge hides the path",
        ),
        item(kind="safe_place", geometry={"type": "Point", "coordinates": [13.010, 55.606]}),
    ]
    for n, finding in enumerate(items):
        finding["captured_at"] = f"2026-11-20T18:{10 + n}:00+00:00"
    ids = [r["id"] for r in sync(capture_client, walk, items).json()["results"]]
    assert upload(capture_client, ids[0], jpeg_with_gps()).status_code == 201
    return ids


def test_a_coordinator_reads_the_findings_in_order_with_blocks_notes_and_photos(
    client, member, walk, findings
):
    client.force_login(member("coordinator"))
    response = report(client, walk)
    assert response.status_code == 200
    page = response.content.decode()
    rows = re.findall(r'<tr id="observation-(\d+)">(.*?)</tr>', page, re.S)
    assert [number for number, _ in rows] == ["1", "2", "3"]
    assert "Dark underpass" in rows[0][1] and "SW" in rows[0][1]
    assert "Hedge hides the path" in rows[1][1] and "NE" in rows[1][1]
    assert rows[0][1].count("<img") == 1 and "<img" not in rows[1][1]
    # Photos go through the API's permission check: media files are never served.
    thumbnail = re.search(r'<img src="([^"]+)"', rows[0][1]).group(1)
    assert thumbnail.startswith("/api/photos/") and client.get(thumbnail).status_code == 200
    assert "<strong>3</strong> findings" in page and "<strong>1</strong> photo ·" in page
    # The test route runs about 1.1 km (13.002 55.602 → 13.016 55.608).
    assert "1.1 km route" in page
    # Names of participants, as the API shows them to those who plan walks.
    assert walk.participants.get().username in page
    # The map: the route, the sightline's line, and one numbered marker per finding.
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert svg.count('class="marker') == 3 and svg.count('class="shape') == 1
    assert 'class="route" d="M' in svg
    # The test area's four blocks around the walk, in one path: a closed ring each.
    blocks = svg.split('<path class="blocks" d="')[1].split('"')[0]
    assert blocks.count("M ") == 4 and blocks.count("Z") == 4


def test_a_participant_sees_their_walk_without_the_names(client, participant, walk, findings):
    client.force_login(participant)
    page = report(client, walk).content.decode()
    facts = page[page.index('<section class="facts">') :].split("</p>")[0]
    assert "<strong>1</strong> participant" in facts and participant.username not in facts


def test_who_may_not_see_the_walk_gets_no_report(client, area, member, walk):
    assert report(client, walk).status_code == 302  # anonymous: to the login page
    client.force_login(member("participant"))  # in the area, but not on this walk
    assert report(client, walk).status_code == 403
    from tests.factories import make_area

    client.force_login(make_member(make_area("elsewhere"), "coordinator"))
    assert report(client, walk).status_code == 404


def test_the_report_costs_the_same_few_queries_however_many_findings(
    client, member, walk, capture_client
):
    client.force_login(member("planner"))

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert report(client, walk).status_code == 200
        return len(captured)

    sync(capture_client, walk, [item()])
    few = queries()
    sync(capture_client, walk, [item() for _ in range(20)])
    assert queries() == few


def test_a_walk_with_nothing_yet_has_a_report_without_a_map(client, area, member):
    client.force_login(member("coordinator"))
    empty = make_walk(area, route=None)
    page = report(client, empty).content.decode()
    assert "Nothing has been recorded on this walk yet." in page and "<svg" not in page


def test_the_report_speaks_danish(client, member, walk, findings):
    client.force_login(member("coordinator"))
    page = report(client, walk, HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert "Vandringsrapport" in page and "Blokeret udsyn" in page


def test_the_map_links_a_finding_to_its_walks_report_for_those_who_may_open_it(
    client, member, participant, walk, findings
):
    url = f"/map/testarea/observations/{findings[0]}.json"
    client.force_login(member("planner"))
    assert client.get(url).json()["walk_report"] == f"/walks/{walk.pk}/report/"
    client.force_login(member("participant"))  # sees the area's findings, not other walks
    assert "walk_report" not in client.get(url).json()


@pytest.mark.parametrize(
    "role, offered", [("participant", False), ("planner", True), ("coordinator", True)]
)
def test_the_report_offers_the_findings_as_files_to_those_who_may_export(
    client, member, participant, walk, findings, role, offered
):
    client.force_login(participant if role == "participant" else member(role))
    page = report(client, walk).content.decode()
    links = re.findall(r'href="(/api/areas/[^"]+/export/observations\.(\w+)\?walk=(\d+))"', page)
    assert [(fmt, int(pk)) for _url, fmt, pk in links] == (
        [("csv", walk.pk), ("gpkg", walk.pk), ("geojson", walk.pk)] if offered else []
    )
    if offered:  # and the link gives that walk's three findings
        csv = client.get(links[0][0].replace("&amp;", "&"))
        assert csv.status_code == 200
        assert len(b"".join(csv.streaming_content).decode().splitlines()) == 1 + 3


def test_the_report_lists_the_other_walks_on_its_route(
    client, member, participant, area, walk, findings
):
    """A walk planned again (same route): what was found then, and how much is still open."""
    spring = make_walk(area, [], name="Spring round", light="day")
    make_walk(area, [participant], name="Elsewhere", route=None)
    Observation.objects.filter(pk=findings[0]).update(follow_up="fixed")
    client.force_login(member("planner"))
    page = report(client, spring).content.decode()
    assert "Earlier and later walks on this route" in page
    assert f'href="/walks/{walk.pk}/report/">Evening walk</a>' in page
    # Of the three, one was fixed and one is a safe place, which is no one's task to follow up.
    assert "3 findings, 1 still open" in page and "Elsewhere" not in page
    # A participant sees only the walks they took part in.
    client.force_login(participant)
    assert "Spring round" not in report(client, walk).content.decode()


def test_each_finding_shows_its_blocks_class_to_those_who_see_analyses(
    client, member, participant, area, walk, findings
):
    """An unsafe spot in a block where recorded crime is low reads differently from one where
    both are high: the report gives the class from the analysis the area's map shows."""
    from django.utils import timezone

    from layers.models import AnalysisRun, BlockResult

    old = AnalysisRun.objects.create(area=area, status="done", finished_at=timezone.now())
    BlockResult.objects.create(
        run=old, block=area.blocks.get(code="SW"), comparison_class="both_low"
    )
    latest = AnalysisRun.objects.create(
        area=area,
        status="done",
        finished_at=timezone.now(),
        parameters={"from": "2026-10", "to": "2026-11"},
    )
    sw = area.blocks.get(code="SW")
    BlockResult.objects.create(run=latest, block=sw, comparison_class="fear_exceeds_crime")
    client.force_login(member("planner"))
    page = report(client, walk).content.decode()
    assert "Insecurity exceeds crime" in page and "Both low" not in page
    # Which analysis, for a report printed today and read after the next one.
    day = timezone.localdate().isoformat()
    assert f"the area's map shows, of {day} (2026-10 – 2026-11)" in page
    client.force_login(participant)  # analysis results are not a participant's to see
    assert "Insecurity exceeds crime" not in report(client, walk).content.decode()


def test_bunched_findings_get_markers_that_do_not_cover_each_other():
    from itertools import combinations
    from types import SimpleNamespace

    from walks.report import MapView, spread_markers

    view = MapView(x=0, y=0, width=750, height=750)  # markers of radius 10
    bunch = [SimpleNamespace(label_x=300.0, label_y=300.0) for _ in range(20)]
    alone = SimpleNamespace(label_x=600.0, label_y=600.0)
    spread_markers([*bunch, alone], view)
    spots = [(o.label_x, o.label_y) for o in [*bunch, alone]]
    assert all(
        (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 >= (2.1 * view.marker) ** 2 - 1e-6
        for a, b in combinations(spots, 2)
    )
    # The first stays on its finding; the others point back to it with a leader line.
    assert bunch[0].anchor is None and spots[0] == (300.0, 300.0)
    assert all(o.anchor == (300.0, 300.0) for o in bunch[1:])
    assert alone.anchor is None and spots[-1] == (600.0, 600.0)
    assert all(0 <= x <= 750 and 0 <= y <= 750 for x, y in spots)


def test_a_finding_names_the_block_within_30_metres_on_the_ground(capture_client, walk):
    """The rule is in metres whatever the latitude: at 55.6° N a degree-based box of 0.0004°
    reached 25 m east but 45 m north."""
    from walks.models import block_of_observation
    from walks.report import blocks_of_observations

    places = {
        "east 25 m": [13.018 + 25 / 62_930, 55.603],  # 62.9 km a degree of longitude here
        "north 40 m": [13.003, 55.610 + 40 / 111_250],
        "inside": [13.003, 55.602],
    }
    items = [
        item(geometry={"type": "Point", "coordinates": xy}, note=name)
        for name, xy in places.items()
    ]
    results = sync(capture_client, walk, items).json()["results"]
    assert [r["status"] for r in results] == ["created"] * 3  # within the area's tolerance
    by_note = dict(
        Observation.objects.filter(walk=walk)
        .annotate(block=block_of_observation(walk.area))
        .values_list("note", "block")
    )
    assert by_note == {"east 25 m": "SE", "north 40 m": None, "inside": "SW"}
    found = blocks_of_observations(walk, None)  # the report's own statement agrees
    notes = dict(Observation.objects.filter(walk=walk).values_list("pk", "note"))
    assert {notes[pk]: code for pk, (code, _) in found.items()} == by_note


def test_the_search_box_holds_30_metres_at_every_latitude_of_the_area():
    """The index's box in degrees widens with the area's latitude: a fixed 0.0008° reached
    only 18 m east-west at Svalbard's 78° N."""
    import math

    from django.contrib.gis.geos import MultiPolygon, Polygon

    from geo.models import Area
    from walks.models import NEAR_BLOCK_M, near_block_box

    for south in (55.6, 69.6, 78.2, -54.8):
        north = south + 0.01
        boundary = MultiPolygon(Polygon.from_bbox((15.6, south, 15.62, north)))
        box = near_block_box(Area(boundary=boundary))
        farthest = max(abs(south), abs(north))
        assert box * 111_320 * math.cos(math.radians(farthest)) >= NEAR_BLOCK_M
