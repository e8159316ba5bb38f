"""Tiles apply the API's rules (geo.access) for every role on every layer."""

import pytest

from geo.models import Role
from tests.factories import make_area, make_member, make_user
from tests.tiles.data import WHOLE_AREA, features, tile_of
from tests.tiles.layered import fill_every_layer

pytestmark = pytest.mark.django_db

LAYERS = ["blocks", "crime", "observations", "walks", "lamps"]
ALL = dict.fromkeys(LAYERS, 200)
# Who gets what, per layer; 404 hides an area the user may not see at all.
EXPECTED = {
    "anonymous": dict.fromkeys(LAYERS, 404),
    "outsider": dict.fromkeys(LAYERS, 404),
    "public": {"blocks": 200, "crime": 200, "observations": 403, "walks": 403, "lamps": 200},
    Role.PARTICIPANT: {
        "blocks": 200,
        "crime": 403,
        "observations": 200,
        "walks": 200,
        "lamps": 403,
    },
    Role.PLANNER: ALL,
    Role.COORDINATOR: ALL,
    Role.ANALYST: ALL,
    "superuser": ALL,
}


def client_as(who, area, client_for):
    if who in ("anonymous", "public"):
        if who == "public":
            area.published = True
            area.save()
        return client_for(None)
    if who == "outsider":
        return client_for(make_member(make_area("elsewhere"), Role.ANALYST))
    if who == "superuser":
        return client_for(make_user(is_superuser=True, is_staff=True))
    return client_for(make_member(area, who))


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_role_gets_exactly_its_layers(client_for, area, who):
    fill_every_layer(area)
    client = client_as(who, area, client_for)
    got = {
        layer: client.get(
            f"/tiles/testarea/{layer}/{'/'.join(map(str, WHOLE_AREA))}.mvt"
        ).status_code
        for layer in LAYERS
    }
    assert got == EXPECTED[who]


@pytest.mark.parametrize("who", ["public", Role.PARTICIPANT, Role.PLANNER, Role.ANALYST])
def test_tilejson_and_style_follow_the_same_rules(client_for, area, who):
    client = client_as(who, area, client_for)
    visible = sorted(layer for layer, status in EXPECTED[who].items() if status == 200)
    style = client.get("/tiles/testarea/style.json").json()
    assert sorted(style["sources"]) == visible
    for layer in LAYERS:
        response = client.get(f"/tiles/testarea/{layer}.json")
        assert response.status_code == EXPECTED[who][layer]
    assert client.get("/tiles/nowhere/style.json").status_code == 404


def test_participants_see_block_outlines_without_figures(client_for, member, area):
    fill_every_layer(area)
    feats = features(
        client_for(member(Role.PARTICIPANT)).get("/tiles/testarea/blocks/9/274/160.mvt"), "blocks"
    )
    assert len(feats) == 4
    assert all(set(f["properties"]) == {"code"} for f in feats)


def test_the_public_sees_only_aggregates_with_small_counts_suppressed(client_for, area):
    fill_every_layer(area)
    client = client_as("public", area, client_for)
    counts = [
        f["properties"]
        for f in features(client.get("/tiles/testarea/crime/9/274/160.mvt"), "crime")
    ]
    assert counts == [{"count": 5}]  # 4 incidents, shown rounded to 5
    z, x, y = tile_of(13.002, 55.601, 16)
    for f in features(client.get(f"/tiles/testarea/crime/{z}/{x}/{y}.mvt"), "crime"):
        assert "category" not in f["properties"]


@pytest.mark.parametrize("role", [Role.PLANNER, Role.COORDINATOR])
def test_only_analysts_get_crime_points(client_for, member, area, role):
    fill_every_layer(area)
    z, x, y = tile_of(13.002, 55.601, 16)
    url = f"/tiles/testarea/crime/{z}/{x}/{y}.mvt"
    analyst = features(client_for(member(Role.ANALYST)).get(url), "crime")
    assert {f["properties"]["category"] for f in analyst} == {"burglary"}
    other = client_for(member(role)).get(url)
    assert other.status_code in (200, 204)
    assert all(
        "category" not in f["properties"]
        for f in (features(other, "crime") if other.status_code == 200 else [])
    )


def test_a_bad_token_is_401(client, area):
    response = client.get("/tiles/testarea/blocks/9/274/160.mvt", HTTP_AUTHORIZATION="Token nope")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert response["WWW-Authenticate"] == "Token"
    # Even for an area that does not exist: authentication is answered first.
    response = client.get("/tiles/nowhere/blocks/9/274/160.mvt", HTTP_AUTHORIZATION="Token nope")
    assert response.status_code == 401


def test_an_inactive_users_token_is_401(client_for, member, area):
    user = member(Role.ANALYST)
    api = client_for(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = api.get("/tiles/testarea/blocks/9/274/160.mvt")
    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}


def test_style_and_tilejson_are_readable_from_another_site(client_for, member, area):
    client = client_for(member(Role.PLANNER))
    origin = {"HTTP_ORIGIN": "https://planning.example"}
    for path in ("/tiles/testarea/style.json", "/tiles/testarea/lamps.json"):
        assert client.get(path, **origin)["Access-Control-Allow-Origin"] == "*"
    # The preflight of a request carrying a token, as MapLibre's transformRequest sends it.
    preflight = client.options(
        "/tiles/testarea/style.json",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
        **origin,
    )
    assert preflight.status_code == 200
    assert "authorization" in preflight["Access-Control-Allow-Headers"]
    # Pages of the site itself are not shared.
    assert "Access-Control-Allow-Origin" not in client.get("/api/kinds/", **origin)


def test_a_bad_token_or_an_endless_period_is_a_clear_4xx_not_a_500(client, area):
    # A malformed token raised DRF's exception outside DRF (500) on the style, TileJSON and the
    # map's pages; to=9999-12-31 overflowed the date arithmetic in every tile (500).
    bad = {"HTTP_AUTHORIZATION": "Token zzz"}
    for path in ("/tiles/testarea/style.json", "/tiles/testarea/crime.json", "/map/testarea/"):
        response = client.get(path, **bad)
        assert response.status_code == 401 and response["WWW-Authenticate"] == "Token", path
    z, x, y = WHOLE_AREA
    for layer in ("crime", "observations", "walks"):
        response = client.get(f"/tiles/testarea/{layer}/{z}/{x}/{y}.mvt?to=9999-12-31")
        assert response.status_code == 400 and "1900 to 2100" in response.json()["to"][0]


@pytest.mark.parametrize("who", ["public", Role.PARTICIPANT, Role.PLANNER])
def test_hot_spot_outlines_come_with_the_style_of_those_whose_tiles_have_the_bins(
    client_for, area, who
):
    """The Gi* bins of the blocks' tiles are drawn as outlines, hidden until asked for; a
    participant's tiles have no bins, so their style has no such layer."""
    fill_every_layer(area)
    client = client_as(who, area, client_for)
    layers = {
        layer["id"]: layer for layer in client.get("/tiles/testarea/style.json").json()["layers"]
    }
    hotspots = {name: layer for name, layer in layers.items() if name.startswith("hotspots-")}
    if who == Role.PARTICIPANT:
        assert hotspots == {}
        return
    assert sorted(hotspots) == ["hotspots-crime", "hotspots-insecurity"]
    for measure, layer in (
        ("crime", hotspots["hotspots-crime"]),
        ("insecurity", hotspots["hotspots-insecurity"]),
    ):
        assert layer["source"] == "blocks" and layer["layout"]["visibility"] == "none"
        assert f"{measure}_gi_bin" in str(layer["filter"])


def test_walk_routes_are_dashed_until_walked(client_for, member, area):
    style = client_for(member(Role.PLANNER)).get("/tiles/testarea/style.json").json()
    layers = {layer["id"]: layer for layer in style["layers"] if layer["id"].startswith("walks-")}
    walked, planned = layers["walks-route"], layers["walks-route-planned"]
    under_way = ["match", ["get", "status"], ["planned", "walking"], True, False]
    assert planned["filter"] == under_way and planned["paint"]["line-dasharray"] == [2, 1]
    assert walked["filter"] == ["!", under_way] and "line-dasharray" not in walked["paint"]
    # Round caps would close the dashes' gaps: a planned route would look walked.
    assert planned["layout"]["line-cap"] == "butt"


def test_tilejson_and_style_carry_only_checked_filters(client_for, member, area):
    """A client copies the tile address as given: the filters in it are checked and written
    canonically, and a bad one is a 400 naming it, as on the tiles themselves."""
    client = client_for(member(Role.PLANNER))
    tilejson = client.get("/tiles/testarea/observations.json?light=night&kind=unsafe_spot&x=1")
    [url] = tilejson.json()["tiles"]
    assert url.endswith("/observations/{z}/{x}/{y}.mvt?kind=unsafe_spot&light=night")
    bad = client.get("/tiles/testarea/observations.json?kind=%3Cscript%3E")
    assert bad.status_code == 400 and "kind" in bad.json()
    assert client.get("/tiles/testarea/style.json?light=dusk").status_code == 400
