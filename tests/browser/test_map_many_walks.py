"""The planner map's walk filter in an area walked for years: the list offers the latest walks,
and any other is found by typing a part of its name; choosing it filters the map to it."""

import datetime as dt

import pytest
from django.contrib.gis.geos import LineString, Point
from django.utils import timezone

from geo.models import Role
from tests.browser.conftest import wait_until
from tests.browser.test_planner_map import KINDS_ON_MAP, open_map, session_of
from tests.factories import make_area, make_member
from tests.tiles.data import add_observation, add_walk
from tests.tiles.layered import fill_every_layer
from walks.models import Walk

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROUNDS = 120


@pytest.fixture
def walked_for_years():
    """An old walk in the park's corner among 120 later rounds and the fixture's recent walk."""
    area = make_area("testarea")
    fill_every_layer(area)
    park = add_walk(
        area,
        light="night",
        starts_at=timezone.make_aware(dt.datetime(2023, 9, 12, 21, 0)),
        route=LineString((13.001, 55.6085), (13.004, 55.6095), srid=4326),
    )
    park.name = "Folkparken by night, week 37"
    park.save()
    add_observation(park, Point(13.002, 55.609, srid=4326), "safe_place")
    first = timezone.make_aware(dt.datetime(2023, 10, 3, 19, 0))
    Walk.objects.bulk_create(
        Walk(area=area, name=f"Round {n:03d}", starts_at=first + dt.timedelta(days=3 * n))
        for n in range(ROUNDS)
    )
    return park, session_of(make_member(area, Role.PLANNER))


def offered(page) -> list[str]:
    return page.locator("select[name=walk] option").all_inner_texts()


def test_a_walk_among_many_is_found_by_typing_part_of_its_name(
    walked_for_years, live_server, chromium
):
    park, session = walked_for_years
    page, errors = open_map(chromium, live_server, session)
    # The latest 50 and a line saying how many more there are; the park walk is not among them.
    listed = offered(page)
    assert len(listed) == 1 + 50 + 1 and listed[-1].startswith("72 more")
    assert not any("Folkparken" in text for text in listed)

    page.fill("input[name=walk-search]", "folkPARK")
    assert offered(page) == ["All", "2023-09-12 · Folkparken by night, week 37"]
    page.select_option("select[name=walk]", str(park.pk))
    wait_until(page, f"() => ({KINDS_ON_MAP})() === 'safe_place'")
    assert page.evaluate("location.search") == f"?walk={park.pk}"
    # Fitted to its route, in the north-west corner of the area: once the map has come to rest
    # (the fit is animated), the view holds the route and little more.
    wait_until(page, "() => !window.trygMap.isMoving()")
    west, south, east, north = page.evaluate("window.trygMap.getBounds().toArray().flat()")
    assert west < 13.001 and east > 13.004 and south < 55.6085 and north > 55.6095
    assert east - west < 0.009 and north - south < 0.005

    # Enter takes the first walk found; clearing the box lists the latest again, the chosen kept.
    page.fill("input[name=walk-search]", "round 111")
    assert offered(page)[1:] == [
        "2023-09-12 · Folkparken by night, week 37",
        "2024-08-31 · Round 111",
    ]
    page.press("input[name=walk-search]", "Enter")
    round_111 = Walk.objects.get(name="Round 111").pk
    assert page.locator("select[name=walk]").input_value() == str(round_111)
    wait_until(page, f"() => ({KINDS_ON_MAP})() === ''")
    assert page.evaluate("location.search") == f"?walk={round_111}"
    page.fill("input[name=walk-search]", "")
    assert len(offered(page)) == 1 + 50 + 1
    assert errors == []
