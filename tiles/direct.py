"""Vector tiles served straight from WSGI to the tile view.

A tile for a browser's session, a token holder (QGIS, scripts) or an anonymous visitor of a
published area needs nothing of Django's request cycle: the tile statement looks the session
or token up itself (tiles/sql.py). The cycle (signals, middleware, URL resolving) and the
database health check it triggers cost about 0.7 ms a tile, as much as a small tile's
statement, and Django's session and user lookups two more round trips (docs/benchmarks.md), so
these requests call the view directly and get the security headers from Django's own
middleware (worked out once, at start-up: they depend on the settings and the scheme only).

Whatever this path is not sure of goes to the tile handler (config/wsgi.py), which answers it
the same way, only slower: a session the view cannot confirm by itself (expired, signed out,
a changed password: Django's middleware then flushes it or deletes the cookie), another
method than GET, a host Django would refuse, a request to redirect to HTTPS, a NUL in the
query, any refusal (written in the request's language, which this path does not look up) and
any error. A refusal the tile statement decided (an unknown token, an area the requester may
not see: the 404 page, a layer their role does not allow) goes to the handler with the
decision (tiles.views.TileRefusal), so the statement does not run twice.
tests/tiles/test_direct_tiles.py checks that both give the same answers.
"""

import re
import threading
from functools import partial
from http.client import responses

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.db import (
    DEFAULT_DB_ALIAS,
    InterfaceError,
    OperationalError,
    connection,
    connections,
)
from django.http import HttpResponse, parse_cookie
from django.middleware.security import SecurityMiddleware

from tiles.catalogue import LAYERS
from tiles.views import KNOWN_REFUSAL, TileAnswer, TileRefusal, tile_answer

# The URL pattern of tiles/urls.py's vector-tile route, with Django's slug and int converters.
_LAYER = "|".join(map(re.escape, LAYERS))
VECTOR_TILE = re.compile(
    rf"^/tiles/(?P<slug>[-a-zA-Z0-9_]+)/(?P<layer>{_LAYER})/(?P<z>[0-9]+)/(?P<x>[0-9]+)"
    r"/(?P<y>[0-9]+)\.mvt$"
)


def serving(handler, lender=None):
    """A WSGI application answering vector tiles directly where it can, else by `handler`."""
    # Django's security middleware, built as the handler builds its own.
    security = SecurityMiddleware(get_response=handler)
    secured = {scheme: security_headers(security, scheme) for scheme in (False, True)}
    lender = lender or Connections()

    def application(environ, start_response):
        address = VECTOR_TILE.match(environ.get("PATH_INFO", ""))
        request = address and direct_request(environ)
        if request is None or security.process_request(request):  # e.g. a redirect to HTTPS
            return handler(environ, start_response)
        try:
            answer = run_on_connection(tile_answer, request, **address.groupdict(), lender=lender)
        except Exception:
            # Django renders the 404 page and logs and renders errors with the request.
            return handler(environ, start_response)
        if isinstance(answer, TileRefusal):
            # Decided by the statement: the handler writes it in the request's language,
            # without running the statement again.
            environ[KNOWN_REFUSAL] = answer
            return handler(environ, start_response)
        if not isinstance(answer, TileAnswer):  # a refusal made before the statement: the
            return handler(environ, start_response)  # handler's, in the request's language
        # The answer as the handler's middleware would finish it: the security headers, and
        # cross-origin reads as CorsMiddleware answers them (settings), built here from the
        # tile's own headers rather than through an HttpResponse.
        headers = [
            (name, f"{value}, origin") if name == "Vary" else (name, value)
            for name, value in answer.headers
        ]
        headers += secured[request.is_secure()]
        if "HTTP_ORIGIN" in environ:
            headers += CROSS_ORIGIN
        headers.append(("Content-Length", str(len(answer.body))))
        start_response(STATUS_LINES[answer.status], headers)
        # No request_finished: its receivers tidy what this path never touches (the thread's
        # own connection, caches) for 15-20 µs.
        return [answer.body]

    return application


# What CorsMiddleware adds to a tile for a page on another site (settings), in its spelling.
CROSS_ORIGIN = [("access-control-allow-origin", "*"), ("access-control-expose-headers", "ETag")]
STATUS_LINES = {status: f"{status} {responses[status]}" for status in (200, 204, 304)}


class _Scheme:
    """Stands for a request in SecurityMiddleware.process_response, which asks it one thing."""

    def __init__(self, secure: bool):
        self.secure = secure

    def is_secure(self) -> bool:
        return self.secure


def security_headers(security: SecurityMiddleware, secure: bool) -> list[tuple[str, str]]:
    """The headers Django's security middleware adds to a tile over HTTPS or plain HTTP (only
    HSTS depends on the request, and only on its scheme): computed once, at start-up, as the
    middleware reads its settings once."""
    response = security.process_response(_Scheme(secure), HttpResponse())
    return [(name, value) for name, value in response.items() if name != "Content-Type"]


def direct_request(environ) -> WSGIRequest | None:
    """The request, if this path may answer it: nothing on it needs Django's middleware."""
    if environ.get("REQUEST_METHOD") != "GET":
        return None
    if "%00" in environ.get("QUERY_STRING", ""):  # a NUL: config.middleware.RejectNulInQuery
        return None
    session = parse_cookie(environ.get("HTTP_COOKIE", "")).get(settings.SESSION_COOKIE_NAME)
    if session and settings.SESSION_SAVE_EVERY_REQUEST:  # the middleware would save it
        return None
    request = WSGIRequest(environ)
    try:
        request.get_host()
    except DisallowedHost:
        return None
    # The tile statement looks the token or session up; the view checks the session's data
    # and hands anything doubtful back (tiles.auth.UnconfirmedSession).
    request.user = AnonymousUser()
    request.tile_session = session
    return request


class Connections:
    """The direct path's database connections, lent most recently returned first: at low load
    every tile then runs on the same PostgreSQL backend, whose caches and prepared statements
    are warm, instead of on whichever of the worker threads' connections is next (0.2–0.3 ms
    a small tile, bench/tiles). There are at most as many as requests served at once."""

    def __init__(self):
        self._idle = []
        self._lock = threading.Lock()

    def borrow(self):
        with self._lock:
            if self._idle:
                return self._idle.pop()
        database = connections.create_connection(DEFAULT_DB_ALIAS)
        database.inc_thread_sharing()  # lent to one thread at a time, not always the same
        return database

    def give_back(self, database):
        with self._lock:
            self._idle.append(database)

    def close_all(self):
        with self._lock:
            idle, self._idle = self._idle, []
        for database in idle:
            database.close()


def run_on_connection(view, request, slug, layer, z, x, y, lender: Connections):
    """The view on a lent connection, without the health check Django runs before a request's
    first query (a round trip of its own): a connection found broken is replaced and the view,
    which only reads, runs once more."""
    answer = partial(view, request, slug, layer, int(z), int(x), int(y))
    if connection.in_atomic_block:  # a test's transaction: its connection, nothing to recycle
        return answer()
    database = request.tile_database = lender.borrow()
    try:
        database.close_if_unusable_or_obsolete()  # as Django does when a request starts
        database.health_check_done = True
        try:
            return answer()
        except (InterfaceError, OperationalError):
            if database.connection is not None and database.is_usable():
                raise  # the statement failed, not the connection
            database.close()
            return answer()
    finally:
        lender.give_back(database)
