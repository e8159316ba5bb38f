"""`crime_blocks` counts each incident once, in the block stored on it by the exactly-once rule
(layers.assignment): the same counts as the assignment itself, whether a whole export groups
all incidents at once or an OGC page counts its own blocks one by one."""

from datetime import date

import pytest

from layers.assignment import crime_assignment, crime_blocks_store
from tests.layers.export_helpers import (
    by_id,
    fast_passwords_fixture,  # noqa: F401
    geojson_of,
)
from tests.layers.exports_data import crime, world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
EXPORT = "/api/areas/testarea/export/crime_blocks.geojson"
ITEMS = "/ogc/collections/testarea-crime_blocks/items"


def exported(client, query=""):
    features = by_id(geojson_of(client.get(EXPORT + query)))
    return {code: f["properties"]["crime_count"] for code, f in features.items()}


def paged(client, query=""):
    """Two blocks a page, following the `next` links."""
    counts, url = {}, f"{ITEMS}?limit=2" + (f"&{query}" if query else "")
    while url:
        body = client.get(url).json()
        counts |= {f["id"]: f["properties"]["crime_count"] for f in body["features"]}
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    return counts


def assigned(area, **filters):
    per_block = crime_assignment(area=area, **filters).per_block
    return {b.code: per_block.get(b.pk, 0) for b in area.blocks.all()}


@pytest.fixture
def strays(world, area):
    """Three incidents beyond the world's: one snapped, one on an edge, one far from any block."""
    crime(area, 13.0182, 55.6095, "snapped")  # ~13 m east of NE: snapped to it
    crime(area, 13.009, 55.602, "edge", month=date(2025, 4, 1))  # SW/SE edge: the lower id
    crime(area, 13.05, 55.65, "far", category="robbery")  # near no block: counted nowhere
    crime_blocks_store(area=area, unassigned_only=True)  # as a crime import does


def test_snapped_and_edge_incidents_count_once(client_for, member, area, strays):
    analyst = client_for(member("analyst"))
    blocks = {b.code: b.pk for b in area.blocks.all()}
    edge = "SW" if blocks["SW"] < blocks["SE"] else "SE"
    expected = {"SW": 5, "SE": 2, "NW": 0, "NE": 2}
    expected[edge] += 1
    assert assigned(area) == expected
    assert exported(analyst) == expected
    assert paged(analyst) == expected
    one = analyst.get(f"{ITEMS}/NE").json()
    assert one["properties"]["crime_count"] == 2


@pytest.mark.parametrize(
    "export_query, ogc_query, filters",
    [
        ("?category=robbery", "category=robbery", {"categories": ["robbery"]}),
        (
            "?from=2025-03&to=2025-04",
            "datetime=2025-03-01/2025-04-30",
            {"date_from": date(2025, 3, 1), "date_to": date(2025, 4, 30)},
        ),
        ("?from=2025-02-15", "datetime=2025-02-15/..", {"date_from": date(2025, 2, 1)}),
        (
            "?to=2025-03&category=burglary",
            "datetime=../2025-03-31&category=burglary",
            {"date_to": date(2025, 3, 31), "categories": ["burglary"]},
        ),
    ],
)
def test_filters_count_as_the_assignment_does(
    client_for, member, area, strays, export_query, ogc_query, filters
):
    analyst = client_for(member("analyst"))
    expected = assigned(area, **filters)
    assert exported(analyst, export_query) == expected
    assert paged(analyst, ogc_query) == expected


def test_planners_see_the_same_counts_rounded_or_hidden(client_for, member, area, strays):
    planner = client_for(member("planner"))
    # Analysts: SW 5 (or 6), SE 2 (or 3), NW 0, NE 2; below 3 is hidden, the rest rounded to 5.
    shown = {code: None if n < 3 else 5 for code, n in assigned(area).items()}
    assert exported(planner) == shown
    assert paged(planner) == shown


def test_an_incident_without_a_stored_block_is_not_counted(client_for, member, area, world):
    # The stored block is the one source of truth, as for the crime tiles: an incident counts
    # once an import has placed it.
    analyst = client_for(member("analyst"))
    crime(area, 13.002, 55.608, "nw-new")
    assert exported(analyst)["NW"] == 0 and paged(analyst)["NW"] == 0
    crime_blocks_store(area=area, unassigned_only=True)
    assert exported(analyst)["NW"] == 1 and paged(analyst)["NW"] == 1


def test_an_incident_added_or_moved_in_the_admin_is_placed_by_the_rule(
    client, client_for, member, area, world
):
    from layers.models import CrimeIncident
    from tests.factories import make_user

    client.force_login(make_user(is_superuser=True, is_staff=True))
    form = {
        "area": area.pk,
        "geom": "SRID=4326;POINT (13.0182 55.6095)",  # ~13 m east of NE: snapped to it
        "month": "2025-03-01",
        "category": "burglary",
        "original_category": "Burglary",
        "source_dataset": "by hand",
        "source_id": "",
        "source_key": "00000000-0000-4000-8000-000000000001",
        "precision": "exact",
        "reported_block_code": "",
    }
    response = client.post("/admin/layers/crimeincident/add/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    analyst = client_for(member("analyst"))
    assert exported(analyst)["NE"] == paged(analyst)["NE"] == 2
    added = CrimeIncident.objects.get(source_dataset="by hand")
    form["geom"] = "SRID=4326;POINT (13.002 55.608)"  # into NW
    page = f"/admin/layers/crimeincident/{added.pk}/change/"
    assert client.post(page, form).status_code == 302
    counts = exported(analyst)
    assert (counts["NE"], counts["NW"]) == (1, 1) and paged(analyst) == counts
    assert counts == assigned(area)
