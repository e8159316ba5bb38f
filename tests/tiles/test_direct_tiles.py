"""Vector tiles without a session are answered straight by the tile view (tiles/direct.py):
the same status, headers and body as through the tile handler, one statement and no health
check, and everything the direct path is unsure of handed to the handler."""

import gzip
import io

import psycopg
import pytest
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from config.wsgi import TileHandler
from geo.models import Role
from tests.factories import make_area
from tests.tiles.data import WHOLE_AREA
from tests.tiles.layered import fill_every_layer
from tiles import direct
from tiles.catalogue import LAYERS

pytestmark = pytest.mark.django_db

TILE = "/".join(map(str, WHOLE_AREA))
HANDLER = TileHandler()


@pytest.fixture
def tokens(area, member):
    """role → token key, with every layer filled."""
    fill_every_layer(area)
    return {role: Token.objects.create(user=member(role)).key for role in Role.values}


def both(wsgi_get, path, handler=HANDLER, **environ):
    """The answer of the direct path and of the tile handler, checked to be the same."""
    seen = wsgi_get(path, app=direct.serving(handler), **environ)
    expected = wsgi_get(path, app=handler, **environ)
    status, headers, body = seen
    assert (status, headers) == expected[:2]
    if headers.get("Content-Encoding") == "gzip":
        assert gzip.decompress(body) == gzip.decompress(expected[2])
    else:
        assert body == expected[2]
    return seen


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("role", Role.values)
def test_token_tiles_answer_as_the_handler_does(wsgi_get, tokens, layer, role):
    auth = {"HTTP_AUTHORIZATION": f"Token {tokens[role]}", "HTTP_ACCEPT_ENCODING": "gzip"}
    path = f"/tiles/testarea/{layer}/{TILE}.mvt"
    status, headers, _ = both(wsgi_get, path, **auth)
    assert status in (200, 403)
    if status == 200:
        assert both(wsgi_get, path, HTTP_IF_NONE_MATCH=headers["ETag"], **auth)[0] == 304
        assert both(wsgi_get, f"/tiles/testarea/{layer}/9/0/0.mvt", **auth)[0] == 204
        both(wsgi_get, path, QUERY_STRING="from=2025-03-01&light=night&kind=unsafe_spot", **auth)


def test_anonymous_tiles_of_a_published_area(wsgi_get, area):
    fill_every_layer(area)
    path = f"/tiles/testarea/lamps/{TILE}.mvt"
    assert both(wsgi_get, path)[0] == 404  # not published: the area does not exist for them
    area.published = True
    area.save()
    assert both(wsgi_get, path)[0] == 200
    assert both(wsgi_get, path, HTTP_ACCEPT_ENCODING="gzip")[0] == 200


@override_settings(
    SECURE_HSTS_SECONDS=3600, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
)
def test_security_headers_over_https_are_the_handlers(wsgi_get, tokens):
    auth = {
        "HTTP_AUTHORIZATION": f"Token {tokens[Role.PLANNER]}",
        "HTTP_X_FORWARDED_PROTO": "https",
    }
    # The middleware reads its settings when it is built, as the server does at start-up.
    _, headers, _ = both(wsgi_get, f"/tiles/testarea/lamps/{TILE}.mvt", TileHandler(), **auth)
    assert headers["Strict-Transport-Security"].startswith("max-age=3600")
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "case",
    [
        {"HTTP_AUTHORIZATION": "Token nosuchtoken"},  # 401
        {"HTTP_AUTHORIZATION": "Token two words"},  # 401, malformed header
        {"PATH_INFO": "/tiles/nosucharea/lamps/9/274/160.mvt"},  # 404
        {"PATH_INFO": "/tiles/testarea/lamps/30/0/0.mvt"},  # 400, zoom
        {"PATH_INFO": "/tiles/testarea/lamps/9/999/160.mvt"},  # 400, x
        {"PATH_INFO": f"/tiles/testarea/crime/{TILE}.mvt", "QUERY_STRING": "from=yesterday"},
        {"PATH_INFO": f"/tiles/testarea/crime/{TILE}.mvt", "QUERY_STRING": "light=%00"},
        {"HTTP_HOST": "evil.example"},  # 400, host
        {"REQUEST_METHOD": "POST"},  # 405
    ],
)
def test_refusals_are_the_handlers(wsgi_get, tokens, case):
    environ = {"HTTP_AUTHORIZATION": f"Token {tokens[Role.PLANNER]}"} | case
    path = environ.pop("PATH_INFO", f"/tiles/testarea/lamps/{TILE}.mvt")
    assert both(wsgi_get, path, **environ)[0] in (400, 401, 404, 405)


def test_https_redirect_and_sessions_go_to_the_handler(wsgi_get, tokens, client, member):
    path = f"/tiles/testarea/lamps/{TILE}.mvt"
    with override_settings(SECURE_SSL_REDIRECT=True):
        status, headers, _ = both(wsgi_get, path, TileHandler())
    assert status == 301 and headers["Location"].startswith("https://")

    client.force_login(member(Role.ANALYST))
    cookie = f"csrftoken=x; sessionid={client.cookies['sessionid'].value}"
    assert both(wsgi_get, path, HTTP_COOKIE=cookie)[0] == 200
    # Other cookies alone (language, CSRF) do not make a session.
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "HTTP_HOST": "testserver"}
    environ["wsgi.input"] = io.BytesIO()
    assert direct.direct_request(environ | {"HTTP_COOKIE": "csrftoken=x"}) is not None
    assert direct.direct_request(environ | {"HTTP_COOKIE": cookie}) is None


@pytest.fixture
def lender():
    lender = direct.Connections()
    yield lender
    lender.close_all()


def backend_pid(database):
    with database.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_one_statement_no_health_check_and_a_dead_connection_replaced(
    wsgi_get, monkeypatch, lender
):
    """Outside a test transaction, as in the server: tiles run on the lender's connections,
    which are not pinged before the tile statement, and a dead one is replaced and the view
    run again."""
    area = make_area("testarea")
    fill_every_layer(area)
    area.published = True
    area.save()
    path = f"/tiles/testarea/lamps/{TILE}.mvt"
    app = direct.serving(HANDLER, lender)
    database = lender.borrow()
    lender.give_back(database)  # the one the next tile gets
    pings = []
    real_ping = database.is_usable
    monkeypatch.setattr(database, "is_usable", lambda: pings.append(1) or real_ping())

    with CaptureQueriesContext(database) as queries:
        assert wsgi_get(path, app=app)[0] == 200
        assert wsgi_get(path, app=app)[0] == 200
    assert len(queries) == 2 and pings == []
    assert lender.borrow() is database  # the same connection, tile after tile
    lender.give_back(database)

    pid = backend_pid(database)
    settings_dict = database.settings_dict
    with psycopg.connect(
        host=settings_dict["HOST"],
        port=settings_dict["PORT"],
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert wsgi_get(path, app=app)[0] == 200
    assert backend_pid(database) != pid
