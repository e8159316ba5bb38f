"""The planner map left open on a walk that is then deleted (by a coordinator in another tab):
the tiles refuse the walk (400), so the map asks once whether the walk is still there, drops
it from the filter and the address as it does at load, says so, and loads its layers again.
A refusal for anything else is said once, not retried."""

import re

import pytest
from playwright.sync_api import expect

from geo.models import Role
from tests.browser.conftest import wait_until
from tests.browser.test_planner_map import KINDS_ON_MAP, chosen_walks, open_map, session_of
from tests.factories import make_member
from tests.tiles.data import add_walk
from tests.tiles.layered import fill_every_layer
from tests.tiles.test_tile_filter_codes import own_kind
from walks.models import Walk

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SETTLED = "() => window.trygMap.loaded() && window.trygMap.areTilesLoaded()"
WALKS_ON_MAP = (
    "[...new Set(window.trygMap.querySourceFeatures('walks', {sourceLayer: 'walks'})"
    ".map((f) => f.id))]"
)
ZOOM_OUT = "window.trygMap.jumpTo({zoom: window.trygMap.getZoom() - 2})"
# Each layer of the map, bottom to top: its id, source, visibility and filter.
LAYER_STACK = (
    "window.trygMap.getStyle().layers.map((l) => [l.id, l.source ?? null,"
    " l.layout?.visibility ?? 'visible', JSON.stringify(l.filter ?? null)])"
)


@pytest.fixture
def area(area):
    """testarea with a walk and its findings on every layer."""
    fill_every_layer(area)
    return area


def watched(page) -> list[tuple[str, int]]:
    """(path and query, status) of each tile and walks API answer the page gets from now on."""
    answers = []

    def note(response):
        path = response.url.split("/", 3)[-1]
        if path.startswith(("tiles/", "api/walks/")):
            answers.append((f"/{path}", response.status))

    page.on("response", note)
    return answers


def asked_for_walks(answers):
    return [(path, status) for path, status in answers if path.startswith("/api/")]


def refusals(answers) -> int:
    return sum(status == 400 for _path, status in answers)


def test_a_walk_deleted_while_the_map_shows_it_is_dropped_and_the_layers_load_again(
    area, live_server, chromium
):
    planned = add_walk(area, light="night")
    session = session_of(make_member(area, Role.PLANNER))
    page, errors = open_map(
        chromium, live_server, session, address=f"/map/testarea/?walk={planned.pk}"
    )
    assert page.evaluate(WALKS_ON_MAP) == [planned.pk]
    assert page.evaluate(KINDS_ON_MAP) == ""  # the walk has no findings
    answers = watched(page)
    stack = page.evaluate(LAYER_STACK)

    Walk.objects.filter(pk=planned.pk).delete()  # a coordinator, in another tab
    page.evaluate(ZOOM_OUT)  # new tiles, of a walk there is no more

    notice = page.locator("#filters #walk-dropped")
    expect(notice).to_have_text(re.compile("just been deleted"))
    assert page.evaluate("location.search") == ""
    assert chosen_walks(page) == []
    offered = page.locator("select[name=walk] option").evaluate_all(
        "(os) => os.map((o) => o.value)"
    )
    assert str(planned.pk) not in offered
    # The layers load again, unfiltered, every tile in view: the area's other walk and its
    # findings.
    wait_until(page, SETTLED)
    assert page.evaluate(KINDS_ON_MAP) == "blocked_sightline,unsafe_spot"
    assert page.evaluate(WALKS_ON_MAP) == [area.walks.get().pk]
    # Their sources, whose tiles were refused, were added anew (map.js, readdress): each of
    # their layers is back in its place among the others (the walks under the crime).
    assert page.evaluate(LAYER_STACK) == stack

    refused = [path for path, status in answers if status == 400]
    assert refused and all(f"walk={planned.pk}" in path for path in refused)
    assert asked_for_walks(answers) == [(f"/api/walks/{planned.pk}/", 404)]
    observations = "/tiles/testarea/observations/"
    unfiltered = {s for p, s in answers if p.startswith(observations) and "walk=" not in p}
    assert unfiltered and unfiltered <= {200, 204}
    # Only the browser's own lines for the refused tiles (and the 404): MapLibre logs none.
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []


def test_a_walk_deleted_among_those_the_map_shows_is_dropped_and_the_others_kept(
    area, live_server, chromium
):
    """Two walks compared, one of them deleted meanwhile: the map asks after both, drops the
    gone one alone, names it, and loads the layers again for the other."""
    kept = area.walks.get()
    planned = add_walk(area, light="night")
    session = session_of(make_member(area, Role.PLANNER))
    address = f"/map/testarea/?walk={planned.pk},{kept.pk}"
    page, errors = open_map(chromium, live_server, session, address=address)
    assert chosen_walks(page) == [str(planned.pk), str(kept.pk)]
    assert sorted(page.evaluate(WALKS_ON_MAP)) == sorted([planned.pk, kept.pk])
    answers = watched(page)

    Walk.objects.filter(pk=planned.pk).delete()
    page.evaluate(ZOOM_OUT)

    notice = page.locator("#filters #walk-dropped")
    expect(notice).to_have_text(
        "Just deleted, so taken out of the filter: 2025-03-10 · night walk."
        " The map shows the other walks chosen."
    )
    assert chosen_walks(page) == [str(kept.pk)]
    assert page.evaluate("location.search") == f"?walk={kept.pk}"
    wait_until(page, SETTLED)
    assert page.evaluate(WALKS_ON_MAP) == [kept.pk]
    assert page.evaluate(KINDS_ON_MAP) == "blocked_sightline,unsafe_spot"
    assert sorted(asked_for_walks(answers)) == sorted(
        [(f"/api/walks/{planned.pk}/", 404), (f"/api/walks/{kept.pk}/", 200)]
    )
    tiles = page.evaluate("window.trygMap.getSource('observations').tiles[0]")
    assert tiles.endswith(f".mvt?walk={kept.pk}")
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []


def test_a_refusal_for_another_reason_is_said_once_and_not_retried(area, live_server, chromium):
    """The walk is still there, but the area's own kind the map is filtered to is gone: the
    walk stays chosen, the panel says the tiles refuse the filters, and the map asks no more
    until they change."""
    kind = own_kind(area, "broken_bench")
    walk = area.walks.get()
    session = session_of(make_member(area, Role.PLANNER))
    address = f"/map/testarea/?kind=broken_bench&walk={walk.pk}"
    page, errors = open_map(chromium, live_server, session, address=address)
    answers = watched(page)

    kind.delete()
    page.evaluate(ZOOM_OUT)
    expect(page.locator("#filters #tiles-refused")).to_have_text(re.compile("could not load"))
    wait_until(page, SETTLED)
    refused = refusals(answers)
    page.evaluate(ZOOM_OUT)  # more refused tiles: no second look
    wait_until(page, SETTLED)
    assert refusals(answers) > refused > 0
    assert asked_for_walks(answers) == [(f"/api/walks/{walk.pk}/", 200)]
    assert page.evaluate("location.search") == f"?kind=broken_bench&walk={walk.pk}"
    expect(page.locator("#walk-dropped")).to_have_count(0)

    # The planner hides the observations meanwhile.
    page.uncheck("#toggle-observations")
    page.evaluate("window.trygMap.getSource('observations').seen = true")
    stack = page.evaluate(LAYER_STACK)

    # Changing the filters puts the note away and the layers load again: the observations'
    # source, whose tiles failed, is added anew (map.js, readdress), its layers as they were,
    # in their place among the others, still hidden, with their own filters.
    page.select_option("select[name=kind]", "")
    expect(page.locator("#tiles-refused")).to_have_count(0)
    wait_until(page, SETTLED)
    assert page.evaluate("window.trygMap.getSource('observations').seen") is None
    assert page.evaluate(LAYER_STACK) == stack
    assert {shown for _id, source, shown, _f in stack if source == "observations"} == {"none"}
    page.check("#toggle-observations")
    wait_until(page, SETTLED)
    assert page.evaluate(KINDS_ON_MAP) == "blocked_sightline,unsafe_spot"
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []
