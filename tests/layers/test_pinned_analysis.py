"""An analyst chooses (pins) the analysis everyone's map shows: a run for one month or one
category then no longer recolours the map. The map, its tiles, the exports and the reports all
follow the choice; unpinning lets them follow the latest finished run again."""

import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from geo.models import AuditEntry, Role
from geo.services import data_versions
from layers.analysis.results import analysis_shown
from layers.analysis.services import analysis_pin, analysis_unpin
from layers.models import AnalysisRun
from tests.tiles.data import WHOLE_AREA, add_run, features

pytestmark = pytest.mark.django_db

PAGE = "/areas/testarea/data/"
TILE = "/tiles/testarea/blocks/" + "/".join(map(str, WHOLE_AREA)) + ".mvt"


@pytest.fixture
def runs(area):
    """A year's run, then a newer one an analyst ran for one month only."""
    year = add_run(area, {"SW": {"comparison_class": "both_high"}}, finished_at=timezone.now())
    month = add_run(
        area,
        {"SW": {"comparison_class": "both_low"}},
        finished_at=timezone.now() + dt.timedelta(minutes=5),
    )
    return year, month


def sw_class(client) -> str:
    blocks = features(client.get(TILE), "blocks")
    return {f["properties"]["code"]: f["properties"].get("class") for f in blocks}["SW"]


def test_the_pinned_run_is_shown_before_newer_ones(area, runs, member):
    year, month = runs
    assert analysis_shown(area) == month
    analysis_pin(run=year, user=member("analyst"))
    assert analysis_shown(area) == year
    newest = add_run(area, {}, finished_at=timezone.now() + dt.timedelta(hours=1))
    assert analysis_shown(area) == year  # a new run does not replace the choice
    analysis_unpin(area=area, user=member("analyst"))
    assert analysis_shown(area) == newest


def test_one_pinned_run_per_area(area, runs, member):
    year, month = runs
    analyst = member("analyst")
    analysis_pin(run=year, user=analyst)
    analysis_pin(run=month, user=analyst)
    assert list(AnalysisRun.objects.filter(pinned=True)) == [month]
    assert [e.action for e in AuditEntry.objects.order_by("id")] == ["analysis.pin"] * 2


def test_an_unfinished_run_is_not_pinned_and_nothing_changes(area, runs, member):
    from django.core.exceptions import ValidationError

    queued = AnalysisRun.objects.create(area=area, status="queued")
    versions = data_versions(area=area)
    with pytest.raises(ValidationError):
        analysis_pin(run=queued, user=member("analyst"))
    assert not AnalysisRun.objects.filter(pinned=True).exists()
    assert data_versions(area=area) == versions
    assert not AuditEntry.objects.exists()


def test_deleting_the_pinned_run_falls_back_to_the_latest(area, runs, member):
    from layers.analysis.services import analysis_delete

    year, month = runs
    analysis_pin(run=year, user=member("analyst"))
    analysis_delete(run=year, user=member("analyst"))
    assert analysis_shown(area) == month


def test_the_blocks_tiles_follow_the_choice_at_once(client_for, member, area, runs):
    year, month = runs
    planner = client_for(member(Role.PLANNER))
    assert sw_class(planner) == "both_low"
    etag = planner.get(TILE)["ETag"]
    analysis_pin(run=year, user=member("analyst"))
    response = planner.get(TILE, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert sw_class(planner) == "both_high"
    analysis_unpin(area=area, user=member("analyst"))
    assert sw_class(planner) == "both_low"


def test_analysts_pin_through_the_api(client_for, member, area, runs):
    year, month = runs
    analyst = client_for(member("analyst"))
    answer = analyst.post(f"/api/analyses/{year.pk}/pin/")
    assert answer.status_code == 200
    assert (answer.json()["pinned"], answer.json()["shown"]) == (True, True)
    assert analyst.get(f"/api/analyses/{month.pk}/").json()["shown"] is False
    assert analyst.delete(f"/api/analyses/{month.pk}/pin/").status_code == 204  # not pinned
    assert analysis_shown(area) == year
    assert analyst.delete(f"/api/analyses/{year.pk}/pin/").status_code == 204
    assert analysis_shown(area) == month


@pytest.mark.parametrize("role", [Role.PLANNER, Role.COORDINATOR])
def test_other_roles_may_not_choose(client_for, member, area, runs, role):
    year, _month = runs
    answer = client_for(member(role)).post(f"/api/analyses/{year.pk}/pin/")
    assert answer.status_code == 403
    assert not AnalysisRun.objects.filter(pinned=True).exists()


def test_a_queued_run_is_refused_by_the_api(client_for, member, area, runs):
    queued = AnalysisRun.objects.create(area=area, status="queued")
    answer = client_for(member("analyst")).post(f"/api/analyses/{queued.pk}/pin/")
    assert answer.status_code == 409
    assert "finished" in answer.json()["status"][0]


def test_an_analyst_chooses_on_the_data_page(client, member, area, runs):
    year, month = runs
    client.force_login(member("analyst"))
    page = client.get(PAGE).content.decode()
    assert "The map shows the latest finished analysis." in page
    assert f"Show analysis {year.pk} on the map" in page
    assert f"Show analysis {month.pk} on the map" not in page  # already shown
    page = client.post(PAGE, {"action": "pin_run", "run": year.pk}, follow=True).content.decode()
    assert f"The map shows analysis {year.pk} until you choose another" in page
    assert f"The map shows analysis {year.pk}, chosen by an analyst" in page
    assert analysis_shown(area) == year
    page = client.post(PAGE, {"action": "unpin"}, follow=True).content.decode()
    assert "The map shows the latest finished analysis again." in page
    assert analysis_shown(area) == month


def test_the_map_says_the_analysis_was_chosen_in_the_page_language(client, member, area, runs):
    year, _month = runs
    analysis_pin(run=year, user=member("analyst"))
    client.force_login(member(Role.PLANNER))
    page = client.get("/map/testarea/", HTTP_ACCEPT_LANGUAGE="da").content.decode()
    config = json.loads(re.search(r'<script id="map-config"[^>]*>(.*?)</script>', page, re.S)[1])
    assert config["run"]["id"] == year.pk and config["run"]["pinned"] is True
    assert config["run"]["variable"] == "count"  # the popup labels crime_value by it
    expected = timezone.localtime(year.finished_at).strftime("%d.%m.%Y")
    assert config["run"]["finished"] == expected


def test_a_run_deleted_while_it_was_being_pinned_is_not_recorded_as_pinned(area, runs, member):
    """Another analyst deletes the run between the pin's read of it and its write: the pin is
    refused (404), with no audit entry claiming a pin and no data version bumped."""
    from django.http import Http404

    year, _month = runs
    AnalysisRun.objects.filter(pk=year.pk).delete()  # `year` is now a stale copy, still "done"
    versions = data_versions(area=area)
    with pytest.raises(Http404):
        analysis_pin(run=year, user=member("analyst"))
    assert not AuditEntry.objects.filter(action="analysis.pin").exists()
    assert data_versions(area=area) == versions
