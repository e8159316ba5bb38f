import pytest

from tests.layers.export_helpers import (
    by_id,
    fast_passwords_fixture,  # noqa: F401
    geojson_of,
)
from tests.layers.exports_data import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
URL = "/api/areas/testarea/export/{}"


@pytest.fixture
def analyst(client_for, member):
    return client_for(member("analyst"))


def kinds(client, query=""):
    collection = geojson_of(client.get(URL.format("observations.geojson") + query))
    return sorted(f["properties"]["kind"] for f in collection["features"])


def test_kind_filter_selects_one_kind_or_several(analyst, world):
    assert kinds(analyst, "?kind=lighting_defect") == ["lighting_defect"]
    assert kinds(analyst, "?kind=safe_place,unsafe_spot") == ["safe_place", "unsafe_spot"]


def test_light_and_follow_up_filters_narrow_the_export_as_they_narrow_the_map(analyst, world):
    """The map's export link carries every observation filter it shows; `light` was ignored."""
    assert kinds(analyst, "?light=day") == ["safe_place"]
    assert kinds(analyst, "?light=night") == ["blocked_sightline", "lighting_defect", "unsafe_spot"]
    world["obs"]["lamp_out"].follow_up = "fixed"
    world["obs"]["lamp_out"].save()
    assert kinds(analyst, "?follow_up=fixed") == ["lighting_defect"]
    assert "lighting_defect" not in kinds(analyst, "?follow_up=open,reported")
    # The safe place is recorded, not acted on: no follow-up state matches it.
    assert "safe_place" not in kinds(analyst, "?follow_up=open,reported,fixed,no_action")
    routes = geojson_of(analyst.get(URL.format("walks.geojson") + "?light=day"))["features"]
    assert routes == []  # the one day walk has no route
    for query, field in (("?light=dusk", "light"), ("?follow_up=later", "follow_up")):
        response = analyst.get(URL.format("observations.geojson") + query)
        assert response.status_code == 400 and field in response.json()


def test_walk_filter_hands_on_one_walks_findings(analyst, world, area):
    """The walk report's download: that walk's findings, its route, a file named after it."""
    night, unrouted = world["walks"]["night"], world["walks"]["unrouted"]
    assert kinds(analyst, f"?walk={night.pk}") == [
        "blocked_sightline",
        "lighting_defect",
        "unsafe_spot",
    ]
    assert kinds(analyst, f"?walk={unrouted.pk}") == ["safe_place"]
    assert len(kinds(analyst, f"?walk={night.pk},{unrouted.pk}")) == 4
    routes = geojson_of(analyst.get(URL.format("walks.geojson") + f"?walk={night.pk}"))
    assert [f["properties"]["name"] for f in routes["features"]] == ["Night walk"]
    response = analyst.get(URL.format("observations.csv") + f"?walk={night.pk}")
    assert f"_observations-walk{night.pk}_" in response["Content-Disposition"]
    response = analyst.get(URL.format("lamps.csv") + f"?walk={night.pk}")
    assert "walk" not in response["Content-Disposition"]  # lamps have no walk


def test_a_walk_of_another_area_is_a_400(analyst, world, member):
    from tests.factories import make_area
    from tests.walks.helpers import make_walk

    elsewhere = make_walk(make_area("elsewhere"), name="Elsewhere")
    response = analyst.get(URL.format("observations.csv") + f"?walk={elsewhere.pk}")
    assert response.status_code == 400
    assert response.json()["walk"] == [f"No walk {elsewhere.pk} in this area."]


def test_period_filter_uses_capture_time(analyst, world):
    assert kinds(analyst, "?from=2025-07-01") == ["safe_place"]
    assert kinds(analyst, "?to=2025-06") == ["blocked_sightline", "lighting_defect", "unsafe_spot"]
    assert kinds(analyst, "?from=2025-06-02&to=2025-06-30") == []


def test_walks_in_the_period_overlap_it(analyst, world):
    def names(query):
        collection = geojson_of(analyst.get(URL.format("walks.geojson") + query))
        return [f["properties"]["name"] for f in collection["features"]]

    assert names("?from=2025-06-01&to=2025-06-01") == ["Night walk"]
    # It ended at midnight, Stockholm time (the server's zone), so it is not in the 3rd.
    assert names("?from=2025-06-03") == []


def test_crime_filters_by_month_and_category(analyst, world):
    crime = geojson_of(analyst.get(URL.format("crime.geojson") + "?from=2025-02-15&to=2025-03"))
    # Crime is dated by month: February counts from any day in it.
    assert sorted(f["properties"]["month"] for f in crime["features"]) == [
        "2025-02-01",
        "2025-03-01",
        "2025-03-01",
        "2025-03-01",
        "2025-03-01",
    ]
    blocks = by_id(
        geojson_of(analyst.get(URL.format("crime_blocks.geojson") + "?category=robbery"))
    )
    assert {c: f["properties"]["crime_count"] for c, f in blocks.items()} == {
        "SW": 0,
        "SE": 2,
        "NW": 0,
        "NE": 0,
    }


def test_bbox_limits_the_export(analyst, world):
    lamps = geojson_of(analyst.get(URL.format("lamps.geojson") + "?bbox=13.0,55.6,13.005,55.603"))
    assert [f["properties"]["status"] for f in lamps["features"]] == ["broken"]


@pytest.mark.parametrize(
    "query, field, reason",
    [
        ("?from=yesterday", "from", "not a date"),
        ("?to=2025-13", "to", "not a date"),
        ("?from=2025-06-02&to=2025-06-01", "to", "ends before it starts"),
        ("?kind=graffiti_art", "kind", "Unknown kind graffiti_art"),
        ("?category=arson", "category", "Unknown category arson"),
        ("?bbox=1,2,3", "bbox", "four numbers"),
        ("?walk=night", "walk", "not a list of up to 50 walk ids"),
        ("?walk=1;2", "walk", "not a list of up to 50 walk ids"),
        ("?walk=٣", "walk", "not a list of up to 50 walk ids"),
        ("?walk=99999999999999", "walk", "not a list of up to 50 walk ids"),
        ("?walk=" + ",".join(["1"] * 51), "walk", "not a list of up to 50 walk ids"),
        ("?walk=999999", "walk", "No walk 999999 in this area."),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(analyst, world, query, field, reason):
    response = analyst.get(URL.format("observations.geojson") + query)
    assert response.status_code == 400
    assert reason in response.json()[field][0]


def test_unknown_format_is_a_400_and_unknown_layer_a_404(analyst, world):
    response = analyst.get(URL.format("lamps.shp"))
    assert response.status_code == 400 and "geojson" in response.json()["format"][0]
    assert analyst.get(URL.format("trees.geojson")).status_code == 404


def test_blocks_without_any_finished_run_have_empty_results(analyst, area):
    collection = geojson_of(analyst.get(URL.format("blocks.geojson")))
    assert len(collection["features"]) == 4
    assert all(f["properties"]["run_id"] is None for f in collection["features"])
    assert all(f["properties"]["crime_gi_z"] is None for f in collection["features"])
