"""The capture app's preview (?preview=1): those who plan an area's walks see a walk's app as its
participants will, with nothing stored or sent; everyone else gets the capture page's answer."""

import json

import pytest
from django.test import Client

from tests.factories import make_area, make_member
from tests.walks.helpers import item, sync
from walks.models import Observation, ObservationKind

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def preview_of(user, walk):
    return logged_in(user).get(f"/walks/{walk.pk}/capture/?preview=1")


def config_of(response):
    page = response.content.decode()
    return json.loads(
        page.split('id="capture-config" type="application/json">')[1].split("</script>")[0]
    )


@pytest.mark.parametrize("role", ["coordinator", "planner"])
def test_those_who_plan_walks_see_the_app_as_its_participants_will(member, walk, role):
    ObservationKind.objects.create(
        code="broken_bench",
        area=walk.area,
        label_en="Broken bench",
        label_sv="Trasig bänk",
        label_da="Ødelagt bænk",
        geometry_types=["Point"],
    )
    response = preview_of(member(role), walk)
    assert response.status_code == 200
    config = config_of(response)
    assert config["preview"] is True
    # The same walk, map and kinds as a participant's, the area's own kinds among them.
    assert config["walk"]["route"]["type"] == "LineString" and config["walk"]["light"] == "night"
    assert config["walk"]["boundary"] and config["urls"]["blocks"]
    assert "broken_bench" in {kind["code"] for kind in config["kinds"]}
    # Nowhere to send or keep anything from, and not installable.
    assert not {"sync", "photos", "withdraw", "service_worker"} & set(config["urls"])
    page = response.content.decode()
    assert "Preview: nothing you place is sent or kept" in page
    assert 'rel="manifest"' not in page


def test_the_preview_banner_is_translated(member, walk):
    client = logged_in(member("coordinator"))
    client.cookies["django_language"] = "sv"
    # The app's own words (i18n.js) re-word it; the page's first paint is Django's.
    assert 'data-t="preview"' in client.get(f"/walks/{walk.pk}/capture/?preview=1").content.decode()


def test_a_participant_asking_for_the_preview_gets_the_app_itself(participant, walk):
    response = preview_of(participant, walk)
    assert response.status_code == 302 and response["Location"] == f"/walks/{walk.pk}/capture/"
    config = config_of(logged_in(participant).get(response["Location"]))
    assert config["preview"] is False
    assert config["urls"]["sync"] == f"/api/walks/{walk.pk}/observations/sync"


def test_a_planner_on_the_walk_captures_on_it(area, walk):
    planner = make_member(area, "planner", "planner-on-the-walk")
    walk.participants.add(planner)
    assert preview_of(planner, walk)["Location"] == f"/walks/{walk.pk}/capture/"


def test_the_plain_capture_page_stays_for_participants_only(member, walk):
    coordinator = member("coordinator")
    assert logged_in(coordinator).get(f"/walks/{walk.pk}/capture/").status_code == 403


@pytest.mark.parametrize("role", ["analyst", "participant"])
def test_who_may_not_plan_walks_gets_the_capture_pages_answer(area, walk, role):
    """An analyst, and a resident who is not on this walk: 403, as without ?preview."""
    user = make_member(area, role, f"not-planning-{role}")
    plain = logged_in(user).get(f"/walks/{walk.pk}/capture/")
    previewed = preview_of(user, walk)
    assert plain.status_code == previewed.status_code == 403
    reason = "participants capture observations on it."
    assert reason in plain.content.decode() and reason in previewed.content.decode()


def test_a_planner_of_another_area_is_told_the_walk_does_not_exist(walk):
    stranger = make_member(make_area("otherarea"), "coordinator", "coordinator-elsewhere")
    assert preview_of(stranger, walk).status_code == 404
    assert logged_in(stranger).get(f"/walks/{walk.pk}/capture/").status_code == 404


def test_anonymous_visitors_are_asked_to_log_in(walk):
    response = Client().get(f"/walks/{walk.pk}/capture/?preview=1")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_server_refuses_a_sync_from_a_previewing_planner(member, walk, client_for):
    coordinator = member("coordinator")
    assert preview_of(coordinator, walk).status_code == 200
    response = sync(client_for(coordinator), walk, [item()])
    assert response.status_code == 403
    assert not Observation.objects.filter(walk=walk).exists()


def test_the_planning_page_and_the_report_lead_to_the_preview(member, walk):
    client = logged_in(member("planner"))
    plan = client.get(f"/walks/plan/{walk.area.slug}/").content.decode()
    assert '"preview": "/walks/{id}/capture/?preview=1"' in plan
    assert 'id="preview"' in plan and "See it as participants do" in plan
    report = client.get(f"/walks/{walk.pk}/report/").content.decode()
    assert f'href="/walks/{walk.pk}/capture/?preview=1"' in report
    walks = client.get("/walks/").content.decode()
    assert f'href="/walks/{walk.pk}/capture/?preview=1"' in walks


def test_a_participants_report_offers_no_preview(participant, walk):
    report = logged_in(participant).get(f"/walks/{walk.pk}/report/").content.decode()
    assert "?preview=1" not in report
