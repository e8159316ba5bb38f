"""A tablet that still holds findings when its walk is deleted, or when its participant is
taken off the walk or out of the area: the server says which (404 for a walk that is gone,
403 for someone no longer on it), never a retryable conflict, and tells strangers nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from geo.models import Role
from tests.factories import make_area, make_member
from tests.walks.helpers import item, make_walk, sync
from walks import views
from walks.models import Observation, Walk

pytestmark = pytest.mark.django_db

NO_LONGER = "You are no longer on this walk or in its area: ask your coordinator."


def withdraw(client, walk, client_id):
    return client.delete(f"/api/walks/{walk.pk}/observations/{client_id}/")


def remove_from_area(client_for, member, area, user):
    coordinator = client_for(member(Role.COORDINATOR))
    membership = area.memberships.get(user=user)
    answer = coordinator.delete(f"/api/areas/{area.slug}/members/{membership.pk}/")
    assert answer.status_code == 204, answer.content


def test_a_deleted_walk_answers_404_to_its_participants_sync(
    capture_client, walk, client_for, member
):
    planner = client_for(member(Role.PLANNER))
    assert planner.delete(f"/api/walks/{walk.pk}/").status_code == 204
    answer = sync(capture_client, walk, [item()])
    assert answer.status_code == 404
    assert answer.json()["detail"] == "No such walk."


@pytest.mark.django_db(transaction=True)  # the foreign key is checked at a real commit
def test_a_sync_racing_the_walks_deletion_answers_404_not_a_conflict(
    capture_client, walk, monkeypatch
):
    # The walk is deleted between the sync's access check and its insert: the insert failed
    # on the foreign key (409, "conflicts with stored data"), which the tablet retried for ever.
    looked_up = views.walk_access

    def deleted_meanwhile(*args, **kwargs):
        found = looked_up(*args, **kwargs)
        Walk.objects.filter(pk=found[0].pk).delete()
        return found

    monkeypatch.setattr(views, "walk_access", deleted_meanwhile)
    answer = sync(capture_client, walk, [item()])
    assert answer.status_code == 404, answer.content
    assert answer.json()["detail"] == "No such walk."
    assert not Observation.objects.exists()


def test_a_participant_removed_from_the_area_is_told_so_not_that_the_walk_is_gone(
    capture_client, walk, participant, client_for, member, area
):
    remove_from_area(client_for, member, area, participant)
    answer = sync(capture_client, walk, [item()])
    assert answer.status_code == 403
    assert answer.json()["detail"] == NO_LONGER
    assert not Observation.objects.exists()
    assert list(walk.former_participants.all()) == [participant]


def test_their_withdrawal_and_photo_of_a_synced_finding_get_403(
    capture_client, walk, participant, client_for, member, area
):
    finding = item()
    assert sync(capture_client, walk, [finding]).json()["created"] == 1
    remove_from_area(client_for, member, area, participant)
    answer = withdraw(capture_client, walk, finding["client_id"])
    assert (answer.status_code, answer.json()["detail"]) == (403, NO_LONGER)
    stored = Observation.objects.get()
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(image, "JPEG")
    upload = SimpleUploadedFile("p.jpg", image.getvalue(), content_type="image/jpeg")
    answer = capture_client.post(
        f"/api/observations/{stored.pk}/photos/", {"image": upload}, format="multipart"
    )
    assert (answer.status_code, answer.json()["detail"]) == (403, NO_LONGER)
    assert Observation.objects.filter(pk=stored.pk).exists()


def test_a_done_walk_keeps_those_who_left_the_area_and_tells_them_403(
    capture_client, area, participant, client_for, member
):
    walk = make_walk(area, [participant], status="done")
    remove_from_area(client_for, member, area, participant)
    assert list(walk.participants.all()) == [participant]  # the record of who walked
    answer = sync(capture_client, walk, [item()])
    assert (answer.status_code, answer.json()["detail"]) == (403, NO_LONGER)


def test_a_participant_taken_off_the_walk_gets_403_for_sync_and_withdrawal(
    capture_client, walk, participant, client_for, member
):
    finding = item()
    assert sync(capture_client, walk, [finding]).json()["created"] == 1
    planner = client_for(member(Role.PLANNER))
    answer = planner.patch(f"/api/walks/{walk.pk}/", {"participants": []}, format="json")
    assert answer.status_code == 200, answer.content
    assert list(walk.former_participants.all()) == [participant]
    assert sync(capture_client, walk, [item()]).status_code == 403
    assert withdraw(capture_client, walk, finding["client_id"]).status_code == 403

    # Put back on the walk: no longer a former participant, and capturing again.
    answer = planner.patch(
        f"/api/walks/{walk.pk}/", {"participants": [participant.username]}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert not walk.former_participants.exists()
    assert sync(capture_client, walk, [item()]).json()["created"] == 1


def test_taken_off_a_walk_in_the_request_that_marks_it_done_is_recorded(
    capture_client, walk, participant, client_for, member
):
    """The walk was under way when they were taken off: its state after the request is done."""
    planner = client_for(member(Role.PLANNER))
    answer = planner.patch(
        f"/api/walks/{walk.pk}/", {"participants": [], "status": "done"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert list(walk.former_participants.all()) == [participant]


def test_strangers_still_learn_nothing(walk, participant, client_for, member, area):
    finding = item()
    assert sync(client_for(participant), walk, [finding]).json()["created"] == 1
    outsider = client_for(make_member(make_area("elsewhere"), Role.PARTICIPANT))
    for answer in (
        sync(outsider, walk, [item()]),
        sync(outsider, Walk(pk=walk.pk + 1000), [item()]),
    ):
        assert (answer.status_code, answer.json()["detail"]) == (404, "No such walk.")
    # A withdrawal names the finding: the same answer as for one that was never sent.
    for answer in (
        withdraw(outsider, walk, finding["client_id"]),
        withdraw(outsider, walk, item()["client_id"]),
    ):
        assert (answer.status_code, answer.json()["detail"]) == (404, "No such observation.")

    # A former member of the area who was never on this walk: a stranger to it too.
    bystander = member(Role.PARTICIPANT)
    remove_from_area(client_for, member, area, bystander)
    answer = sync(client_for(bystander), walk, [item()])
    assert (answer.status_code, answer.json()["detail"]) == (404, "No such walk.")


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("sv", "Du är inte längre med i den här vandringen"),
        ("da", "Du er ikke længere med på denne vandring"),
    ],
)
def test_the_reason_is_in_the_tablets_language(
    capture_client, walk, participant, client_for, member, area, language, words
):
    remove_from_area(client_for, member, area, participant)
    capture_client.cookies["django_language"] = language
    answer = sync(capture_client, walk, [item()])
    assert answer.status_code == 403
    assert answer.json()["detail"].startswith(words)
