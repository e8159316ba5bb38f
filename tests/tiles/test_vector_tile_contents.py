"""Decoded tiles hold the right features, attributes and coordinates."""

import datetime as dt

import pytest
from django.contrib.gis.geos import LineString, Point, Polygon
from django.utils import timezone

from layers.assignment import crime_assignment
from tests.tiles.data import (
    CRIME_POINTS,
    WHOLE_AREA,
    add_crime,
    add_crime_points,
    add_lamp,
    add_observation,
    add_run,
    add_walk,
    blocks_by_code,
    features,
    pixel,
    tile_of,
)
from walks.models import Observation

pytestmark = pytest.mark.django_db


def get_tile(client, layer, z, x, y, query="", slug="testarea"):
    return client.get(f"/tiles/{slug}/{layer}/{z}/{x}/{y}.mvt{query}", HTTP_ACCEPT_ENCODING="gzip")


def by_block(area, feats):
    names = {b.pk: code for code, b in blocks_by_code(area).items()}
    return {names[f["id"]]: f for f in feats}


def test_blocks_carry_the_latest_finished_run(client_for, member, area):
    add_run(area, {"SW": {"comparison_class": "both_low"}})
    add_run(
        area,
        {
            "SW": {
                "comparison_class": "crime_exceeds_fear",
                "crime_count": 4,
                "crime_value": 4.0,
                "crime_gi_bin": 2,
                "insecurity_gi_bin": 0,
                "insecurity_index": 0.25,
            },
            "NE": {
                "comparison_class": "both_high",
                "crime_count": 2,
                "crime_value": 2.0,
                "crime_gi_bin": 3,
                "insecurity_gi_bin": 3,
                "insecurity_index": 0.9,
            },
        },
    )
    response = get_tile(client_for(member("analyst")), "blocks", *WHOLE_AREA)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert response["Content-Encoding"] == "gzip"
    blocks = by_block(area, features(response, "blocks"))
    assert sorted(blocks) == ["NE", "NW", "SE", "SW"]
    sw = blocks["SW"]["properties"]
    assert sw == {
        "code": "SW",
        "class": "crime_exceeds_fear",
        "crime_gi_bin": 2,
        "insecurity_gi_bin": 0,
        "insecurity_index": 0.25,
        "crime_value": 4.0,
    }
    assert blocks["NE"]["properties"]["class"] == "both_high"
    assert blocks["NW"]["properties"] == {"code": "NW"}
    assert blocks["SW"]["geometry"]["type"] == "Polygon"


def test_blocks_suppress_small_crime_values_for_planners(client_for, member, area):
    add_run(
        area,
        {
            "SW": {"comparison_class": "crime_exceeds_fear", "crime_count": 4, "crime_value": 4.0},
            "NE": {"comparison_class": "both_low", "crime_count": 2, "crime_value": 2.0},
        },
    )
    blocks = by_block(
        area, features(get_tile(client_for(member("planner")), "blocks", *WHOLE_AREA), "blocks")
    )
    # 4 incidents read as 5 (rounded, so that no two answers give a small count away)
    assert blocks["SW"]["properties"]["crime_value"] == 5.0
    assert "crime_value" not in blocks["NE"]["properties"]
    assert blocks["NE"]["properties"]["class"] == "both_low"


def test_block_corners_land_on_their_tile_pixels(client_for, member, area):
    z, x, y = tile_of(13.0135, 55.6075, 15)  # inside NE
    response = get_tile(client_for(member("planner")), "blocks", z, x, y)
    [ne] = [f for f in features(response, "blocks") if f["properties"]["code"] == "NE"]
    ring = ne["geometry"]["coordinates"][0]
    corner = pixel(13.009, 55.605, z, x, y)  # the NE block's south-west corner
    assert any(abs(px - corner[0]) <= 1 and abs(py - corner[1]) <= 1 for px, py in ring)
    # Clipped to the tile plus the 64-unit buffer.
    assert all(-64 <= v <= 4096 + 64 for point in ring for v in point)


def test_crime_aggregates_count_every_incident_once_per_block(client_for, member, area):
    add_crime_points(area)
    response = get_tile(client_for(member("analyst")), "crime", *WHOLE_AREA)
    counts = {
        code: f["properties"]["count"]
        for code, f in by_block(area, features(response, "crime")).items()
    }
    expected = {code: 0 for code in ["SW", "NE"]}
    for _, code in CRIME_POINTS:
        if code:
            expected[code] += 1
    assert counts == expected == {"SW": 4, "NE": 2}
    # The same rule as the analysis (layers/assignment.py).
    names = {b.pk: code for code, b in blocks_by_code(area).items()}
    per_block = crime_assignment(area=area).per_block
    assert {names[k]: v for k, v in per_block.items()} == counts


def test_crime_aggregates_below_the_minimum_are_suppressed_for_planners(client_for, member, area):
    add_crime_points(area)
    response = get_tile(client_for(member("planner")), "crime", *WHOLE_AREA)
    counts = {
        code: f["properties"]["count"]
        for code, f in by_block(area, features(response, "crime")).items()
    }
    assert counts == {"SW": 5}  # 4, rounded to 5; NE's 2 hidden


def test_crime_aggregate_tiles_never_split_a_block_between_tiles(client_for, member, area):
    add_crime_points(area)
    client = client_for(member("analyst"))
    seen = []
    for x in (8783, 8784):
        for y in (5133, 5134):
            response = get_tile(client, "crime", 14, x, y)
            feats = features(response, "crime") if response.status_code == 200 else []
            # Features in the buffer of a neighbour tile are repeats, not extra counts.
            seen += [
                (f["id"], f["properties"]["count"])
                for f in feats
                if all(0 <= v < 4096 for v in f["geometry"]["coordinates"])
            ]
    assert sorted(c for _, c in seen) == [2, 4]


def test_analysts_get_points_with_category_and_month_from_z15(client_for, member, area):
    add_crime_points(area)
    lon, lat = CRIME_POINTS[0][0]
    z, x, y = tile_of(lon, lat, 16)
    response = get_tile(client_for(member("analyst")), "crime", z, x, y)
    feats = features(response, "crime")
    assert feats, "the SW incidents should be in this tile"
    first = min(feats, key=lambda f: f["id"])
    assert first["properties"] == {"category": "burglary", "month": "2025-03"}
    px, py = pixel(lon, lat, z, x, y)
    assert abs(first["geometry"]["coordinates"][0] - px) <= 1
    assert abs(first["geometry"]["coordinates"][1] - py) <= 1


def test_a_superuser_token_without_a_role_gets_points_and_a_session_too(client_for, client, area):
    from tests.factories import make_user

    add_crime_points(area)
    admin = make_user("root", is_superuser=True)
    lon, lat = CRIME_POINTS[0][0]
    z, x, y = tile_of(lon, lat, 16)
    client.force_login(admin)
    for api in (client_for(admin), client):
        feats = features(get_tile(api, "crime", z, x, y), "crime")
        assert feats and set(feats[0]["properties"]) == {"category", "month"}


def test_planners_get_aggregates_even_at_z16(client_for, member, area):
    add_crime_points(area)
    client = client_for(member("planner"))
    # Every z16 tile over the SW block: aggregates only, and the block's count in one of them.
    _, x0, y1 = tile_of(13.000, 55.600, 16)
    _, x1, y0 = tile_of(13.009, 55.605, 16)
    counts = []
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            response = get_tile(client, "crime", 16, x, y)
            if response.status_code == 200:
                feats = features(response, "crime")
                assert all(set(f["properties"]) == {"count"} for f in feats)
                counts += [f["properties"]["count"] for f in feats]
    assert 5 in counts  # the SW block's 4, rounded


def test_crime_filters_by_category_and_period(client_for, member, area):
    add_crime_points(area)
    client = client_for(member("analyst"))
    add_crime(area, 13.005, 55.604, category="robbery", month=dt.date(2024, 6, 1))

    def counts(query):
        response = get_tile(client, "crime", *WHOLE_AREA, query)
        return {
            c: f["properties"]["count"]
            for c, f in by_block(area, features(response, "crime")).items()
        }

    assert counts("") == {"SW": 5, "NE": 2}
    assert counts("?category=robbery") == {"SW": 1}
    assert counts("?from=2025-01-01&to=2025-12-31") == {"SW": 4, "NE": 2}
    assert counts("?to=2024-12-31") == {"SW": 1}


def test_observations_have_kind_severity_feeling_and_sightlines_as_lines(client_for, member, area):
    walk = add_walk(area)
    add_observation(walk, Point(13.005, 55.606, srid=4326), "unsafe_spot", severity=4, feeling=1)
    add_observation(
        walk, LineString((13.006, 55.606), (13.008, 55.607), srid=4326), "blocked_sightline"
    )
    litter = Polygon.from_bbox((13.010, 55.601, 13.011, 55.602))
    litter.srid = 4326
    add_observation(walk, litter, "neglect", severity=2)
    response = get_tile(client_for(member("participant")), "observations", *WHOLE_AREA)
    feats = sorted(features(response, "observations"), key=lambda f: f["id"])
    assert [f["geometry"]["type"] for f in feats] == ["Point", "LineString", "Polygon"]
    assert feats[0]["properties"] == {"kind": "unsafe_spot", "severity": 4, "feeling": 1}
    assert feats[1]["properties"]["kind"] == "blocked_sightline"


def test_observations_followed_up_as_fixed_or_no_action_are_marked_settled(
    client_for, member, area
):
    """The style fades what is settled (tiles/styles.py): the tile marks it, only it, and a safe
    place is never settled (it is recorded, not acted on)."""
    walk = add_walk(area)
    states = {"open": None, "reported": None, "fixed": 1, "no_action": 1}
    found = {
        state: add_observation(walk, Point(13.001 + i / 1000, 55.606, srid=4326), "lighting_defect")
        for i, state in enumerate(states)
    }
    for state, observation in found.items():
        Observation.objects.filter(pk=observation.pk).update(follow_up=state)
    safe = add_observation(walk, Point(13.009, 55.606, srid=4326), "safe_place")
    Observation.objects.filter(pk=safe.pk).update(follow_up="fixed")
    response = get_tile(client_for(member("planner")), "observations", *WHOLE_AREA)
    settled = {f["id"]: f["properties"].get("settled") for f in features(response, "observations")}
    assert settled == {found[state].pk: value for state, value in states.items()} | {safe.pk: None}
    # The style uses it: each of the observations' layers fades a settled finding.
    style = client_for(member("planner")).get("/tiles/testarea/style.json").json()
    observations = [layer for layer in style["layers"] if layer.get("source") == "observations"]
    assert len(observations) == 3
    for layer in observations:
        opacity = next(v for k, v in layer["paint"].items() if k.endswith("opacity"))
        assert opacity[:2] == ["case", ["has", "settled"]], layer["id"]


def test_observations_filter_by_kind_light_and_period(client_for, member, area):
    day = add_walk(area, light="day")
    night = add_walk(
        area, light="night", starts_at=timezone.make_aware(dt.datetime(2025, 4, 2, 22))
    )
    add_observation(day, Point(13.005, 55.606, srid=4326), "unsafe_spot")
    add_observation(night, Point(13.006, 55.606, srid=4326), "lighting_defect")
    client = client_for(member("planner"))

    def kinds(query):
        response = get_tile(client, "observations", *WHOLE_AREA, query)
        return sorted(f["properties"]["kind"] for f in features(response, "observations"))

    assert kinds("") == ["lighting_defect", "unsafe_spot"]
    assert kinds("?kind=lighting_defect") == ["lighting_defect"]
    assert kinds("?light=day") == ["unsafe_spot"]
    assert kinds("?from=2025-04-01") == ["lighting_defect"]
    assert kinds("?to=2025-03-10") == ["unsafe_spot"]


def test_observations_filter_by_follow_up(client_for, member, area):
    walk = add_walk(area)
    add_observation(walk, Point(13.005, 55.606, srid=4326), "unsafe_spot")
    fixed = add_observation(walk, Point(13.006, 55.606, srid=4326), "lighting_defect")
    fixed.follow_up = "fixed"
    fixed.save()
    # A safe place is recorded, not acted on: no follow-up filter matches it.
    add_observation(walk, Point(13.007, 55.606, srid=4326), "safe_place")
    client = client_for(member("planner"))

    def kinds(query):
        response = get_tile(client, "observations", *WHOLE_AREA, query)
        return sorted(f["properties"]["kind"] for f in features(response, "observations"))

    assert kinds("?follow_up=open") == ["unsafe_spot"]
    assert kinds("?follow_up=fixed,reported") == ["lighting_defect"]
    assert kinds("") == ["lighting_defect", "safe_place", "unsafe_spot"]
    bad = client.get("/tiles/testarea/observations/9/274/160.mvt?follow_up=maybe")
    assert bad.status_code == 400 and "follow_up" in bad.json()


def test_observations_and_routes_filter_by_walk(client_for, member, area):
    """A walk report's "Show on the map": that walk's findings and route only."""
    first, second = add_walk(area), add_walk(area, light="day")
    add_observation(first, Point(13.005, 55.606, srid=4326), "unsafe_spot")
    add_observation(second, Point(13.006, 55.606, srid=4326), "lighting_defect")
    client = client_for(member("planner"))

    def ids(layer, query, key):
        response = get_tile(client, layer, *WHOLE_AREA, query)
        return (
            sorted(f["properties"][key] for f in features(response, layer))
            if response.status_code == 200
            else []
        )

    assert ids("observations", f"?walk={first.pk}", "kind") == ["unsafe_spot"]
    assert ids("observations", f"?walk={first.pk},{second.pk}", "kind") == [
        "lighting_defect",
        "unsafe_spot",
    ]
    assert ids("walks", f"?walk={second.pk}", "light") == ["day"]
    refused = get_tile(client, "observations", *WHOLE_AREA, "?walk=999999")
    assert refused.status_code == 400  # no such walk here (tests/tiles/test_tile_filter_codes.py)
    tagged = get_tile(client, "observations", *WHOLE_AREA, f"?walk={first.pk}")["ETag"]
    assert tagged != get_tile(client, "observations", *WHOLE_AREA, "")["ETag"]
    for bad in ("last", "1;2", "-1", "1,,2", ",".join(["1"] * 51)):
        response = client.get(f"/tiles/testarea/observations/9/274/160.mvt?walk={bad}")
        assert response.status_code == 400 and "walk" in response.json()


def test_walks_are_routes_with_light_and_status(client_for, member, area):
    add_walk(area, light="night")
    [walk] = features(get_tile(client_for(member("planner")), "walks", *WHOLE_AREA), "walks")
    assert walk["geometry"]["type"] == "LineString"
    assert walk["properties"] == {"light": "night", "status": "planned"}


def test_a_walk_is_in_a_period_its_time_span_overlaps_as_in_the_exports(client_for, member, area):
    """A night walk from 22:00 on the 10th to 01:00 on the 11th is in a map of the 11th."""
    walk = add_walk(area, starts_at=timezone.make_aware(dt.datetime(2025, 3, 10, 22, 0)))
    walk.ends_at = walk.starts_at + dt.timedelta(hours=3)
    walk.save()
    client = client_for(member("planner"))
    for query, shown in (("?from=2025-03-11", 1), ("?from=2025-03-12", 0), ("?to=2025-03-09", 0)):
        response = get_tile(client, "walks", *WHOLE_AREA, query)
        assert len(features(response, "walks") if response.status_code == 200 else []) == shown
    from tests.layers.export_helpers import geojson_of

    export = client.get("/api/areas/testarea/export/walks.geojson?from=2025-03-11")
    assert len(geojson_of(export)["features"]) == 1


def test_lamps_carry_their_status(client_for, member, area):
    add_lamp(area, 13.001, 55.601, "working")
    add_lamp(area, 13.002, 55.601, "broken")
    feats = features(get_tile(client_for(member("planner")), "lamps", *WHOLE_AREA), "lamps")
    assert sorted(f["properties"]["status"] for f in feats) == ["broken", "working"]


def test_an_empty_tile_is_204(client_for, member, area):
    response = get_tile(client_for(member("planner")), "lamps", *WHOLE_AREA)
    assert response.status_code == 204
    assert response.content == b""
    assert "Content-Type" not in response  # nothing to describe
    far = get_tile(client_for(member("planner")), "blocks", 9, 0, 0)
    assert far.status_code == 204


def test_bad_tile_addresses_and_filters_are_400_naming_the_field(client_for, member, area):
    client = client_for(member("planner"))
    assert client.get("/tiles/testarea/blocks/3/8/0.mvt").json() == {
        "x": ["x must be below 8 at zoom 3."]
    }
    assert "z" in client.get("/tiles/testarea/blocks/30/0/0.mvt").json()
    assert "from" in client.get("/tiles/testarea/crime/9/274/160.mvt?from=yesterday").json()
    assert "category" in client.get("/tiles/testarea/crime/9/274/160.mvt?category=piracy").json()
    assert "light" in client.get("/tiles/testarea/walks/9/274/160.mvt?light=dusk").json()
    assert (
        client.get("/tiles/testarea/crime/9/274/160.mvt?from=2025-02-01&to=2025-01-01").status_code
        == 400
    )
    assert client.get("/tiles/testarea/rivers/9/274/160.mvt").status_code == 404


def test_tiles_at_the_edge_of_the_world_are_not_empty(client_for, member, area):
    # At z1 a tile's buffer crosses the antimeridian: the area (13° E, 55.6° N) lies in 1/1/0
    # and its tile was empty for every layer and role.
    add_crime_points(area)
    analyst = client_for(member("analyst"))
    for z, x, y in [(0, 0, 0), (1, 1, 0), (2, 2, 1)]:
        response = get_tile(analyst, "crime", z, x, y)
        assert response.status_code == 200, (z, x, y)
        assert features(response, "crime"), (z, x, y)
    assert get_tile(analyst, "crime", 1, 0, 0).status_code == 204  # the western hemisphere


def test_outlines_are_simplified_by_about_a_pixel_below_zoom_15(client_for, member, area):
    """A kink of under a pixel (4 m at z13, where a pixel of a 512-pixel tile is about 5 m on
    the ground at 55.6° N) is dropped below z15 and kept from z15, where nothing is simplified."""
    from django.contrib.gis.geos import MultiPolygon

    from geo.models import Block

    kink = 4 / 111_320  # 4 m south of the edge, in degrees of latitude
    ring = [
        (13.008, 55.604),
        (13.009, 55.604 - kink),
        (13.010, 55.604),
        (13.010, 55.606),
        (13.008, 55.606),
        (13.008, 55.604),
    ]
    block = Block.objects.create(
        area=area, code="KINK", geom=MultiPolygon(Polygon(ring, srid=4326), srid=4326)
    )
    client = client_for(member("planner"))

    def corners(z):
        feats = features(get_tile(client, "blocks", *tile_of(13.009, 55.605, z)), "blocks")
        [outline] = [f for f in feats if f["id"] == block.pk]
        return len(outline["geometry"]["coordinates"][0])

    assert corners(13) == corners(15) - 1
