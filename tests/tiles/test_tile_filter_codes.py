"""A kind or category code the area does not have, or a walk that is not one of its walks, is a
400 naming it on the tiles, in the words of the exports for the same value (it used to give an
empty tile, as if nothing were found), still in the tile's one statement."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from config.wsgi import TileHandler
from geo.models import Role
from tests.factories import make_area
from tests.tiles.data import WHOLE_AREA, add_walk
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


@pytest.fixture
def walks(area):
    """A walk of testarea and a walk of another area."""
    return add_walk(area), add_walk(make_area("faraway", blocks=False))


def both_paths(wsgi_get, auth, layer, query, **environ):
    """(status, body, number of statements) of the direct path, checked to be the handler's
    answer too."""
    status, body, statements = tile(wsgi_get, auth, layer, query, **environ)
    path = f"/tiles/testarea/{layer}/{TILE}.mvt"
    handled = wsgi_get(path, app=HANDLER, QUERY_STRING=query, **auth, **environ)
    assert (handled[0], handled[2]) == (status, body)
    return status, body, statements


@pytest.mark.parametrize("layer", ["observations", "walks"])
@pytest.mark.parametrize("asked", ["foreign", "none", "own,foreign,none"])
def test_a_walk_not_of_the_area_is_the_exports_400_in_one_statement(
    wsgi_get, client_for, walks, analyst, layer, asked
):
    user, auth = analyst
    ids = {"own": walks[0].pk, "foreign": walks[1].pk, "none": 999999}
    query = "walk=" + ",".join(str(ids[name]) for name in asked.split(","))
    exported = client_for(user).get(EXPORT.format(layer) + "?" + query)
    assert exported.status_code == 400
    assert "in this area" in exported.json()["walk"][0]
    status, body, statements = both_paths(wsgi_get, auth, layer, query)
    assert (status, json.loads(body), statements) == (400, exported.json(), 1)


def test_a_walk_of_the_area_still_filters_in_one_statement(wsgi_get, walks, member):
    """A participant sees every walk's route (DESIGN): their own or not, a walk of the area is
    shown, in one statement."""
    own, _foreign = walks
    token = Token.objects.create(user=member(Role.PARTICIPANT)).key
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    status, _body, statements = both_paths(wsgi_get, auth, "walks", f"walk={own.pk}")
    assert (status, statements) == (200, 1)
    # An observation tile of that walk holds nothing yet: no tile, but no refusal either.
    assert both_paths(wsgi_get, auth, "observations", f"walk={own.pk}")[::2] == (204, 1)


def test_a_held_etag_does_not_turn_a_foreign_walk_into_a_304(wsgi_get, walks, analyst):
    _user, auth = analyst
    query = f"walk={walks[1].pk}"
    status, body, statements = both_paths(wsgi_get, auth, "walks", query, HTTP_IF_NONE_MATCH="*")
    assert (status, statements) == (400, 1)  # the revalidation statement alone
    assert json.loads(body) == {"walk": [f"No walk {walks[1].pk} in this area."]}


def test_the_walks_refusal_is_in_the_readers_language(wsgi_get, walks, analyst):
    _user, auth = analyst
    status, body, statements = both_paths(
        wsgi_get, auth, "walks", "walk=999999", HTTP_ACCEPT_LANGUAGE="sv"
    )
    assert (status, statements) == (400, 1)
    assert json.loads(body) == {"walk": ["Det finns ingen vandring 999999 i området."]}


def test_a_bad_kind_is_answered_before_a_bad_walk_as_the_exports_do(
    wsgi_get, client_for, kinds, walks, analyst
):
    user, auth = analyst
    query = f"kind=ferry_stop&walk={walks[1].pk}"
    exported = client_for(user).get(EXPORT.format("observations") + "?" + query).json()
    assert list(exported) == ["kind"]
    status, body, _statements = both_paths(wsgi_get, auth, "observations", query)
    assert (status, json.loads(body)) == (400, exported)
    # A good kind and a foreign walk: the walk's refusal.
    status, body, _statements = both_paths(
        wsgi_get, auth, "observations", f"kind=broken_bench&walk={walks[1].pk}"
    )
    assert (status, list(json.loads(body))) == (400, ["walk"])


def test_a_layer_the_role_may_not_see_is_refused_before_the_walk_is_looked_at(
    wsgi_get, area, walks
):
    """A visitor of a published area does not see walks: 403, not whether a walk exists."""
    area.published = True
    area.save()
    unfiltered = both_paths(wsgi_get, {}, "walks", "")
    assert unfiltered[0] == 403
    for asked in (walks[0].pk, walks[1].pk, 999999):
        assert both_paths(wsgi_get, {}, "walks", f"walk={asked}") == unfiltered


def test_tilejson_and_the_style_refuse_a_foreign_walk_too(client_for, walks, analyst):
    user, _auth = analyst
    client = client_for(user)
    own, foreign = walks
    exported = client.get(EXPORT.format("walks") + f"?walk={foreign.pk}").json()
    for url in (
        "/tiles/testarea/walks.json",
        "/tiles/testarea/observations.json",
        "/tiles/testarea/style.json",
    ):
        answer = client.get(url + f"?walk={foreign.pk}")
        assert (answer.status_code, answer.json()) == (400, exported)
        assert client.get(url + f"?walk={own.pk}").status_code == 200


def test_the_style_looks_the_walks_up_once_for_both_layers_that_take_them(
    client_for, walks, analyst
):
    """The observations and the walks both take `walk`: one look-up answers for both."""
    user, _auth = analyst
    client = client_for(user)
    own, foreign = walks
    client.get("/tiles/testarea/style.json")  # the session and the role, looked up once

    def statements(query):
        with CaptureQueriesContext(connection) as queries:
            answer = client.get(f"/tiles/testarea/style.json{query}")
        return answer, [q["sql"] for q in queries if '"walks_walk"' in q["sql"]]

    answer, unfiltered = statements("")
    assert answer.status_code == 200 and unfiltered == []
    answer, filtered = statements(f"?walk={own.pk}")
    assert answer.status_code == 200 and len(filtered) == 1
    for name in ("observations", "walks"):
        assert answer.json()["sources"][name]["tiles"][0].endswith(f".mvt?walk={own.pk}")
    answer, refused = statements(f"?walk={own.pk},{foreign.pk}")
    assert (answer.status_code, answer.json()) == (
        400,
        {"walk": [f"No walk {foreign.pk} in this area."]},
    )
    assert len(refused) == 1
