"""A walk marked done keeps what was captured during it, including from a tablet that was
offline when it closed, and refuses findings captured after it closed."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.walks.helpers import item, sync
from walks.models import Observation

pytestmark = pytest.mark.django_db


def close(client_for, member, walk, status="done"):
    planner = client_for(member("coordinator"))
    response = planner.patch(f"/api/walks/{walk.pk}/", {"status": status}, format="json")
    assert response.status_code == 200, response.content
    walk.refresh_from_db()
    return response.json()


def at(moment: datetime) -> str:
    return moment.isoformat()


def test_closing_a_walk_records_when_and_reopening_clears_it(client_for, member, walk):
    assert walk.closed_at is None
    before = datetime.now(UTC)
    body = close(client_for, member, walk)
    assert walk.closed_at >= before and body["closed_at"] is not None
    close(client_for, member, walk, "followed_up")  # closed to closed: the time stays
    assert walk.closed_at <= datetime.now(UTC) and walk.closed_at >= before
    assert close(client_for, member, walk, "walking")["closed_at"] is None


def test_late_sync_of_the_walk_is_kept_and_findings_after_the_close_are_refused(
    client_for, member, walk, capture_client
):
    stored = item()
    assert sync(capture_client, walk, [stored]).json()["results"][0]["status"] == "created"
    close(client_for, member, walk)
    closed = walk.closed_at = datetime.now(UTC) - timedelta(hours=1)  # closed an hour ago
    walk.save(update_fields=["closed_at"])
    during = item(captured_at=at(closed - timedelta(minutes=30)))  # an offline tablet's
    last = item(captured_at=at(closed + timedelta(minutes=10)))  # within the grace
    after = item(captured_at=at(closed + timedelta(minutes=20)))
    answer = sync(capture_client, walk, [stored, during, last, after]).json()
    results = answer["results"]
    assert answer["walk_open"] is False  # an open capture page learns it here
    assert [r["status"] for r in results] == ["duplicate", "created", "created", "rejected"]
    assert "marked done" in results[3]["errors"]["captured_at"][0]
    assert Observation.objects.filter(walk=walk).count() == 3

    close(client_for, member, walk, "walking")  # reopened: it belongs to the walk after all
    assert sync(capture_client, walk, [after]).json()["results"][0]["status"] == "created"


def test_a_walk_closed_before_the_time_was_recorded_counts_from_its_planned_end(
    walk, capture_client
):
    walk.ends_at = walk.starts_at + timedelta(hours=2)
    walk.status = "done"
    walk.save()
    inside = item(captured_at=at(walk.starts_at + timedelta(hours=1)))
    late = item(captured_at=at(walk.ends_at + timedelta(hours=1)))
    statuses = [r["status"] for r in sync(capture_client, walk, [inside, late]).json()["results"]]
    assert statuses == ["created", "rejected"]


def test_a_tablet_whose_clock_was_reset_is_told_to_check_it(walk, capture_client):
    reset = item(captured_at="1970-01-01T00:00:00Z")
    early = item(captured_at=at(walk.starts_at - timedelta(hours=2)))  # started a bit early
    results = sync(capture_client, walk, [reset, early]).json()["results"]
    assert [r["status"] for r in results] == ["rejected", "created"]
    assert "check the tablet's date and time" in results[0]["errors"]["captured_at"][0]


def test_a_client_id_is_echoed_as_it_was_sent(walk, capture_client):
    shouting = item()
    shouting["client_id"] = shouting["client_id"].upper()
    for status in ("created", "duplicate"):
        [result] = sync(capture_client, walk, [shouting]).json()["results"]
        assert (result["status"], result["client_id"]) == (status, shouting["client_id"])
