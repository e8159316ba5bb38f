"""ETags come from the layer's data versions, the role's view and the filters: a 304 while
nothing changed, a fresh tile on the very next request after new data."""

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from geo.models import Role
from geo.services import data_version_bump
from tests.tiles.data import WHOLE_AREA, add_crime, add_observation, add_run, features
from tests.tiles.layered import fill_every_layer

pytestmark = pytest.mark.django_db

TILE = "/".join(map(str, WHOLE_AREA))


def fetch(client, layer, etag=None, query=""):
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    return client.get(f"/tiles/testarea/{layer}/{TILE}.mvt{query}", **headers)


@pytest.fixture
def planner(client_for, member, area):
    walk = fill_every_layer(area)
    client = client_for(member(Role.PLANNER))
    client.walk = walk
    return client


def test_tiles_carry_an_etag_and_must_be_revalidated(planner):
    response = fetch(planner, "blocks")
    assert response.status_code == 200
    assert response["ETag"].startswith('"') and len(response["ETag"]) == 34
    assert response["Cache-Control"] == "private, no-cache"
    assert "Authorization" in response["Vary"] and "Cookie" in response["Vary"]


def test_public_tiles_may_be_cached_by_shared_caches(client, area):
    fill_every_layer(area)
    area.published = True
    area.save()
    assert fetch(client, "blocks")["Cache-Control"] == "public, no-cache"


def test_unchanged_tile_answers_304_without_a_body(planner):
    etag = fetch(planner, "blocks")["ETag"]
    again = fetch(planner, "blocks", etag)
    assert again.status_code == 304
    assert again.content == b""
    assert "Content-Type" not in again
    assert again["ETag"] == etag
    assert fetch(planner, "blocks", f'W/{etag}, "other"').status_code == 304
    assert fetch(planner, "blocks", '"stale"').status_code == 200


def test_a_new_observation_shows_on_the_next_request(planner, area):
    etag = fetch(planner, "observations")["ETag"]
    with transaction.atomic():
        add_observation(planner.walk, Point(13.012, 55.607, srid=4326), "vandalism")
        data_version_bump(area=area, layers=["observations"])
    response = fetch(planner, "observations", etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert "vandalism" in {f["properties"]["kind"] for f in features(response, "observations")}


def test_a_crime_import_shows_on_the_next_request(client_for, member, area):
    fill_every_layer(area)
    analyst = client_for(member(Role.ANALYST))
    before = fetch(analyst, "crime")
    with transaction.atomic():
        add_crime(area, 13.011, 55.601)  # SE had no crime
        data_version_bump(area=area, layers=["crime"])
    after = fetch(analyst, "crime", before["ETag"])
    assert after.status_code == 200
    assert sorted(f["properties"]["count"] for f in features(after, "crime")) == [1, 2, 4]


def test_a_new_finished_run_shows_on_the_next_request(planner, area):
    etag = fetch(planner, "blocks")["ETag"]
    with transaction.atomic():
        add_run(area, {"SW": {"comparison_class": "both_high"}}, finished_at=timezone.now())
        data_version_bump(area=area, layers=["analysis"])
    response = fetch(planner, "blocks", etag)
    assert response.status_code == 200
    classes = {
        f["properties"]["code"]: f["properties"].get("class") for f in features(response, "blocks")
    }
    assert classes["SW"] == "both_high"


def test_a_finished_run_changes_the_etag_even_before_its_version_bump(planner, area):
    etag = fetch(planner, "blocks")["ETag"]
    add_run(
        area,
        {"SW": {"comparison_class": "both_high"}},
        finished_at=timezone.now() + dt.timedelta(seconds=1),
    )
    assert fetch(planner, "blocks", etag).status_code == 200


def test_other_layers_changing_keeps_the_tile_cached(planner, area):
    etag = fetch(planner, "blocks")["ETag"]
    data_version_bump(area=area, layers=["lamps", "observations", "crime"])
    assert fetch(planner, "blocks", etag).status_code == 304


def test_etags_differ_by_role_view_and_by_filters(planner, client_for, member):
    analyst = client_for(member(Role.ANALYST))
    assert fetch(planner, "crime")["ETag"] != fetch(analyst, "crime")["ETag"]
    assert (
        fetch(planner, "crime")["ETag"]
        != fetch(planner, "crime", query="?category=burglary")["ETag"]
    )
    # A planner's ETag is worthless to an analyst: they get their own tile.
    assert fetch(analyst, "crime", fetch(planner, "crime")["ETag"]).status_code == 200


def test_filters_are_canonical_in_the_cache_key(planner):
    a = fetch(planner, "crime", query="?category=robbery,burglary")["ETag"]
    b = fetch(planner, "crime", query="?category=burglary,robbery&kind=ignored")["ETag"]
    assert a == b


def test_an_empty_tile_also_revalidates(planner):
    response = planner.get("/tiles/testarea/lamps/9/0/0.mvt")
    assert response.status_code == 204
    assert (
        planner.get(
            "/tiles/testarea/lamps/9/0/0.mvt", HTTP_IF_NONE_MATCH=response["ETag"]
        ).status_code
        == 304
    )


def test_a_new_minimum_count_renews_the_etags(planner, settings):
    # Raised to protect small counts better: a map must not keep the tiles that showed them.
    etag = fetch(planner, "crime")["ETag"]
    settings.TRYGG_MIN_AGGREGATE_COUNT = 5
    after = fetch(planner, "crime", etag)
    assert after.status_code == 204  # SW's 4 incidents and NE's 2 are now both withheld
    assert after["ETag"] != etag
