import threading

import pytest
from django.db import connection

from geo.services import data_versions
from tests.walks.helpers import item, sync
from walks.models import Observation
from walks.taxonomy import builtin_kinds_ensure

pytestmark = pytest.mark.django_db


def test_sync_stores_each_item_and_answers_in_order(capture_client, walk, participant):
    items = [
        item(),
        item(
            kind="blocked_sightline",
            geometry={"type": "LineString", "coordinates": [[13.004, 55.604], [13.006, 55.606]]},
        ),
    ]
    response = sync(capture_client, walk, items)
    assert response.status_code == 200
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["created", "created"]
    assert [r["client_id"] for r in body["results"]] == [i["client_id"] for i in items]
    stored = Observation.objects.get(pk=body["results"][1]["id"])
    assert stored.kind.code == "blocked_sightline"
    assert stored.geom.geom_type == "LineString"
    assert stored.author == participant
    assert (body["created"], body["duplicate"], body["rejected"]) == (2, 0, 0)
    assert "sync;dur=" in response["Server-Timing"]


def test_sync_is_idempotent_for_retried_batches(capture_client, walk):
    items = [item(), item()]
    first = sync(capture_client, walk, items).json()["results"]
    again = sync(capture_client, walk, items).json()["results"]
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert [r["id"] for r in again] == [r["id"] for r in first]
    assert Observation.objects.count() == 2


def test_duplicate_changes_nothing(capture_client, walk):
    original = item(note="first words")
    sync(capture_client, walk, [original])
    sync(capture_client, walk, [{**original, "note": "changed on retry", "severity": 5}])
    stored = Observation.objects.get()
    assert (stored.note, stored.severity) == ("first words", 3)


def test_repeated_client_id_within_one_batch_is_stored_once(capture_client, walk):
    same = item()
    results = sync(capture_client, walk, [same, same]).json()["results"]
    assert [r["status"] for r in results] == ["created", "duplicate"]
    assert results[0]["id"] == results[1]["id"]
    assert Observation.objects.count() == 1


def test_valid_items_are_stored_when_others_are_rejected(capture_client, walk):
    good, bad = item(), item(severity=9)
    results = sync(capture_client, walk, [bad, good]).json()["results"]
    assert [r["status"] for r in results] == ["rejected", "created"]
    assert list(Observation.objects.values_list("client_id", flat=True)) == [
        __import__("uuid").UUID(good["client_id"])
    ]


def test_a_refused_item_put_right_is_stored_under_the_same_client_id(capture_client, walk):
    """The capture app resends a refused finding, fixed, with its client_id: a refusal stores
    nothing under it, so the fixed one is created, not taken for a duplicate of the refusal."""
    refused = item(geometry={"type": "Point", "coordinates": [13.028, 55.605]})  # outside
    [first] = sync(capture_client, walk, [refused]).json()["results"]
    assert first["status"] == "rejected" and not Observation.objects.exists()
    [again] = sync(capture_client, walk, [{**refused, "geometry": item()["geometry"]}]).json()[
        "results"
    ]
    assert again["status"] == "created"
    assert str(Observation.objects.get(pk=again["id"]).client_id) == refused["client_id"]


def test_sync_bumps_the_observations_version_only_when_it_stores(capture_client, walk, area):
    before = data_versions(area=area)["observations"]
    batch = [item()]
    sync(capture_client, walk, batch)
    after_store = data_versions(area=area)["observations"]
    sync(capture_client, walk, batch)
    sync(capture_client, walk, [item(kind="nope")])
    assert after_store == before + 1
    assert data_versions(area=area)["observations"] == after_store


def test_more_than_500_items_are_refused_whole(capture_client, walk):
    response = sync(capture_client, walk, [item() for _ in range(501)])
    assert response.status_code == 400
    assert "observations" in response.json()
    assert Observation.objects.count() == 0


def test_body_must_carry_a_list(capture_client, walk):
    response = capture_client.post(
        f"/api/walks/{walk.pk}/observations/sync", {"observations": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "observations" in response.json()


def test_client_id_of_another_walk_is_rejected(capture_client, walk, area, participant):
    from tests.walks.helpers import make_walk

    other = make_walk(area, [participant], name="Other walk")
    reused = item()
    sync(capture_client, other, [reused])
    [result] = sync(capture_client, walk, [reused]).json()["results"]
    assert result["status"] == "rejected"
    assert "client_id" in result["errors"]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_identical_batches_store_each_observation_once(area, participant):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from tests.walks.helpers import make_walk

    builtin_kinds_ensure()
    walk = make_walk(area, [participant])
    token = Token.objects.create(user=participant)
    batch = [item() for _ in range(50)]
    barrier = threading.Barrier(2)
    answers = [None, None]

    def send(slot):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        barrier.wait()
        try:
            answers[slot] = sync(client, walk, batch)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [200, 200]
    statuses = [{a.json()["results"][i]["status"] for a in answers} for i in range(len(batch))]
    assert all(s == {"created", "duplicate"} for s in statuses), statuses
    ids = [[r["id"] for r in a.json()["results"]] for a in answers]
    assert ids[0] == ids[1]
    assert Observation.objects.filter(walk=walk).count() == 50
