import pytest

from geo.models import Role
from layers.assignment import crime_assignment, crime_blocks_store
from tests.factories import make_area, make_member
from tests.layers.export_helpers import (
    body_of,
    by_id,
    fast_passwords_fixture,  # noqa: F401
    geojson_of,
)
from tests.layers.exports_data import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
URL = "/api/areas/testarea/export/{}"


def crime_counts(client, layer="crime_blocks"):
    features = by_id(geojson_of(client.get(URL.format(f"{layer}.geojson"))))
    return {code: f["properties"]["crime_count"] for code, f in features.items()}


@pytest.mark.parametrize("role", ["planner", "coordinator"])
def test_non_analysts_never_get_crime_points(client_for, member, world, role):
    client = client_for(member(role))
    for fmt in ("geojson", "gpkg", "csv", "dxf"):
        response = client.get(URL.format(f"crime.{fmt}"))
        assert response.status_code == 404
        assert "crime_blocks" in response.json()["detail"]


def test_analyst_gets_crime_points(client_for, member, world):
    collection = geojson_of(client_for(member("analyst")).get(URL.format("crime.geojson")))
    assert len(collection["features"]) == 8


def test_small_crime_counts_are_suppressed_for_planners(client_for, member, world):
    planner = client_for(member("planner"))
    # SW 5, SE 2, NW 0, NE 1 with k = 3: all but SW are below k, zero included.
    assert crime_counts(planner) == {"SW": 5, "SE": None, "NW": None, "NE": None}
    features = by_id(geojson_of(planner.get(URL.format("crime_blocks.geojson"))))
    assert features["SE"]["properties"]["suppressed"] is True
    assert features["SE"]["properties"]["crime_per_1000"] is None
    assert features["SW"]["properties"]["suppressed"] is False
    blocks = by_id(geojson_of(planner.get(URL.format("blocks.geojson"))))
    assert blocks["SE"]["properties"]["crime_count"] is None
    assert blocks["SE"]["properties"]["crime_value"] is None
    assert blocks["SW"]["properties"]["crime_count"] == 5


def test_neighbourhood_crime_figures_are_for_analysts_only(client_for, member, world):
    # A Gi* z-score mixes the counts of a block's neighbours: with every z-score and the counts
    # shown, a suppressed neighbour's count could be solved back. Bins and class stay.
    for role, shown in (("planner", False), ("coordinator", False), ("analyst", True)):
        client = client_for(member(role))
        sw = by_id(geojson_of(client.get(URL.format("blocks.geojson"))))["SW"]["properties"]
        assert (sw["crime_gi_bin"], sw["class"]) == (2, "both_high")
        assert (sw["crime_gi_z"], sw["crime_gi_p"]) == ((2.5, 0.012) if shown else (None, None))
        ogc = client.get("/ogc/collections/testarea-blocks/items/SW").json()["properties"]
        assert ogc["crime_gi_z"] == (2.5 if shown else None) and ogc["crime_gi_bin"] == 2


def test_the_map_popup_withholds_them_too(client, member, world, area):
    block = area.blocks.get(code="SE")  # 2 incidents: suppressed for planners
    url = f"/map/testarea/blocks/{block.pk}.json"
    client.force_login(member("planner"))
    figures = client.get(url).json()["figures"]
    assert figures["crime_count"] is None and figures["suppressed"] is True
    assert (figures["crime_gi_z"], figures["crime_gi_p"], figures["crime_gi_bin"]) == (
        None,
        None,
        0,
    )
    client.force_login(member("analyst"))
    figures = client.get(url).json()["figures"]
    assert (figures["crime_count"], figures["crime_gi_z"]) == (2, -0.5)


def test_analysts_see_every_count(client_for, member, world):
    assert crime_counts(client_for(member("analyst"))) == {"SW": 5, "SE": 2, "NW": 0, "NE": 1}


def test_threshold_follows_the_setting(client_for, member, world, settings):
    settings.TRYGG_MIN_AGGREGATE_COUNT = 6
    assert crime_counts(client_for(member("planner")))["SW"] is None


def test_crime_per_block_counts_each_incident_exactly_once(client_for, member, world, area):
    counts = crime_counts(client_for(member("analyst")))
    assignment = crime_assignment(area=area)
    assert sum(counts.values()) == assignment.inside + assignment.snapped == 8


@pytest.mark.parametrize("layer", ["walks", "observations", "sightlines"])
@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg"])
def test_exports_never_name_participants(client_for, member, world, layer, fmt):
    body = body_of(client_for(member("analyst")).get(URL.format(f"{layer}.{fmt}")))
    assert b"alice" not in body and b"bo-berg" not in body


def test_participants_may_not_export(client_for, member, world):
    response = client_for(member("participant")).get(URL.format("observations.geojson"))
    assert response.status_code == 403


def test_anonymous_cannot_export_a_private_area(api, world):
    assert api.get(URL.format("blocks.geojson")).status_code == 404


def test_anonymous_cannot_export_even_a_published_area(api):
    make_area("open-town", published=True)
    response = api.get("/api/areas/open-town/export/blocks.geojson")
    assert response.status_code in (401, 403)


def test_members_of_another_area_see_nothing(client_for, world):
    outsider = make_member(make_area("elsewhere"), Role.ANALYST)
    assert client_for(outsider).get(URL.format("crime.geojson")).status_code == 404


def test_exact_crime_reads_leave_an_audit_entry(client_for, member, world):
    from geo.models import AuditEntry

    analyst = member("analyst")
    client = client_for(analyst)
    # Nothing read, no entry:
    assert client.head(URL.format("crime.csv")).status_code == 200
    assert client.head("/ogc/collections/testarea-crime/items?limit=2").status_code == 200
    client.get(URL.format("crime.csv") + "?category=robbery")
    client.get(URL.format("crime_blocks.csv"))
    client.get("/ogc/collections/testarea-crime/items?limit=2")
    client.get("/api/areas/testarea/crime/?from=2024-01")
    one = client.get("/ogc/collections/testarea-crime/items?limit=1").json()["features"][0]["id"]
    client.get(f"/ogc/collections/testarea-crime/items/{one}")
    entries = list(AuditEntry.objects.order_by("at", "id"))
    assert [(e.username, e.action) for e in entries] == [
        (analyst.username, "crime.export"),
        (analyst.username, "crime.read"),
        (analyst.username, "crime.read"),
        (analyst.username, "crime.read"),
        (analyst.username, "crime.read"),
    ]
    assert entries[1].detail["via"] == "ogc"
    assert entries[2].detail == {"layer": "crime", "via": "api", "query": {"from": "2024-01"}}
    assert entries[4].detail["via"] == "ogc"  # one feature, as a page of them
    assert entries[0].detail["query"] == {"category": "robbery"}
    assert entries[0].detail["format"] == "csv"


def test_crime_counts_follow_a_new_import(client_for, member, world, area):
    from geo.services import data_version_bump
    from tests.layers.exports_data import crime

    analyst = client_for(member("analyst"))
    assert crime_counts(analyst)["NW"] == 0
    crime(area, 13.002, 55.608, "nw0")
    crime_blocks_store(area=area, unassigned_only=True)  # as every importer does
    data_version_bump(area=area, layers=["crime"])
    assert crime_counts(analyst)["NW"] == 1


def test_two_answers_do_not_give_a_small_count_away(client_for, member, world, area):
    # NE: 1 incident in 2025 (the world's), 3 more in 2024. Shown exactly, "4 in all" and "3 until
    # 2024" would give the hidden 1 since 2025 away; rounded to 5, both read 5.
    from datetime import date

    from tests.layers.exports_data import crime

    for key in ("n1", "n2", "n3"):
        crime(area, 13.015, 55.608, key, month=date(2024, 6, 1))
    crime_blocks_store(area=area)

    def ne(client, query=""):
        url = URL.format("crime_blocks.geojson") + query
        return by_id(geojson_of(client.get(url)))["NE"]["properties"]["crime_count"]

    planner, analyst = client_for(member("planner")), client_for(member("analyst"))
    periods = ("", "?to=2024-12", "?from=2025-01")
    assert [ne(analyst, q) for q in periods] == [4, 3, 1]
    assert [ne(planner, q) for q in periods] == [5, 5, None]
