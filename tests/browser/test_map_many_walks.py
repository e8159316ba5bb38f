"""The planner map's walk filter in an area walked for years: the list offers the latest walks,
and any other is found by typing a part of its name; choosing walks filters the map to them."""

import datetime as dt

import pytest
from django.contrib.gis.geos import LineString, Point
from django.utils import timezone

from geo.models import Role
from tests.browser.conftest import screenshot, wait_until
from tests.browser.test_planner_map import KINDS_ON_MAP, chosen_walks, open_map, session_of
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


def status(page) -> str:
    return page.locator("#walks-status").inner_text()


def test_a_walk_among_many_is_found_by_typing_part_of_its_name(
    walked_for_years, live_server, chromium
):
    park, session = walked_for_years
    page, errors = open_map(chromium, live_server, session)
    # The latest 50 and a line saying how many more there are; the park walk is not among them.
    listed = offered(page)
    assert len(listed) == 1 + 50 + 1 and listed[-1].startswith("72 more")
    assert listed[0] == "Add a walk…"
    assert not any("Folkparken" in text for text in listed)
    assert status(page) == "No walk chosen: the map shows all walks."

    page.fill("input[name=walk-search]", "folkPARK")
    assert offered(page) == ["Add a walk…", "2023-09-12 · Folkparken by night, week 37"]
    page.select_option("select[name=walk]", str(park.pk))
    assert chosen_walks(page) == [str(park.pk)]
    # Chosen, it stays in the list, ticked, and cannot be chosen twice.
    assert offered(page)[1] == "✓ 2023-09-12 · Folkparken by night, week 37"
    assert page.locator("select[name=walk]").input_value() == ""
    wait_until(page, f"() => ({KINDS_ON_MAP})() === 'safe_place'")
    assert page.evaluate("location.search") == f"?walk={park.pk}"
    # Fitted to its route, in the north-west corner of the area: once the map has come to rest
    # (the fit is animated), the view holds the route and little more.
    wait_until(page, "() => !window.trygMap.isMoving()")
    west, south, east, north = page.evaluate("window.trygMap.getBounds().toArray().flat()")
    assert west < 13.001 and east > 13.004 and south < 55.6085 and north > 55.6095
    assert east - west < 0.009 and north - south < 0.005

    # Clearing the box lists the latest again.
    page.fill("input[name=walk-search]", "")
    assert len(offered(page)) == 1 + 50 + 1
    assert errors == []


def test_walks_are_compared_by_adding_them_one_by_one_and_removing_one(
    walked_for_years, live_server, chromium
):
    """A planner compares the park's night walk with a later round: Enter in the search box adds
    the first walk found, Enter in the list the walk it shows (the arrow keys alone add none);
    each is a chip with a remove button, and the address, the tiles and the exports follow."""
    park, session = walked_for_years
    round_111 = str(Walk.objects.get(name="Round 111").pk)
    recent = str(Walk.objects.filter(name="day walk").get().pk)  # the latest, first listed
    page, errors = open_map(chromium, live_server, session)

    page.fill("input[name=walk-search]", "folkpark")
    page.press("input[name=walk-search]", "Enter")
    page.fill("input[name=walk-search]", "round 111")
    page.press("input[name=walk-search]", "Enter")
    page.press("input[name=walk-search]", "Enter")  # nothing more found: nothing added
    assert chosen_walks(page) == [str(park.pk), round_111]
    assert status(page) == "Walks chosen: 2 of at most 50."
    page.fill("input[name=walk-search]", "")
    page.focus("select[name=walk]")
    page.keyboard.press("ArrowDown")
    assert chosen_walks(page) == [str(park.pk), round_111]
    page.keyboard.press("Enter")
    both = f"{park.pk},{round_111},{recent}"
    assert chosen_walks(page) == both.split(",")
    assert page.evaluate("location.search") == f"?walk={both}"
    wait_until(page, f"() => ({KINDS_ON_MAP})() === 'blocked_sightline,safe_place,unsafe_spot'")
    tiles = page.evaluate("window.trygMap.getSource('observations').tiles[0]")
    assert tiles.endswith(f".mvt?walk={both}")
    link = page.locator("a.export[data-layer=observations]").get_attribute("href")
    assert link.endswith(f"observations.geojson?walk={both}")
    exported = page.request.get(f"{live_server.url}{link}").json()["features"]
    assert {f["properties"]["kind"] for f in exported} == {
        "blocked_sightline",
        "safe_place",
        "unsafe_spot",
    }
    screenshot(page, "planner-map-walks")

    # The latest walk's remove button, found by its name; the focus goes to the chip before.
    page.get_by_role("button", name="Remove 2025-03-10 · day walk from the filter").click()
    assert chosen_walks(page) == [str(park.pk), round_111]
    assert page.evaluate("document.activeElement.closest('.walk-chip').dataset.walk") == round_111
    wait_until(page, f"() => ({KINDS_ON_MAP})() === 'safe_place'")
    assert page.evaluate("location.search") == f"?walk={park.pk},{round_111}"

    # The address keeps them: opened again, the map shows the same two walks.
    again, more_errors = open_map(
        chromium, live_server, session, address=f"/map/testarea/?walk={park.pk},{round_111}"
    )
    assert chosen_walks(again) == [str(park.pk), round_111]
    assert again.evaluate(KINDS_ON_MAP) == "safe_place"
    assert errors == more_errors == []


def test_the_filter_says_when_it_holds_as_many_walks_as_the_map_takes(
    walked_for_years, live_server, chromium
):
    """The tiles take 50 walks: an address naming 60 keeps the first 50 (and so does the
    address), the filter says so and adds none until one is removed."""
    park, session = walked_for_years
    rounds = [
        str(pk)
        for pk in Walk.objects.filter(name__startswith="Round")
        .values_list("pk", flat=True)
        .order_by("pk")
    ]
    page, errors = open_map(
        chromium, live_server, session, address=f"/map/testarea/?walk={','.join(rounds[:60])}"
    )
    assert chosen_walks(page) == rounds[:50]
    assert page.evaluate("location.search") == f"?walk={','.join(rounds[:50])}"
    assert status(page) == (
        "Only 50 walks can be compared at once: the first 50 of the 60 this address named are"
        " shown. Remove one to add another."
    )
    # The tiles are asked for the 50 shown.
    tiles = page.evaluate("window.trygMap.getSource('observations').tiles[0]")
    assert tiles.endswith(f".mvt?walk={','.join(rounds[:50])}")
    page.fill("input[name=walk-search]", "folkpark")
    page.press("input[name=walk-search]", "Enter")
    page.select_option("select[name=walk]", str(park.pk))
    assert chosen_walks(page) == rounds[:50]

    page.locator(".walk-chip-remove").first.click()
    assert status(page) == "Walks chosen: 49 of at most 50."
    page.press("input[name=walk-search]", "Enter")
    assert chosen_walks(page) == [*rounds[1:50], str(park.pk)]
    wait_until(page, f"() => ({KINDS_ON_MAP})() === 'safe_place'")
    assert errors == []
