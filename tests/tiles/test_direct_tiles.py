"""Vector tiles are answered straight by the tile view (tiles/direct.py): the same status,
headers and body as through the tile handler, one statement (a session cookie's included) and
no health check, and everything the direct path is unsure of handed to the handler."""

import base64
import gzip
import io
import json
from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import Session
from config.wsgi import TileHandler
from geo.models import Role
from tests.factories import make_area
from tests.tiles.data import WHOLE_AREA
from tests.tiles.layered import fill_every_layer
from tests.tiles.test_tile_permissions import EXPECTED
from tiles import direct
from tiles.auth import UnconfirmedSession, confirm_session
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
    assert status == EXPECTED[role][layer]  # both paths agree, and on the right answer
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


SWEDISH_REFUSALS = {
    401: "Ogiltig token.",
    403: "Din roll i området ger inte tillgång till lagret.",
    404: "Hittades inte.",  # config.errors.not_found, as for any address that is none
}


@pytest.mark.parametrize(
    "case",
    [
        {"HTTP_AUTHORIZATION": "Token nosuchtoken"},  # 401
        {"token": Role.PARTICIPANT, "PATH_INFO": f"/tiles/testarea/crime/{TILE}.mvt"},  # 403
        {"PATH_INFO": "/tiles/nosucharea/lamps/9/274/160.mvt"},  # 404
        {"session": Role.PARTICIPANT, "PATH_INFO": f"/tiles/testarea/crime/{TILE}.mvt"},  # 403
        {},  # anonymous, an area not published: 404
    ],
)
def test_a_refusal_the_statement_decided_runs_it_once_in_the_readers_language(
    wsgi_get, client, member, tokens, case
):
    environ = {"HTTP_ACCEPT_LANGUAGE": "sv"} | case
    path = environ.pop("PATH_INFO", f"/tiles/testarea/lamps/{TILE}.mvt")
    if "token" in environ:
        environ["HTTP_AUTHORIZATION"] = f"Token {tokens[environ.pop('token')]}"
    if "session" in environ:
        environ["HTTP_COOKIE"] = signed_in(client, member(environ.pop("session")))
    status, headers, body = both(wsgi_get, path, **environ)
    assert headers["Content-Language"] == "sv"
    assert json.loads(body)["detail"] == SWEDISH_REFUSALS[status]
    # The statement decided it; the handler wrote it without running the statement again.
    assert statements(wsgi_get, path, **environ) == (status, 1)


def test_https_redirect_goes_to_the_handler(wsgi_get, tokens):
    path = f"/tiles/testarea/lamps/{TILE}.mvt"
    with override_settings(SECURE_SSL_REDIRECT=True):
        status, headers, _ = both(wsgi_get, path, TileHandler())
    assert status == 301 and headers["Location"].startswith("https://")


def signed_in(client, user) -> str:
    """The Cookie header of a browser signed in as `user` (with a CSRF cookie beside it)."""
    client.force_login(user)
    return f"csrftoken=x; sessionid={client.cookies['sessionid'].value}"


def statements(wsgi_get, path, **environ) -> tuple[int, int]:
    """(status, number of statements) of the direct path's answer."""
    with CaptureQueriesContext(connection) as queries:
        status = wsgi_get(path, app=direct.serving(HANDLER), **environ)[0]
    return status, len(queries)


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("role", Role.values)
def test_session_tiles_answer_as_the_handler_does_in_one_statement(
    wsgi_get, client, tokens, member, layer, role
):
    browser = {"HTTP_COOKIE": signed_in(client, member(role)), "HTTP_ACCEPT_ENCODING": "gzip"}
    path = f"/tiles/testarea/{layer}/{TILE}.mvt"
    status, headers, _ = both(wsgi_get, path, **browser)
    assert status == EXPECTED[role][layer]
    # No session or user lookup; a refusal is the handler's to write (in the request's
    # language), with the statement's decision instead of the statement again.
    assert statements(wsgi_get, path, **browser) == (status, 1)
    if status == 200:
        held = {"HTTP_IF_NONE_MATCH": headers["ETag"]}
        assert both(wsgi_get, path, **held, **browser)[0] == 304
        assert statements(wsgi_get, path, **held, **browser) == (304, 1)
        assert both(wsgi_get, f"/tiles/testarea/{layer}/9/0/0.mvt", **browser)[0] == 204
        both(wsgi_get, path, QUERY_STRING="from=2025-03-01&light=night&kind=unsafe_spot", **browser)


def test_a_name_and_password_are_told_to_use_a_token(wsgi_get, client, area, member):
    # QGIS signs in to the OGC API with a name and password (Basic); tiles and styles take a
    # token, and such a client was told "no such area" as if it had not signed in at all.
    fill_every_layer(area)
    basic = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"planner:trygg-demo").decode()}
    tile = f"/tiles/testarea/lamps/{TILE}.mvt"
    refusals = [both(wsgi_get, tile, **basic)] + [
        wsgi_get(path, **basic)
        for path in (
            "/tiles/testarea/style.json",
            "/tiles/testarea/lamps.json",
            "/tiles/testarea/raster/crime_density/14/0/0.png",
        )
    ]
    for status, headers, body in refusals:
        assert (status, headers["WWW-Authenticate"]) == (401, "Token")
        assert "API token (Authorization: Token" in json.loads(body)["detail"]
    # A browser behind a proxy that asks for a password sends it with its session: the session
    # decides, as before.
    browser = {"HTTP_COOKIE": signed_in(client, member(Role.PLANNER)), **basic}
    assert both(wsgi_get, tile, **browser)[0] == 200
    assert wsgi_get("/tiles/testarea/style.json", **browser)[0] == 200
    # A published area's public tiles stay public, whatever the header.
    area.published = True
    area.save()
    assert both(wsgi_get, tile, **basic)[0] == 200


def test_a_token_header_comes_before_the_session(wsgi_get, client, tokens, member):
    browser = {
        "HTTP_COOKIE": signed_in(client, member(Role.ANALYST)),
        "HTTP_AUTHORIZATION": f"Token {tokens[Role.PARTICIPANT]}",
    }
    path = f"/tiles/testarea/crime/{TILE}.mvt"
    assert both(wsgi_get, path, HTTP_COOKIE=browser["HTTP_COOKIE"])[0] == 200  # the analyst
    assert both(wsgi_get, path, **browser)[0] == 403  # the participant may not see crime


def expire(session):
    session.expire_date = timezone.now() - timedelta(seconds=1)
    session.save()


def tamper(session):
    session.session_data = session.session_data[:-4] + "AAAA"
    session.save()


def change_password(session):
    session.user.set_password("another-password")
    session.user.save()


def deactivate(session):
    session.user.is_active = False
    session.user.save()


@pytest.mark.parametrize(
    "spoil", [expire, tamper, change_password, deactivate, lambda session: session.delete()]
)
def test_sessions_the_view_cannot_confirm_go_to_the_handler(
    wsgi_get, client, tokens, member, spoil
):
    """Expired, signed out, tampered with, a changed password, an inactive user: Django's
    middleware answers, as to a visitor (the area is unpublished: 404), and flushes the session
    or deletes the cookie as it sees fit."""
    browser = {"HTTP_COOKIE": signed_in(client, member(Role.PLANNER))}
    path = f"/tiles/testarea/lamps/{TILE}.mvt"
    assert both(wsgi_get, path, **browser)[0] == 200
    spoil(Session.objects.select_related("user").get(pk=client.cookies["sessionid"].value))
    assert both(wsgi_get, path, **browser)[0] == 404
    assert statements(wsgi_get, path, **browser)[1] > 1  # the handler's lookups


def test_a_session_signed_with_a_retired_secret_key_goes_to_the_handler(client, member):
    user = member(Role.PLANNER)
    client.force_login(user)
    found = Session.objects.get(pk=client.cookies["sessionid"].value)
    confirm_session(user.pk, user.password, found.session_data)
    with override_settings(
        SECRET_KEY="a-new-secret-" * 5, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]
    ):
        with pytest.raises(UnconfirmedSession):  # Django re-signs it: the handler's work
            confirm_session(user.pk, user.password, found.session_data)
    with pytest.raises(UnconfirmedSession):
        confirm_session(None, None, None)


def test_only_a_session_cookie_makes_a_session():
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/tiles/a/lamps/1/0/0.mvt"}
    environ |= {"HTTP_HOST": "testserver", "wsgi.input": io.BytesIO()}
    # Other cookies alone (language, CSRF) do not make a session.
    assert direct.direct_request(environ | {"HTTP_COOKIE": "csrftoken=x"}).tile_session is None
    assert direct.direct_request(environ | {"HTTP_COOKIE": "sessionid=abc"}).tile_session == "abc"
    with override_settings(SESSION_SAVE_EVERY_REQUEST=True):  # the middleware would save it
        assert direct.direct_request(environ | {"HTTP_COOKIE": "sessionid=abc"}) is None


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


def test_a_page_on_another_site_may_read_tiles_with_a_token_never_with_cookies(wsgi_get, tokens):
    # MapLibre on another origin: any origin may read, without credentials (no cookies).
    auth = {
        "HTTP_AUTHORIZATION": f"Token {tokens[Role.PLANNER]}",
        "HTTP_ORIGIN": "https://planning.example",
    }
    _, headers, _ = both(wsgi_get, f"/tiles/testarea/lamps/{TILE}.mvt", **auth)
    assert headers["access-control-allow-origin"] == "*"  # the names as CorsMiddleware writes them
    assert "access-control-allow-credentials" not in headers
    assert "ETag" in headers["access-control-expose-headers"]
