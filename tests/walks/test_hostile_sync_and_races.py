"""Hostile input and races on the capture write paths that once answered 500: each now gets a
clear refusal in the reader's language and changes nothing."""

import io
import threading
import uuid

import pytest
from django.db import connection
from django.http import Http404
from PIL import Image

from geo.models import AuditEntry
from tests.walks.helpers import item, sync
from walks import services
from walks.models import Observation, Photo

pytestmark = pytest.mark.django_db


def test_a_number_as_client_id_twice_in_a_batch_is_rejected_and_stores_nothing(
    capture_client, walk
):
    # 32 digits read as a UUID once made text; the repeat then had no client_id to match (500,
    # after the first had been stored).
    number = 12345678901234567890123456789012
    good = item()
    response = sync(capture_client, walk, [item(client_id=number), item(client_id=number), good])
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "created"]
    assert results[0]["errors"] == {"client_id": ["client_id must be a UUID."]}
    stored = list(walk.observations.values_list("client_id", flat=True))
    assert stored == [uuid.UUID(good["client_id"])]


def test_a_repeat_in_the_batch_in_another_spelling_is_the_same_finding(capture_client, walk):
    first = item(client_id="AAAAAAAA-0000-4000-8000-000000000001")
    again = item(client_id="urn:uuid:aaaaaaaa-0000-4000-8000-000000000001")
    results = sync(capture_client, walk, [first, again]).json()["results"]
    assert [r["status"] for r in results] == ["created", "duplicate"]
    assert results[0]["id"] == results[1]["id"]


@pytest.mark.parametrize(
    "captured_at, sent_at",
    [
        ("0001-01-01T00:00:00+14:00", None),  # no UTC time at all
        (None, "9999-12-31T00:00:00Z"),  # a tablet clock of year 9999 moves times before year 1
    ],
)
def test_a_time_off_the_calendar_is_rejected_with_its_reason(
    capture_client, walk, captured_at, sent_at
):
    bad = item(**({"captured_at": captured_at} if captured_at else {}))
    body = {"observations": [bad], **({"sent_at": sent_at} if sent_at else {})}
    response = capture_client.post(
        f"/api/walks/{walk.pk}/observations/sync",
        body,
        format="json",
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["status"] == "rejected"
    assert "kontrollera surfplattans" in result["errors"]["captured_at"][0]
    assert not walk.observations.exists()


def test_a_follow_up_reads_the_state_it_changes_from_the_database(capture_client, walk, member):
    [result] = sync(capture_client, walk, [item()]).json()["results"]
    stale = Observation.objects.get(pk=result["id"])
    # Someone else recorded "reported" after this request read the finding.
    Observation.objects.filter(pk=stale.pk).update(follow_up="reported")
    services.observation_follow_up_set(observation=stale, follow_up="fixed", user=member("planner"))
    entry = AuditEntry.objects.get(action="observation.follow_up")
    assert (entry.detail["from"], entry.detail["to"]) == ("reported", "fixed")


def test_a_follow_up_of_a_finding_deleted_meanwhile_is_not_found(capture_client, walk, member):
    [result] = sync(capture_client, walk, [item()]).json()["results"]
    stale = Observation.objects.get(pk=result["id"])
    Observation.objects.filter(pk=stale.pk).delete()
    with pytest.raises(Http404):
        services.observation_follow_up_set(
            observation=stale, follow_up="fixed", user=member("planner")
        )
    assert not AuditEntry.objects.exists()


def test_photo_refusals_speak_the_readers_language(capture_client, walk):
    [result] = sync(capture_client, walk, [item()]).json()["results"]
    url = f"/api/observations/{result['id']}/photos/"
    missing = capture_client.post(url, {"photo": io.BytesIO(b"x")}, HTTP_ACCEPT_LANGUAGE="sv")
    assert missing.status_code == 400
    assert missing.json() == {"image": ["Skicka fotot som multipart-fältet 'image'."]}
    # A body declared larger than any photo is refused before it is read.
    huge = capture_client.post(
        url,
        {"image": io.BytesIO(b"x")},
        HTTP_ACCEPT_LANGUAGE="sv",
        CONTENT_LENGTH=str(1024**3),
    )
    assert huge.status_code == 413
    assert huge.json()["image"][0].startswith("Fotot är 1")
    assert not Photo.objects.exists()


def test_the_route_refusal_speaks_the_readers_language(client_for, member, area):
    response = client_for(member("coordinator")).post(
        f"/api/areas/{area.slug}/walks/",
        {
            "name": "Rundan",
            "starts_at": "2026-11-27T18:00:00+01:00",
            "route": {"type": "Point", "coordinates": [13.005, 55.605]},
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    assert response.status_code == 400
    assert response.json() == {"route": ["Rutten ska vara en GeoJSON LineString."]}


@pytest.mark.django_db(transaction=True)
def test_a_photo_of_a_finding_deleted_while_it_was_prepared_is_not_found(
    settings, tmp_path, capture_client, walk
):
    settings.MEDIA_ROOT = tmp_path
    [result] = sync(capture_client, walk, [item()]).json()["results"]
    observation = Observation.objects.select_related("walk__area").get(pk=result["id"])
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "finding.jpg"
    prepare = services.photo_prepare

    def deleted_meanwhile(raw):
        prepared = prepare(raw)
        # The coordinator's deletion commits from another connection while the photo decodes.
        done = threading.Event()

        def delete():
            Observation.objects.filter(pk=observation.pk).delete()
            connection.close()
            done.set()

        threading.Thread(target=delete).start()
        done.wait(10)
        return prepared

    services.photo_prepare = deleted_meanwhile
    try:
        with pytest.raises(Http404):
            services.photo_store(observation=observation, upload=buffer)
    finally:
        services.photo_prepare = prepare
    assert not Photo.objects.exists()
    assert not any(path.is_file() for path in tmp_path.rglob("*"))
