import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from geo.services import data_versions
from tests.factories import make_area, make_member
from tests.walks.helpers import item, make_walk, sync
from walks.models import Walk

pytestmark = pytest.mark.django_db

ROUTE = {"type": "LineString", "coordinates": [[13.002, 55.602], [13.010, 55.606]]}


def new_walk(**overrides):
    body = {
        "name": "Night walk by the school",
        "starts_at": "2026-11-25T18:00:00+01:00",
        "ends_at": "2026-11-25T20:00:00+01:00",
        "light": "night",
        "route": ROUTE,
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize("role", ["coordinator", "planner"])
def test_coordinators_and_planners_create_walks_with_participants(client_for, member, area, role):
    resident = make_member(area, "participant", "resident")
    before = data_versions(area=area)["walks"]
    response = client_for(member(role)).post(
        "/api/areas/testarea/walks/", new_walk(participants=["resident"]), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    walk = Walk.objects.get(pk=body["id"])
    assert list(walk.participants.all()) == [resident]
    assert walk.route.coords == ((13.002, 55.602), (13.010, 55.606))
    assert body["participant_names"] == ["resident"]
    assert body["capture_url"] == f"/walks/{walk.pk}/capture/"
    assert data_versions(area=area)["walks"] == before + 1


@pytest.mark.parametrize("role", ["participant", "analyst"])
def test_other_roles_do_not_plan_walks(client_for, member, role):
    response = client_for(member(role)).post(
        "/api/areas/testarea/walks/", new_walk(), format="json"
    )
    assert response.status_code == 403
    assert Walk.objects.count() == 0


def test_participants_must_be_members_of_the_area(client_for, member):
    stranger = make_member(make_area("elsewhere"), "participant", "stranger")
    response = client_for(member("coordinator")).post(
        "/api/areas/testarea/walks/", new_walk(participants=[stranger.username]), format="json"
    )
    assert response.status_code == 400
    assert "stranger" in response.json()["participants"][0]
    assert Walk.objects.count() == 0


def test_route_outside_the_area_is_refused(client_for, member):
    far = {"type": "LineString", "coordinates": [[13.002, 55.602], [13.2, 55.7]]}
    response = client_for(member("coordinator")).post(
        "/api/areas/testarea/walks/", new_walk(route=far), format="json"
    )
    assert response.status_code == 400
    assert "outside the area" in response.json()["route"][0]


def test_walk_cannot_end_before_it_starts(client_for, member):
    response = client_for(member("coordinator")).post(
        "/api/areas/testarea/walks/",
        new_walk(ends_at="2026-11-25T17:00:00+01:00"),
        format="json",
    )
    assert response.status_code == 400
    assert "ends_at" in response.json()


def test_a_walk_without_a_route_is_planned_and_a_route_cleared(client_for, member):
    # Both answered 500: the route's validity constraint was checked in Python on None.
    client = client_for(member("coordinator"))
    response = client.post("/api/areas/testarea/walks/", new_walk(route=None), format="json")
    assert response.status_code == 201, response.content
    routed = client.post("/api/areas/testarea/walks/", new_walk(), format="json").json()
    cleared = client.patch(f"/api/walks/{routed['id']}/", {"route": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["route"] is None


def test_a_time_without_offset_is_the_areas_wall_clock_time(client_for, member):
    # The planner sends the times as typed; they are Malmö's, whatever the browser's zone.
    body = new_walk(starts_at="2026-12-06T18:00", ends_at="2026-12-07T01:00")
    made = client_for(member("coordinator")).post("/api/areas/testarea/walks/", body, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["starts_at"] == "2026-12-06T18:00:00+01:00"
    assert made.json()["ends_at"] == "2026-12-07T01:00:00+01:00"


def test_participants_see_only_their_walks_and_no_names(client_for, area, participant, walk):
    other = make_member(area, "participant", "neighbour")
    walk.participants.add(other)
    make_walk(area, [], name="Someone else's walk")
    response = client_for(participant).get("/api/areas/testarea/walks/")
    [only] = response.json()
    assert only["name"] == "Evening walk"
    assert only["participant_names"] is None
    assert only["participant_count"] == 2
    assert only["you_participate"] is True
    assert "neighbour" not in response.content.decode()


def test_planner_sees_all_walks_of_the_area(client_for, member, area, walk):
    make_walk(area, [], name="Second walk")
    names = [
        w["name"] for w in client_for(member("planner")).get("/api/areas/testarea/walks/").json()
    ]
    assert sorted(names) == ["Evening walk", "Second walk"]


def test_walk_list_query_count_does_not_grow_with_walks(client_for, member, area):
    client = client_for(member("planner"))
    for n in range(2):
        make_walk(area, [make_member(area, "participant")], name=f"walk {n}")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/areas/testarea/walks/")
    for n in range(5):
        make_walk(area, [make_member(area, "participant")], name=f"more {n}")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/areas/testarea/walks/").json()) == 7
    assert len(many) == len(few)


def test_coordinator_updates_and_marks_walk_done(client_for, member, area, walk):
    resident = make_member(area, "participant", "resident")
    client = client_for(member("coordinator"))
    before = data_versions(area=area)["walks"]
    response = client.patch(
        f"/api/walks/{walk.pk}/", {"status": "done", "participants": ["resident"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    walk.refresh_from_db()
    assert walk.status == "done"
    assert list(walk.participants.all()) == [resident]
    assert data_versions(area=area)["walks"] == before + 1


def test_participant_cannot_change_a_walk(capture_client, walk):
    response = capture_client.patch(f"/api/walks/{walk.pk}/", {"status": "done"}, format="json")
    assert response.status_code == 403


def test_walk_of_another_participant_is_403(client_for, area, walk):
    outsider = make_member(area, "participant")
    assert client_for(outsider).get(f"/api/walks/{walk.pk}/").status_code == 403
    assert client_for(outsider).get(f"/api/walks/{walk.pk}/observations/").status_code == 403


def test_observations_are_geojson_without_author_names(client_for, area, walk, participant):
    other = make_member(area, "participant", "neighbour")
    walk.participants.add(other)
    sync(client_for(participant), walk, [item(note="mine")])
    sync(client_for(other), walk, [item(note="theirs")])
    response = client_for(participant).get(f"/api/walks/{walk.pk}/observations/")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    by_note = {f["properties"]["note"]: f for f in body["features"]}
    assert by_note["mine"]["properties"]["mine"] is True
    assert by_note["theirs"]["properties"]["mine"] is False
    assert by_note["mine"]["geometry"] == {"type": "Point", "coordinates": [13.005, 55.605]}
    assert "neighbour" not in response.content.decode()
    assert participant.username not in response.content.decode()


def test_observation_list_query_count_is_constant(capture_client, walk):
    sync(capture_client, walk, [item()])
    with CaptureQueriesContext(connection) as few:
        capture_client.get(f"/api/walks/{walk.pk}/observations/")
    sync(capture_client, walk, [item() for _ in range(10)])
    with CaptureQueriesContext(connection) as many:
        capture_client.get(f"/api/walks/{walk.pk}/observations/")
    assert len(many) == len(few)


def test_published_area_does_not_show_walks_to_the_public(api):
    area = make_area("open-town", published=True)
    walk = make_walk(area, [])
    assert api.get(f"/api/walks/{walk.pk}/observations/").status_code == 401
    assert api.get("/api/areas/open-town/walks/").status_code in (401, 403)


def test_a_participant_of_a_published_area_still_sees_only_their_own_walks(client_for):
    """Publishing lends everyone the public's view of the aggregates; a participant's view of
    the walks stays what it is in an area that is not published."""
    area = make_area("open-town", published=True)
    participant = make_member(area, "participant")
    theirs, other = make_walk(area, [participant], name="Theirs"), make_walk(area, [], name="Other")
    client = client_for(participant)
    listed = client.get("/api/areas/open-town/walks/").json()
    assert [walk["id"] for walk in listed] == [theirs.pk]
    # Refused as in an area that is not published (test_permission_matrix): the walk's area
    # is theirs, the walk is not.
    assert client.get(f"/api/walks/{other.pk}/").status_code == 403
    assert client.get(f"/api/walks/{other.pk}/observations/").status_code == 403
    browser = Client()
    browser.force_login(participant)
    assert browser.get(f"/walks/{other.pk}/report/").status_code == 403
    assert browser.get(f"/walks/{theirs.pk}/report/").status_code == 200
    planner = client_for(make_member(area, "planner"))
    assert len(planner.get("/api/areas/open-town/walks/").json()) == 2


def test_a_walk_planned_by_mistake_is_deleted_but_one_with_findings_is_kept(
    client_for, member, area, participant, capture_client
):
    from tests.walks.helpers import item, make_walk, sync
    from walks.models import Walk

    planner = client_for(member("planner"))
    mistake, walked = make_walk(area, [participant]), make_walk(area, [participant])
    sync(capture_client, walked, [item()])
    assert client_for(participant).delete(f"/api/walks/{mistake.pk}/").status_code == 403
    assert planner.delete(f"/api/walks/{mistake.pk}/").status_code == 204
    response = planner.delete(f"/api/walks/{walked.pk}/")
    assert response.status_code == 409 and "has findings" in response.json()["walk"][0]
    assert list(Walk.objects.values_list("pk", flat=True)) == [walked.pk]
