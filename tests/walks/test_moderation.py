"""Coordinators delete a finding or a photo (a note naming someone, a face in a photo): the rows
and files go, the tiles' version moves on, and the audit log says who deleted what kind of
finding without keeping its content. A finding's author may withdraw it while the walk is open
(a wrong tap); nobody else may delete anything."""

from pathlib import Path

import pytest
from django.db import transaction

from geo.models import AuditEntry
from geo.services import data_versions
from tests.walks.helpers import item, sync
from tests.walks.test_photos import jpeg_with_gps, upload
from walks.models import Observation, Photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def finding(capture_client, walk):
    """A finding whose note names a neighbour, with two photos."""
    response = sync(capture_client, walk, [item(note="Anders in no. 4 leaves the gate open")])
    [result] = response.json()["results"]
    for orientation in (1, 6):
        assert (
            upload(capture_client, result["id"], jpeg_with_gps(orientation=orientation)).status_code
            == 201
        )
    return Observation.objects.get(pk=result["id"])


def files(observation) -> list[Path]:
    return [Path(f.path) for p in observation.photos.all() for f in (p.image, p.thumbnail)]


def test_a_coordinator_deletes_a_finding_with_its_photos(
    client_for, member, walk, finding, django_capture_on_commit_callbacks
):
    stored = files(finding)
    assert len(stored) == 4 and all(path.exists() for path in stored)
    before = data_versions(area=walk.area)["observations"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(member("coordinator")).delete(f"/api/observations/{finding.pk}/")
    assert response.status_code == 204
    assert not Observation.objects.filter(pk=finding.pk).exists() and not Photo.objects.exists()
    assert not any(path.exists() for path in stored)
    assert data_versions(area=walk.area)["observations"] == before + 1
    entry = AuditEntry.objects.get(action="observation.delete")
    assert entry.detail == {
        "observation": finding.pk,
        "walk": walk.pk,
        "kind": "unsafe_spot",
        "photos": 2,
    }
    assert "Anders" not in str(entry.detail)


@pytest.mark.parametrize("role", ["fellow participant", "planner", "analyst"])
def test_nobody_else_deletes_findings_or_photos(client_for, member, walk, finding, role):
    if role == "fellow participant":  # on the same walk, but not the author
        user = member("participant")
        walk.participants.add(user)
    else:
        user = member(role)
    client = client_for(user)
    assert client.delete(f"/api/observations/{finding.pk}/").status_code == 403
    withdrawal = f"/api/walks/{walk.pk}/observations/{finding.client_id}/"
    assert client.delete(withdrawal).status_code == 403
    assert client.delete(f"/api/photos/{finding.photos.first().pk}/").status_code == 403
    assert finding.photos.count() == 2 and not AuditEntry.objects.exists()


@pytest.mark.parametrize("by", ["client_id", "id"])
def test_the_author_withdraws_a_finding_while_the_walk_is_open(
    capture_client, walk, finding, by, django_capture_on_commit_callbacks
):
    stored = files(finding)
    before = data_versions(area=walk.area)["observations"]
    url = (
        f"/api/walks/{walk.pk}/observations/{finding.client_id}/"
        if by == "client_id"
        else f"/api/observations/{finding.pk}/"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert capture_client.delete(url).status_code == 204
    assert not Observation.objects.exists() and not Photo.objects.exists()
    assert not any(path.exists() for path in stored)
    assert data_versions(area=walk.area)["observations"] == before + 1
    entry = AuditEntry.objects.get()
    assert entry.action == "observation.withdraw" and "Anders" not in str(entry.detail)
    # The tablet retries a withdrawal whose answer it lost: the finding is gone, nothing else.
    assert capture_client.delete(url).status_code == 404
    assert AuditEntry.objects.count() == 1


@pytest.mark.parametrize("status", ["done", "followed_up"])
def test_a_done_walks_findings_are_its_record(
    capture_client, client_for, member, walk, finding, status
):
    walk.status = status
    walk.save()
    response = capture_client.delete(f"/api/walks/{walk.pk}/observations/{finding.client_id}/")
    assert response.status_code == 409 and "coordinator" in response.json()["detail"]
    assert capture_client.delete(f"/api/observations/{finding.pk}/").status_code == 409
    assert Observation.objects.filter(pk=finding.pk).exists() and not AuditEntry.objects.exists()
    # A coordinator still may.
    assert (
        client_for(member("coordinator")).delete(f"/api/observations/{finding.pk}/").status_code
        == 204
    )


def test_an_author_who_left_the_walk_withdraws_nothing(capture_client, participant, walk, finding):
    walk.participants.remove(participant)
    url = f"/api/walks/{walk.pk}/observations/{finding.client_id}/"
    assert capture_client.delete(url).status_code == 403
    assert Observation.objects.filter(pk=finding.pk).exists()


def test_a_withdrawal_names_the_walk_the_finding_is_on(capture_client, area, participant, finding):
    from tests.walks.helpers import make_walk

    other = make_walk(area, [participant], name="Another walk")
    url = f"/api/walks/{other.pk}/observations/{finding.client_id}/"
    assert capture_client.delete(url).status_code == 404
    assert (
        capture_client.delete(f"/api/walks/{other.pk}/observations/not-a-uuid/").status_code == 404
    )
    assert Observation.objects.filter(pk=finding.pk).exists()


def test_a_coordinator_deletes_one_photo(
    client_for, member, finding, django_capture_on_commit_callbacks
):
    first, second = finding.photos.order_by("id")
    gone = [Path(first.image.path), Path(first.thumbnail.path)]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(member("coordinator")).delete(f"/api/photos/{first.pk}/")
    assert response.status_code == 204
    assert list(finding.photos.all()) == [second] and not any(p.exists() for p in gone)
    assert Path(second.image.path).exists()
    assert AuditEntry.objects.get().action == "photo.delete"


def test_the_report_page_deletes_for_coordinators_only(
    client, member, walk, finding, django_capture_on_commit_callbacks
):
    page = f"/walks/{walk.pk}/report/"
    client.force_login(member("planner"))
    assert "data-confirm" not in client.get(page).content.decode()
    assert client.post(page, {"observation": finding.pk}).status_code == 403
    client.force_login(member("coordinator"))
    assert client.get(page).content.decode().count("data-confirm") == 3  # the finding, 2 photos
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page, {"photo": finding.photos.first().pk}, follow=True)
    assert "The photo is deleted." in response.content.decode()
    assert finding.photos.count() == 1
    response = client.post(page, {"observation": finding.pk}, follow=True)
    assert "The finding and its photos are deleted." in response.content.decode()
    assert not Observation.objects.exists()


def test_the_report_page_touches_only_its_own_walk(client, member, area, walk, finding):
    from tests.walks.helpers import make_walk

    other = make_walk(area, name="Another walk")
    client.force_login(member("coordinator"))
    assert client.post(f"/walks/{other.pk}/report/", {"observation": finding.pk}).status_code == 404
    assert (
        client.post(f"/walks/{other.pk}/report/", {"photo": finding.photos.first().pk}).status_code
        == 404
    )
    assert Observation.objects.filter(pk=finding.pk).exists() and finding.photos.count() == 2


@pytest.mark.parametrize("field", ["observation", "photo", "finding"])
@pytest.mark.parametrize("value", ["abc", "", "٣", "9" * 30])
def test_a_hand_edited_report_form_gets_404_not_a_server_error(client, member, walk, field, value):
    client.force_login(member("coordinator"))
    body = {field: value, **({"follow_up": "fixed"} if field == "finding" else {})}
    assert client.post(f"/walks/{walk.pk}/report/", body).status_code == 404


def test_a_stranger_cannot_tell_an_existing_finding_from_a_missing_one(client_for, finding):
    """A coordinator of another area gets the same 404 for a finding that exists as for one
    that does not ("No such walk." would have said it exists)."""
    from tests.factories import make_area, make_member

    stranger = client_for(make_member(make_area("elsewhere"), "coordinator"))
    existing = stranger.delete(f"/api/observations/{finding.pk}/")
    missing = stranger.delete(f"/api/observations/{finding.pk + 1000}/")
    assert (existing.status_code, existing.json()) == (missing.status_code, missing.json())
    assert existing.status_code == 404
    assert Observation.objects.filter(pk=finding.pk).exists()


def test_photo_files_go_with_their_rows_however_deleted(
    walk, finding, django_capture_on_commit_callbacks
):
    """The admin deletes photos, findings, walks and areas with the ORM, past the services."""
    stored = files(finding)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            walk.area.delete()
            raise RuntimeError  # rolled back: rows and files stay
    assert Photo.objects.count() == 2 and all(path.exists() for path in stored)

    with django_capture_on_commit_callbacks(execute=True):
        Photo.objects.filter(observation=finding).delete()  # the admin's bulk action
    assert not any(path.exists() for path in stored)
