"""An area walked for years: the walks API page by page and by name, My walks a page at a time,
the start page's latest walks and the map's walk filter, in queries that do not grow with the
walks (the figures at 600 walks: docs/benchmarks.md)."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.walks.helpers import make_walk
from walks.models import Walk

pytestmark = pytest.mark.django_db

MANY = 35


def many_walks(area, participants, n=MANY) -> list[Walk]:
    """`n` walks a week apart, the latest first in the list: "Walk 00" is the oldest."""
    first = datetime(2025, 1, 7, 18, 0, tzinfo=UTC)
    return [
        make_walk(area, participants, name=f"Walk {i:02d}", starts_at=first + timedelta(weeks=i))
        for i in range(n)
    ]


@pytest.fixture
def planner(member):
    return member("planner")


def test_the_walks_api_answers_page_by_page_when_asked(client_for, area, planner, participant):
    many_walks(area, [participant])
    client = client_for(planner)
    first = client.get("/api/areas/testarea/walks/?limit=20").json()
    assert first["count"] == MANY and first["previous"] is None
    assert [w["name"] for w in first["results"][:2]] == ["Walk 34", "Walk 33"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == MANY - 20 and second["next"] is None
    listed = [w["id"] for w in first["results"] + second["results"]]
    assert len(set(listed)) == MANY
    # Without `limit`, the whole list as before: scripts written against it keep working.
    assert len(client.get("/api/areas/testarea/walks/").json()) == MANY


def test_the_walks_api_finds_walks_by_name(client_for, area, planner, participant):
    many_walks(area, [participant])
    make_walk(area, [participant], name="Folkparken by night")
    client = client_for(planner)
    found = client.get("/api/areas/testarea/walks/?q=FOLKPARKEN&limit=10").json()
    assert [w["name"] for w in found["results"]] == ["Folkparken by night"]
    assert [w["name"] for w in client.get("/api/areas/testarea/walks/?q=walk%201").json()] == [
        f"Walk {i}" for i in range(19, 9, -1)
    ]


def test_a_participant_pages_through_their_own_walks_only(client_for, area, participant):
    many_walks(area, [participant])
    make_walk(area, [], name="Not theirs")
    page = client_for(participant).get("/api/areas/testarea/walks/?limit=50&q=not").json()
    assert page["count"] == 0
    assert (
        client_for(participant).get("/api/areas/testarea/walks/?limit=50").json()["count"] == MANY
    )


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=ten", "limit=-1", "limit=²", "offset=-5", "offset=x&limit=5"]
)
def test_a_wrong_page_is_refused_saying_which_parameter(client_for, area, planner, query):
    response = client_for(planner).get(f"/api/areas/testarea/walks/?{query}")
    assert response.status_code == 400
    name = query.split("&")[0].split("=")[0]
    assert name in response.json()


def test_a_page_holds_at_most_200(client_for, area, planner):
    first = datetime(2020, 1, 1, tzinfo=UTC)
    Walk.objects.bulk_create(
        Walk(area=area, name=f"w{i}", starts_at=first + timedelta(days=i)) for i in range(205)
    )
    page = client_for(planner).get("/api/areas/testarea/walks/?limit=100000").json()
    assert len(page["results"]) == 200 and "limit=200" in page["next"]


def test_walk_pages_cost_the_same_queries_at_35_walks(
    client_for, area, planner, participant, django_assert_max_num_queries
):
    many_walks(area, [participant, planner])
    client = client_for(planner)
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/areas/testarea/walks/?limit=30").json()["results"]) == 30
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/areas/testarea/walks/").json()) == MANY


def test_my_walks_lists_a_page_at_a_time(client, area, participant, django_assert_max_num_queries):
    walks = many_walks(area, [participant])
    client.force_login(participant)
    with django_assert_max_num_queries(10):
        page = client.get("/walks/").content.decode()
    assert "Walk 34" in page and "Walk 10" in page and "Walk 09" not in page
    assert "page=2" in page
    older = client.get("/walks/?page=2").content.decode()
    assert "Walk 09" in older and "Walk 00" in older and "Walk 34" not in older
    assert f"/walks/{walks[0].pk}/report/" in older


def kept_config(page: str) -> dict:
    config = page.split('id="kept-config" type="application/json">')[1].split("</script>")[0]
    return json.loads(config)


def test_my_walks_keeps_the_offline_copies_of_open_walks_on_any_page(client, area, participant):
    # offline.js prunes the copies of walks this config does not list as open once they are a
    # month old: the open walks of another page (a walk a week planned a season ahead, or one
    # never marked done) must be listed all the same, or their capture app no longer opens
    # offline once My walks has been looked at.
    walks = many_walks(area, [participant])
    Walk.objects.filter(pk__in=[w.pk for w in walks[:5]]).update(status="done")
    client.force_login(participant)
    for page in ("/walks/", "/walks/?page=2"):
        config = kept_config(client.get(page).content.decode())
        assert sorted(config["walks"]) == sorted(w.pk for w in walks)
        assert sorted(config["open"]) == sorted(w.pk for w in walks[5:])


def test_the_start_page_shows_a_members_latest_walks_per_area(
    client, area, participant, django_assert_max_num_queries
):
    many_walks(area, [participant])
    client.force_login(participant)
    with django_assert_max_num_queries(8):
        page = client.get("/").content.decode()
    assert [f"Walk {i}" in page for i in (34, 30, 29)] == [True, True, False]
    assert 'href="/walks/"' in page  # All your walks


def map_walks(client) -> list[dict]:
    page = client.get("/map/testarea/").content.decode()
    config = page.split('id="map-config" type="application/json">')[1].split("</script>")[0]
    return json.loads(config)["walks"]


def test_the_maps_walk_filter_offers_every_walk_in_queries_that_do_not_grow(
    client, area, planner, participant, django_assert_max_num_queries
):
    many_walks(area, [participant])
    client.force_login(planner)
    with django_assert_max_num_queries(10):
        offered = map_walks(client)
    assert len(offered) == MANY
    assert offered[0]["name"] == "Walk 34" and offered[0]["date"] == "2025-09-02"
    assert offered[0]["extent"] == pytest.approx([13.002, 55.602, 13.016, 55.608])
