"""A vector tile is one SQL statement: area, role, data versions, ETag and tile together. A
revalidation is one smaller statement (no tile) when the held ETag is current, and that plus the
tile statement when it is stale.

What is counted: every query Django runs for the request. Anonymous requests run exactly one.
A token header is checked inside the tile statement, so those requests run one too. A session
adds Django's own lookups (the session, then the user), which are not the tile's and are listed
here explicitly so that any other extra query fails the test.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from geo.models import Role
from tests.factories import PASSWORD
from tests.tiles.data import WHOLE_AREA
from tests.tiles.layered import fill_every_layer

pytestmark = pytest.mark.django_db

TILE = "/".join(map(str, WHOLE_AREA))
LAYERS = ["blocks", "crime", "observations", "walks", "lamps"]
AUTH_TABLES = ("authtoken_token", "accounts_session", "auth_user")


def tile_queries(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    own = [
        q["sql"]
        for q in queries
        if "meta.etag" in q["sql"]  # the tile or the revalidation statement
        or not any(t in q["sql"].split("WHERE")[0] for t in AUTH_TABLES)
    ]
    return response, own, len(queries)


@pytest.mark.parametrize("layer", ["blocks", "crime", "lamps"])
def test_public_tile_is_one_query_in_total(client, area, layer, django_assert_num_queries):
    fill_every_layer(area)
    area.published = True
    area.save()
    with django_assert_num_queries(1):
        response = client.get(f"/tiles/testarea/{layer}/{TILE}.mvt")
    assert response.status_code == 200
    with django_assert_num_queries(1):
        assert (
            client.get(
                f"/tiles/testarea/{layer}/{TILE}.mvt", HTTP_IF_NONE_MATCH=response["ETag"]
            ).status_code
            == 304
        )


@pytest.mark.parametrize("layer", LAYERS)
def test_a_token_tile_is_one_query_token_check_included(client_for, member, area, layer):
    fill_every_layer(area)
    client = client_for(member(Role.ANALYST))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/tiles/testarea/{layer}/{TILE}.mvt")
    assert response.status_code == 200
    assert len(queries) == 1
    assert "ST_AsMVT" in queries[0]["sql"] and "authtoken_token" in queries[0]["sql"]


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.PLANNER])
def test_forbidden_and_not_modified_answers_are_one_query_too(client_for, member, area, role):
    fill_every_layer(area)
    client = client_for(member(role))
    for layer in LAYERS:
        response, own, _ = tile_queries(client, f"/tiles/testarea/{layer}/{TILE}.mvt")
        assert len(own) == 1
        if response.status_code == 200:
            again, own, _ = tile_queries(
                client, f"/tiles/testarea/{layer}/{TILE}.mvt", HTTP_IF_NONE_MATCH=response["ETag"]
            )
            assert again.status_code == 304 and len(own) == 1
    response, own, _ = tile_queries(client, f"/tiles/nowhere/blocks/{TILE}.mvt")
    assert response.status_code == 404 and len(own) == 1


def test_session_tile_through_the_middleware_is_one_query_besides_session_and_user(
    client, member, area
):
    """The tile handler's path (the server sends it doubtful sessions); the server's own path
    looks the session up in the tile statement (tests/tiles/test_direct_tiles.py)."""
    fill_every_layer(area)
    user = member(Role.PLANNER)
    assert client.login(username=user.username, password=PASSWORD)
    response, own, total = tile_queries(client, f"/tiles/testarea/blocks/{TILE}.mvt")
    assert response.status_code == 200
    assert len(own) == 1 and total == 3


def test_a_stale_revalidation_adds_the_tile_statement(client, area):
    fill_every_layer(area)
    area.published = True
    area.save()
    url = f"/tiles/testarea/lamps/{TILE}.mvt"
    current = client.get(url)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_IF_NONE_MATCH='"stale"')
    assert response.status_code == 200 and response["ETag"] == current
    assert ["ST_AsMVT" in q["sql"] for q in queries] == [False, True]
