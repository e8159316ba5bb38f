"""A participant corrects their own finding while the walk is open (the wrong kind, a severity
they think better of, a typo, a pin 20 m off) instead of withdrawing it and placing it again
without its photos: `PATCH /api/walks/{id}/observations/{client_id}/`, checked as the sync
checks, audited, and on the map at once. They may also remove a photo of theirs."""

from datetime import datetime
from pathlib import Path

import pytest

from geo.models import AuditEntry
from geo.services import data_versions
from tests.walks.helpers import INSIDE, item, make_walk, sync
from tests.walks.test_photos import jpeg_with_gps, upload
from walks.models import Observation

pytestmark = pytest.mark.django_db

# About 20 m east of INSIDE.
MOVED = [13.0053, 55.605]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def finding(capture_client, walk):
    response = sync(capture_client, walk, [item(note="Dark undrepass", severity=3, feeling=2)])
    [result] = response.json()["results"]
    return Observation.objects.get(pk=result["id"])


def url(walk, finding) -> str:
    return f"/api/walks/{walk.pk}/observations/{finding.client_id}/"


def stored(finding) -> tuple:
    """What a correction may change, and what it must not, as stored now."""
    finding = Observation.objects.select_related("kind").get(pk=finding.pk)
    return (
        finding.kind.code,
        list(finding.geom.coords),
        finding.severity,
        finding.feeling,
        finding.note,
        finding.captured_at,
        finding.accuracy_m,
        finding.follow_up,
    )


CORRECTION = {
    "kind": "lighting_defect",
    "geometry": {"type": "Point", "coordinates": MOVED},
    "severity": 4,
    "feeling": 1,
    "note": "Dark underpass",
}


def test_the_author_corrects_a_finding_while_the_walk_is_open(capture_client, walk, finding):
    before = stored(finding)
    version = data_versions(area=walk.area)["observations"]
    response = capture_client.patch(url(walk, finding), CORRECTION, format="json")
    assert response.status_code == 200
    properties = response.json()["properties"]
    assert (properties["kind"], properties["severity"], properties["note"]) == (
        "lighting_defect",
        4,
        "Dark underpass",
    )
    assert response.json()["geometry"]["coordinates"] == pytest.approx(MOVED)
    after = stored(finding)
    assert after[:5] == ("lighting_defect", MOVED, 4, 1, "Dark underpass")
    assert after[5:] == before[5:]  # when, how exactly, and the follow-up stay
    # The map's data moves on: its tiles and the capture app's copy show the correction.
    assert data_versions(area=walk.area)["observations"] == version + 1
    entry = AuditEntry.objects.get()
    assert entry.action == "observation.correct"
    assert entry.detail == {
        "observation": finding.pk,
        "walk": walk.pk,
        "kind": "unsafe_spot",
        "to_kind": "lighting_defect",
        "fields": ["kind", "geometry", "severity", "feeling", "note"],
    }
    assert "underpass" not in str(entry.detail)  # the note may name someone: never audited


def test_a_retried_correction_changes_nothing_more(capture_client, walk, finding):
    first = capture_client.patch(url(walk, finding), CORRECTION, format="json")
    version = data_versions(area=walk.area)["observations"]
    again = capture_client.patch(url(walk, finding), CORRECTION, format="json")
    assert (again.status_code, again.json()) == (200, first.json())
    assert data_versions(area=walk.area)["observations"] == version
    assert AuditEntry.objects.count() == 1


def test_a_correction_of_some_fields_keeps_the_others(capture_client, walk, finding):
    before = stored(finding)
    response = capture_client.patch(url(walk, finding), {"severity": None}, format="json")
    assert response.status_code == 200
    assert stored(finding) == (*before[:2], None, *before[3:])
    assert AuditEntry.objects.get().detail["fields"] == ["severity"]


@pytest.mark.parametrize(
    "correction, field",
    [
        ({"geometry": {"type": "Point", "coordinates": [13.2, 55.605]}}, "geometry"),  # outside
        ({"geometry": {"type": "Point", "coordinates": [55.605, 13.005]}}, "geometry"),  # swapped
        ({"geometry": {"type": "LineString", "coordinates": [INSIDE]}}, "geometry"),
        # A kind the stored point does not fit, and a shape the stored kind does not take.
        ({"kind": "blocked_sightline"}, "geometry"),
        ({"geometry": {"type": "LineString", "coordinates": [INSIDE, MOVED]}}, "geometry"),
        ({"kind": "no_such_kind"}, "kind"),
        ({"kind": None}, "kind"),
        ({"severity": 7}, "severity"),
        ({"feeling": "2"}, "feeling"),
        ({"note": "x" * 4001}, "note"),
        ({"captured_at": "2026-11-20T18:00:00Z"}, "captured_at"),  # when it was seen stays
        ({"client_id": "1c3a7a4e-0000-4000-8000-000000000000"}, "client_id"),
    ],
)
def test_a_bad_correction_is_refused_whole(capture_client, walk, finding, correction, field):
    before = stored(finding)
    version = data_versions(area=walk.area)["observations"]
    # The good fields sent with it are not taken either.
    response = capture_client.patch(
        url(walk, finding), {"note": "Corrected", **correction}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field] and response.json()[field][0]
    assert stored(finding) == before
    assert data_versions(area=walk.area)["observations"] == version
    assert not AuditEntry.objects.exists()


def test_a_correction_that_is_no_object_is_refused(capture_client, walk, finding):
    response = capture_client.patch(url(walk, finding), [CORRECTION], format="json")
    assert response.status_code == 400 and "non_field_errors" in response.json()


@pytest.mark.parametrize("role", ["fellow participant", "planner", "analyst"])
def test_nobody_else_corrects_a_finding(client_for, member, walk, finding, role):
    if role == "fellow participant":  # on the same walk, but not the author
        user = member("participant")
        walk.participants.add(user)
    else:
        user = member(role)
    before = stored(finding)
    response = client_for(user).patch(url(walk, finding), CORRECTION, format="json")
    assert response.status_code == 403
    assert stored(finding) == before and not AuditEntry.objects.exists()


@pytest.mark.parametrize("status", ["done", "followed_up"])
def test_a_done_walks_findings_are_corrected_by_coordinators_only(
    capture_client, client_for, member, walk, finding, status
):
    walk.status = status
    walk.save()
    before = stored(finding)
    response = capture_client.patch(url(walk, finding), CORRECTION, format="json")
    assert response.status_code == 409 and "coordinator" in response.json()["detail"]
    assert stored(finding) == before and not AuditEntry.objects.exists()
    # A coordinator edits it still (a neighbour's name taken out of the note, say).
    coordinator = client_for(member("coordinator"))
    response = coordinator.patch(url(walk, finding), {"note": "Dark underpass"}, format="json")
    assert response.status_code == 200 and stored(finding)[4] == "Dark underpass"
    assert AuditEntry.objects.get().action == "observation.edit"


def test_a_correction_after_the_follow_up_keeps_both(client_for, member, capture_client, walk):
    finding = Observation.objects.get(
        pk=sync(capture_client, walk, [item()]).json()["results"][0]["id"]
    )
    planner = client_for(member("planner"))
    body = {"follow_up": "reported", "note": "Sent to the housing company"}
    assert planner.patch(f"/api/observations/{finding.pk}/", body, format="json").status_code == 200
    response = capture_client.patch(url(walk, finding), {"severity": 5}, format="json")
    assert response.status_code == 200
    finding.refresh_from_db()
    assert (finding.severity, finding.follow_up, finding.follow_up_note) == (
        5,
        "reported",
        "Sent to the housing company",
    )
    assert [e.action for e in AuditEntry.objects.order_by("id")] == [
        "observation.follow_up",
        "observation.correct",
    ]


def test_a_correction_names_the_finding_by_walk_and_client_id(
    capture_client, area, participant, walk, finding
):
    other = make_walk(area, [participant], name="Another walk")
    wrong_walk = f"/api/walks/{other.pk}/observations/{finding.client_id}/"
    assert capture_client.patch(wrong_walk, CORRECTION, format="json").status_code == 404
    # A correction of a finding the server never had (its sync still to come) is a 404 too.
    never = f"/api/walks/{walk.pk}/observations/{item()['client_id']}/"
    assert capture_client.patch(never, CORRECTION, format="json").status_code == 404
    assert not AuditEntry.objects.exists()


def test_an_author_who_left_the_walk_corrects_nothing(capture_client, participant, walk, finding):
    walk.participants.remove(participant)
    before = stored(finding)
    assert capture_client.patch(url(walk, finding), CORRECTION, format="json").status_code == 403
    assert stored(finding) == before


@pytest.fixture
def photos(capture_client, finding):
    for orientation in (1, 6):
        answer = upload(capture_client, finding.pk, jpeg_with_gps(orientation=orientation))
        assert answer.status_code == 201
    return list(finding.photos.order_by("id"))


def test_the_author_removes_a_photo_of_their_finding(
    capture_client, finding, photos, django_capture_on_commit_callbacks
):
    wrong, kept = photos
    files = [Path(wrong.image.path), Path(wrong.thumbnail.path)]
    version = data_versions(area=finding.walk.area)["observations"]
    with django_capture_on_commit_callbacks(execute=True):
        assert capture_client.delete(f"/api/photos/{wrong.pk}/").status_code == 204
    assert list(finding.photos.all()) == [kept] and not any(path.exists() for path in files)
    assert data_versions(area=finding.walk.area)["observations"] == version + 1
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.detail) == (
        "photo.remove",
        {"photo": wrong.pk, "observation": finding.pk},
    )


def test_a_photo_of_a_done_walk_is_removed_by_coordinators_only(
    capture_client, client_for, member, walk, finding, photos
):
    fellow = member("participant")
    walk.participants.add(fellow)
    assert client_for(fellow).delete(f"/api/photos/{photos[0].pk}/").status_code == 403
    walk.status = "done"
    walk.closed_at = datetime.now().astimezone()
    walk.save()
    response = capture_client.delete(f"/api/photos/{photos[0].pk}/")
    assert response.status_code == 409 and "coordinator" in response.json()["detail"]
    assert finding.photos.count() == 2 and not AuditEntry.objects.exists()
