"""Every rejection the sync API gives, each with a reason a person understands."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from tests.factories import make_member, make_user
from tests.walks.helpers import item, make_walk, sync
from walks.models import Observation

pytestmark = pytest.mark.django_db


def rejection(client, walk, **overrides):
    response = sync(client, walk, [item(**overrides)])
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["status"] == "rejected"
    assert Observation.objects.count() == 0
    return result["errors"]


def test_self_intersecting_polygon_says_why_and_where(capture_client, walk):
    bowtie = [
        [13.004, 55.604],
        [13.006, 55.606],
        [13.006, 55.604],
        [13.004, 55.606],
        [13.004, 55.604],
    ]
    errors = rejection(capture_client, walk, geometry={"type": "Polygon", "coordinates": [bowtie]})
    [message] = errors["geometry"]
    assert "crosses itself" in message
    assert "13.005000, 55.605000" in message


def test_a_hole_outside_its_shape_is_named_in_the_participants_language(capture_client, walk):
    capture_client.cookies["django_language"] = "da"
    shell = [
        [13.004, 55.604],
        [13.006, 55.604],
        [13.006, 55.606],
        [13.004, 55.606],
        [13.004, 55.604],
    ]
    hole = [[13.007, 55.604], [13.008, 55.604], [13.008, 55.605], [13.007, 55.604]]
    polygon = {"type": "Polygon", "coordinates": [shell, hole]}
    [message] = rejection(capture_client, walk, geometry=polygon)["geometry"]
    assert message.startswith("Et hul i formen ligger uden for den nær ")


def test_unclosed_ring_is_named(capture_client, walk):
    ring = [[13.004, 55.604], [13.006, 55.604], [13.006, 55.606], [13.004, 55.606]]
    errors = rejection(capture_client, walk, geometry={"type": "Polygon", "coordinates": [ring]})
    assert "not closed" in errors["geometry"][0]


def test_point_outside_the_area_says_how_far(capture_client, walk):
    # 0.01° east of the area's east edge at 55.605°N is about 630 m.
    errors = rejection(
        capture_client, walk, geometry={"type": "Point", "coordinates": [13.028, 55.605]}
    )
    [message] = errors["geometry"]
    assert "outside the area" in message
    metres = int(message.split(" m outside")[0].split()[-1].replace(",", ""))
    assert 600 < metres < 660


def test_point_just_outside_within_tolerance_is_accepted(capture_client, walk):
    # About 50 m east of the boundary: GPS error, not a mistake.
    results = sync(
        capture_client, walk, [item(geometry={"type": "Point", "coordinates": [13.0188, 55.605]})]
    )
    assert results.json()["results"][0]["status"] == "created"


@override_settings(TRYGG_OUTSIDE_TOLERANCE_M=10)
def test_tolerance_comes_from_the_setting(capture_client, walk):
    errors = rejection(
        capture_client, walk, geometry={"type": "Point", "coordinates": [13.0188, 55.605]}
    )
    assert "up to 10 m" in errors["geometry"][0]


def test_swapped_latitude_and_longitude_are_detected(capture_client, walk):
    errors = rejection(
        capture_client, walk, geometry={"type": "Point", "coordinates": [55.605, 13.005]}
    )
    assert "swapped" in errors["geometry"][0]


def test_sightline_must_be_a_line(capture_client, walk):
    errors = rejection(capture_client, walk, kind="blocked_sightline")
    [message] = errors["geometry"]
    assert "blocked sightline" in message and "a line" in message and "a point" in message


def test_point_kind_refuses_a_line(capture_client, walk):
    line = {"type": "LineString", "coordinates": [[13.004, 55.604], [13.006, 55.606]]}
    errors = rejection(capture_client, walk, kind="drug_dealing", geometry=line)
    assert "not as a line" in errors["geometry"][0]


def test_unknown_kind_lists_the_known_ones(capture_client, walk):
    errors = rejection(capture_client, walk, kind="ufo")
    assert "'ufo'" in errors["kind"][0] and "unsafe_spot" in errors["kind"][0]


@pytest.mark.parametrize("field", ["severity", "feeling"])
@pytest.mark.parametrize("value", [0, 6, 2.5, "3", True])
def test_severity_and_feeling_are_whole_numbers_from_1_to_5(capture_client, walk, field, value):
    errors = rejection(capture_client, walk, **{field: value})
    assert "1 to 5" in errors[field][0]


def test_captured_in_the_future_beyond_clock_skew(capture_client, walk):
    later = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
    errors = rejection(capture_client, walk, captured_at=later)
    assert "in the future" in errors["captured_at"][0]


def test_small_clock_skew_is_accepted(capture_client, walk):
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    response = sync(capture_client, walk, [item(captured_at=soon)])
    assert response.json()["results"][0]["status"] == "created"


def test_captured_at_needs_a_time_zone(capture_client, walk):
    errors = rejection(capture_client, walk, captured_at="2026-11-20T18:30:00")
    assert "time zone" in errors["captured_at"][0]


def test_missing_fields_are_named_together(capture_client, walk):
    response = sync(capture_client, walk, [{"note": "only a note"}])
    errors = response.json()["results"][0]["errors"]
    assert {"client_id", "kind", "geometry", "captured_at"} <= set(errors)


def test_client_id_must_be_a_uuid(capture_client, walk):
    errors = rejection(capture_client, walk, client_id="not-a-uuid")
    assert "UUID" in errors["client_id"][0]


def test_negative_accuracy_is_refused(capture_client, walk):
    errors = rejection(capture_client, walk, accuracy_m=-1)
    assert "accuracy_m" in errors
    assert "accuracy_m" in rejection(capture_client, walk, accuracy_m=1e308)  # no fix at all


def test_rejection_reasons_are_translated(capture_client, walk):
    capture_client.cookies["django_language"] = "sv"
    errors = rejection(capture_client, walk, severity=9)
    assert "heltal" in errors["severity"][0]


@pytest.mark.parametrize("language, distance", [("en", "1,2"), ("sv", "1\xa02"), ("da", "1.2")])
def test_distances_are_written_as_the_language_writes_numbers(
    capture_client, walk, language, distance
):
    # About 1.2 km east of the area: "1,2xx m" would read as one metre in Swedish or Danish.
    capture_client.cookies["django_language"] = language
    far = {"type": "Point", "coordinates": [13.038, 55.605]}
    [message] = rejection(capture_client, walk, geometry=far)["geometry"]
    assert f" {distance}" in message


def test_participant_of_another_walk_may_not_capture_here(client_for, area, walk):
    outsider = make_member(area, "participant")
    make_walk(area, [outsider], name="Their own walk")
    response = sync(client_for(outsider), walk, [item()])
    assert response.status_code == 403
    assert Observation.objects.count() == 0


@pytest.mark.parametrize("role", ["planner", "coordinator", "analyst"])
def test_other_roles_capture_only_when_on_the_walk(client_for, member, walk, role):
    assert sync(client_for(member(role)), walk, [item()]).status_code == 403


def test_user_outside_the_area_gets_404(client_for, walk):
    assert sync(client_for(make_user()), walk, [item()]).status_code == 404


def test_anonymous_may_not_sync(api, walk):
    assert sync(api, walk, [item()]).status_code == 401


@pytest.mark.parametrize("tablet_off_by", [timedelta(hours=3), timedelta(hours=-5)])
def test_a_tablet_with_a_wrong_clock_is_set_right_by_the_time_it_sends(
    capture_client, walk, tablet_off_by
):
    # A tablet three hours fast lost every finding ("in the future", and no way to send it
    # again); five hours slow stored them before the walk began. The batch carries the
    # tablet's clock at sending (sent_at), so the server knows the offset and corrects it.
    tablet_now = datetime.now(UTC) + tablet_off_by
    seen = tablet_now - timedelta(minutes=5)
    response = capture_client.post(
        f"/api/walks/{walk.pk}/observations/sync",
        {"observations": [item(captured_at=seen.isoformat())], "sent_at": tablet_now.isoformat()},
        format="json",
    )
    assert response.json()["results"][0]["status"] == "created", response.json()
    stored = Observation.objects.get().captured_at
    assert abs(stored - (datetime.now(UTC) - timedelta(minutes=5))) < timedelta(seconds=30)


def test_a_sent_at_that_is_not_a_time_is_named(capture_client, walk):
    response = capture_client.post(
        f"/api/walks/{walk.pk}/observations/sync",
        {"observations": [item()], "sent_at": "yesterday"},
        format="json",
    )
    assert response.status_code == 400 and "sent_at" in response.json()
    assert Observation.objects.count() == 0


def test_the_first_finding_puts_a_planned_walk_under_way(capture_client, walk):
    assert walk.status == "planned"
    sync(capture_client, walk, [item()])
    walk.refresh_from_db()
    assert walk.status == "walking"
