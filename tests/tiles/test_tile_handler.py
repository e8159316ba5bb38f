"""Map tiles go through their own Django handler with a short middleware list (config/wsgi.py):
the same answers as the full stack, the security middleware still applied, and pages untouched.
(Tiles without a session are answered before this handler: tests/tiles/test_direct_tiles.py.)"""

import gzip

import pytest
from django.test import override_settings
from rest_framework.authtoken.models import Token

from config.wsgi import TileHandler
from geo.models import Role
from tests.tiles.data import WHOLE_AREA
from tests.tiles.layered import fill_every_layer

pytestmark = pytest.mark.django_db

TILE_URL = "/tiles/testarea/lamps/{}/{}/{}.mvt".format(*WHOLE_AREA)


@pytest.fixture
def planner_token(member, area):
    fill_every_layer(area)
    return Token.objects.create(user=member(Role.PLANNER)).key


def test_a_tile_answers_as_through_the_full_stack(wsgi_get, planner_token, client):
    auth = {"HTTP_AUTHORIZATION": f"Token {planner_token}", "HTTP_ACCEPT_ENCODING": "gzip"}
    status, headers, body = wsgi_get(TILE_URL, app=TileHandler(), **auth)
    full = client.get(TILE_URL, **auth)
    assert status == full.status_code == 200
    assert headers["ETag"] == full["ETag"]
    assert gzip.decompress(body) == gzip.decompress(full.content)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in headers
    assert "Accept-Language" not in headers["Vary"]

    status, headers, body = wsgi_get(
        TILE_URL, app=TileHandler(), HTTP_IF_NONE_MATCH=headers["ETag"], **auth
    )
    assert (status, body) == (304, b"")


def test_pages_keep_the_full_middleware(wsgi_get):
    status, headers, _ = wsgi_get("/healthz")
    assert status == 200
    assert "script-src 'self'" in headers["Content-Security-Policy"]


def test_tiles_still_redirect_to_https_and_check_the_host(wsgi_get, planner_token):
    with override_settings(SECURE_SSL_REDIRECT=True):
        status, headers, _ = wsgi_get(TILE_URL, app=TileHandler())
    assert status == 301 and headers["Location"].startswith("https://")

    status, _, _ = wsgi_get(TILE_URL, HTTP_HOST="evil.example")
    assert status == 400


def test_a_session_user_is_recognised_by_the_tile_handler(wsgi_get, client, member, area):
    fill_every_layer(area)
    client.force_login(member(Role.PLANNER))
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    assert wsgi_get(TILE_URL, HTTP_COOKIE=cookie)[0] == 200
    # Anonymous: the area is not published, so it does not exist for them.
    assert wsgi_get(TILE_URL)[0] == 404
