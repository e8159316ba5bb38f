"""A kind or category code the area does not have is a 400 naming it on the tiles, in the words
of the exports for the same code (it used to give an empty tile, as if nothing were found),
still in the tile's one statement."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from config.wsgi import TileHandler
from geo.models import Role
from tests.factories import make_area
from tests.tiles.data import WHOLE_AREA
from tiles import direct
from walks.models import ObservationKind

pytestmark = pytest.mark.django_db

TILE = "/".join(map(str, WHOLE_AREA))
EXPORT = "/api/areas/testarea/export/{}.geojson"
HANDLER = TileHandler()


def own_kind(area, code):
    return ObservationKind.objects.create(
        code=code, area=area, label_en=code, label_sv=code, label_da=code, geometry_types=["Point"]
    )


@pytest.fixture
def kinds(area):
    """testarea has a kind of its own; another area has one testarea does not."""
    own_kind(area, "broken_bench")
    own_kind(make_area("elsewhere", blocks=False), "ferry_stop")


@pytest.fixture
def analyst(member):
    user = member(Role.ANALYST)
    return user, {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"}


def tile(wsgi_get, auth, layer, query, **environ):
    """(status, body, number of statements) of the tile as the server answers it."""
    path = f"/tiles/testarea/{layer}/{TILE}.mvt"
    with CaptureQueriesContext(connection) as queries:
        status, _headers, body = wsgi_get(
            path, app=direct.serving(HANDLER), QUERY_STRING=query, **auth, **environ
        )
    return status, body, len(queries)


@pytest.mark.parametrize(
    "layer, query, export",
    [
        ("observations", "kind=ferry_stop", "observations"),  # another area's own kind
        ("observations", "kind=graffiti_art,unsafe_spot", "observations"),
        ("observations", "kind=unsafe_spot,Nope,nope,nope", "observations"),
        ("observations", "kind=%3Cscript%3E", "observations"),
        ("observations", "follow_up=done", "observations"),
        ("crime", "category=arson,burglary", "crime"),
    ],
)
def test_an_unknown_code_is_the_exports_400_in_one_statement(
    wsgi_get, client_for, kinds, analyst, layer, query, export
):
    user, auth = analyst
    exported = client_for(user).get(EXPORT.format(export) + "?" + query)
    assert exported.status_code == 400
    status, body, statements = tile(wsgi_get, auth, layer, query)
    assert (status, json.loads(body)) == (400, exported.json())
    if "kind" in query:  # known to the database only: the tile statement tells
        assert statements == 1


def test_the_areas_kinds_built_in_and_its_own_are_accepted(wsgi_get, kinds, analyst):
    _user, auth = analyst
    for query in ("kind=broken_bench", "kind=unsafe_spot,broken_bench"):
        assert tile(wsgi_get, auth, "observations", query)[::2] == (204, 1)  # none found


def test_a_held_etag_does_not_turn_an_unknown_kind_into_a_304(wsgi_get, kinds, analyst):
    _user, auth = analyst
    status, body, statements = tile(
        wsgi_get, auth, "observations", "kind=ferry_stop", HTTP_IF_NONE_MATCH="*"
    )
    assert (status, statements) == (400, 1)  # the revalidation statement alone
    assert "Unknown kind ferry_stop" in json.loads(body)["kind"][0]


def test_the_refusal_is_in_the_readers_language(wsgi_get, kinds, analyst):
    _user, auth = analyst
    status, body, statements = tile(
        wsgi_get, auth, "observations", "kind=ferry_stop", HTTP_ACCEPT_LANGUAGE="sv"
    )
    assert (status, statements) == (400, 1)
    assert "ferry_stop" in json.loads(body)["kind"][0]
    assert not json.loads(body)["kind"][0].startswith("Unknown")


def test_tilejson_and_the_style_refuse_it_too(client_for, kinds, analyst):
    user, _auth = analyst
    client = client_for(user)
    exported = client.get(EXPORT.format("observations") + "?kind=ferry_stop").json()
    for url in ("/tiles/testarea/observations.json", "/tiles/testarea/style.json"):
        answer = client.get(url + "?kind=ferry_stop")
        assert (answer.status_code, answer.json()) == (400, exported)
        assert client.get(url + "?kind=broken_bench").status_code == 200
