"""A map tile's refusal is written in the request's language, as the API's are, through the
direct path and the tile handler alike; tiles themselves do not vary by language."""

import json

import pytest
from rest_framework.authtoken.models import Token

from geo.models import Role
from tests.tiles.data import WHOLE_AREA
from tests.tiles.layered import fill_every_layer

pytestmark = pytest.mark.django_db

TILE = "/".join(map(str, WHOLE_AREA))


@pytest.fixture
def planner(area, member):
    fill_every_layer(area)
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=member(Role.PLANNER)).key}"}


def refusal(wsgi_get, path, language, **environ):
    status, headers, body = wsgi_get(path, HTTP_ACCEPT_LANGUAGE=language, **environ)
    assert "Accept-Language" in headers["Vary"]
    return status, json.loads(body)


def test_a_bad_address_is_refused_in_swedish_and_danish(wsgi_get, planner):
    status, errors = refusal(wsgi_get, "/tiles/testarea/lamps/30/0/0.mvt", "sv", **planner)
    assert status == 400 and "Zoomnivån" in errors["z"][0]
    status, errors = refusal(wsgi_get, "/tiles/testarea/lamps/9/999/160.mvt", "da", **planner)
    assert status == 400 and errors["x"] == ["x skal være under 512 ved zoom 9."]


def test_a_filter_a_token_and_a_role_are_refused_in_the_request_language(wsgi_get, planner, member):
    crime = f"/tiles/testarea/crime/{TILE}.mvt"
    status, errors = refusal(wsgi_get, crime, "sv", QUERY_STRING="from=yesterday", **planner)
    assert status == 400 and errors["from"][0].startswith("Ange ett datum")

    bad_token = {"HTTP_AUTHORIZATION": "Token nosuchtoken"}
    status, body = refusal(wsgi_get, crime, "da", **bad_token)
    assert (status, body["detail"]) == (401, "Ugyldig token.")
    status, body = refusal(wsgi_get, crime, "sv", HTTP_AUTHORIZATION="Token two words")
    assert status == 401 and "mellanslag" in body["detail"]

    participant = Token.objects.create(user=member(Role.PARTICIPANT)).key
    status, body = refusal(wsgi_get, crime, "sv", HTTP_AUTHORIZATION=f"Token {participant}")
    assert status == 403 and "Din roll" in body["detail"]


def test_english_stays_the_default_and_a_tile_does_not_vary_by_language(wsgi_get, planner):
    status, errors = refusal(wsgi_get, "/tiles/testarea/lamps/30/0/0.mvt", "fr", **planner)
    assert errors["z"] == ["Zoom must be between 0 and 22."]

    path = f"/tiles/testarea/lamps/{TILE}.mvt"
    status, headers, _ = wsgi_get(path, HTTP_ACCEPT_LANGUAGE="sv", **planner)
    assert status == 200 and "Accept-Language" not in headers["Vary"]
