"""Shared builders for the walks tests: a walk in the test area and sync items."""

import time
import uuid
from datetime import UTC, datetime, timedelta

from django.contrib.gis.geos import LineString
from django.db import connection

from walks.models import Walk

# Inside the test area (13.000–13.018 E, 55.600–55.610 N).
INSIDE = [13.005, 55.605]


def make_walk(area, participants=(), **fields) -> Walk:
    walk = Walk.objects.create(
        area=area,
        name=fields.pop("name", "Evening walk"),
        starts_at=fields.pop("starts_at", datetime(2026, 11, 20, 18, 0, tzinfo=UTC)),
        route=fields.pop("route", LineString((13.002, 55.602), (13.016, 55.608), srid=4326)),
        light=fields.pop("light", "night"),
        **fields,
    )
    walk.participants.set(participants)
    return walk


def item(**overrides) -> dict:
    base = {
        "client_id": str(uuid.uuid4()),
        "kind": "unsafe_spot",
        "geometry": {"type": "Point", "coordinates": INSIDE},
        "severity": 3,
        "feeling": 2,
        "note": "Dark underpass",
        "captured_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "accuracy_m": 6.5,
    }
    base.update(overrides)
    return base


def sync(client, walk, items):
    return client.post(
        f"/api/walks/{walk.pk}/observations/sync", {"observations": items}, format="json"
    )


def backends_waiting_for_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def wait_until_waiting(n: int) -> None:
    for _ in range(200):  # at most 10 s
        if backends_waiting_for_locks() >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"expected {n} backends waiting for a lock")
