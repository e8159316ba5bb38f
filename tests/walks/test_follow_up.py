"""Follow-up of findings: coordinators and planners record where each finding stands after the
walk (open, reported, fixed, no action); the report, the map and the API show it."""

import pytest
from django.utils import timezone

from geo.models import AuditEntry
from geo.services import data_versions
from tests.walks.helpers import item, sync
from walks.models import Observation
from walks.services import observation_follow_up_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def finding(capture_client, walk):
    [result] = sync(capture_client, walk, [item()]).json()["results"]
    return Observation.objects.get(pk=result["id"])


def test_a_synced_finding_starts_open(finding):
    assert (finding.follow_up, finding.follow_up_note, finding.follow_up_at) == ("open", "", None)


def test_a_planner_records_a_follow_up_through_the_api(client_for, member, walk, finding):
    before = data_versions(area=walk.area)["observations"]
    planner = member("planner")
    response = client_for(planner).patch(
        f"/api/observations/{finding.pk}/",
        {"follow_up": "reported", "note": "Sent to the housing company, case 2231"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["properties"]["follow_up"] == "reported"
    finding.refresh_from_db()
    assert finding.follow_up_note == "Sent to the housing company, case 2231"
    assert finding.follow_up_at is not None and finding.follow_up_by == planner
    assert data_versions(area=walk.area)["observations"] == before + 1
    # Each change is audited, with its states and without the note (it may name officials).
    entry = AuditEntry.objects.get(action="observation.follow_up")
    assert entry.user == planner
    assert entry.detail == {
        "observation": finding.pk,
        "walk": walk.pk,
        "from": "open",
        "to": "reported",
    }


@pytest.mark.parametrize(
    "body, field",
    [({"follow_up": "done"}, "follow_up"), ({"follow_up": "fixed", "note": "x" * 1001}, "note")],
)
def test_a_bad_follow_up_names_the_field_and_changes_nothing(
    client_for, member, finding, body, field
):
    response = client_for(member("coordinator")).patch(
        f"/api/observations/{finding.pk}/", body, format="json"
    )
    assert response.status_code == 400 and field in response.json()
    finding.refresh_from_db()
    assert finding.follow_up == "open"


@pytest.mark.parametrize("role", ["participant", "analyst"])
def test_only_those_who_plan_walks_follow_up(client_for, member, participant, finding, role):
    user = participant if role == "participant" else member(role)
    response = client_for(user).patch(
        f"/api/observations/{finding.pk}/", {"follow_up": "fixed"}, format="json"
    )
    assert response.status_code == 403
    finding.refresh_from_db()
    assert finding.follow_up == "open"  # refused, and nothing changed


def test_the_report_records_and_shows_the_follow_up(client, member, participant, walk, finding):
    page = f"/walks/{walk.pk}/report/"
    client.force_login(member("coordinator"))
    saved = {"finding": finding.pk, "number": 1, "follow_up": "fixed", "note": "New lamp"}
    assert client.post(page, saved)["Location"] == f"{page}#observation-1"
    response = client.get(page)
    body = response.content.decode()
    assert "Follow-up of finding 1 saved." in body
    assert '<span class="state fixed">Fixed</span>' in body and "New lamp" in body
    assert "Fixed <strong>1</strong>" in body  # the counts at the top
    finding.refresh_from_db()
    when = timezone.localtime(finding.follow_up_at).date().isoformat()
    # When, and by whom for those who plan walks (names are theirs to see, as in the API).
    coordinator = finding.follow_up_by.username
    assert f"{when} · {coordinator}" in body
    client.force_login(participant)
    assert client.post(page, {"finding": finding.pk, "follow_up": "open"}).status_code == 403
    seen = client.get(page).content.decode()
    assert 'name="follow_up"' not in seen
    assert when in seen and coordinator not in seen


def test_the_map_shows_the_follow_up(client, member, finding):
    planner = member("planner")
    client.force_login(planner)
    data = client.get(f"/map/testarea/observations/{finding.pk}.json").json()
    assert (data["follow_up"], data["follow_up_at"]) == ("Open", None)
    observation_follow_up_set(
        observation=finding, follow_up="reported", note="Case 7", user=planner
    )
    data = client.get(f"/map/testarea/observations/{finding.pk}.json").json()
    assert (data["follow_up"], data["follow_up_note"]) == ("Reported to who can act", "Case 7")
    assert data["follow_up_at"] == finding.follow_up_at.isoformat()


def test_the_report_shows_each_findings_follow_up_history(
    client, member, participant, walk, finding
):
    page = f"/walks/{walk.pk}/report/"
    coordinator = member("coordinator")
    client.force_login(coordinator)
    for state in ("reported", "fixed", "fixed"):
        client.post(page, {"finding": finding.pk, "number": 1, "follow_up": state})
    body = client.get(page).content.decode()
    assert "3 changes" in body
    assert f"{coordinator.username}: Open → Reported to who can act" in body
    assert f"{coordinator.username}: Reported to who can act → Fixed" in body
    assert f"{coordinator.username}: Fixed (note changed)" in body  # not "Fixed → Fixed"
    client.force_login(participant)
    assert "3 changes" not in client.get(page).content.decode()  # names are for planners
