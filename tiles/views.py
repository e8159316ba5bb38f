"""Vector tiles, raster tiles, TileJSON and the MapLibre style (thin views; SQL in tiles/sql.py).

A vector tile costs exactly one database statement: the area, the user's role, the data
versions and the tile come back together (see tiles/sql.py); a token header is checked inside
that statement too, and so is a session cookie when tiles/direct.py serves the request. A
revalidation (If-None-Match) runs a smaller statement without the tile, and the tile statement
after it only if the held ETag is stale.
"""

from functools import wraps
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_safe
from isal import igzip
from rest_framework.exceptions import AuthenticationFailed

from layers.analysis.results import ROUNDED_TO
from tiles import raster, sprite, styles
from tiles.auth import Requester, confirm_session, tile_requester, tile_user
from tiles.catalogue import FORBIDDEN, HIDDEN, LAYERS, MAX_ZOOM, layer_mode, mode_table
from tiles.filters import FilterError, check_kinds, check_walks, parse_filters
from tiles.sql import REVALIDATIONS, STATEMENTS

# Part of every ETag: change it when a deploy changes what the same data renders to.
TILE_REVISION = "t1"
MVT_TYPE = "application/vnd.mapbox-vector-tile"
EARTH_CIRCUMFERENCE_M = 40075016.685578488
PRIVATE, PUBLIC = "private, no-cache", "public, no-cache"
TILE_VARY = "Cookie, Authorization, Accept-Encoding"


def if_none_match(request) -> list[str]:
    # META rather than request.headers, which copies every header into a dict first.
    raw = request.META.get("HTTP_IF_NONE_MATCH", "")
    tags = []
    for part in raw.split(","):
        part = part.strip()
        if part.startswith("W/"):
            part = part[2:]
        if part:
            tags.append(part.strip('"'))
    return tags


def bad_request(errors: dict[str, list[str]]) -> JsonResponse:
    return JsonResponse(errors, status=400)


# The tile statement's refusals of a token (tiles/sql.py), DRF's words, for the translations.
TOKEN_ERRORS = (gettext_noop("Invalid token."), gettext_noop("User inactive or deleted."))


def unauthenticated(detail: str) -> JsonResponse:
    response = JsonResponse({"detail": _(detail)}, status=401)
    response["WWW-Authenticate"] = "Token"
    return response


# QGIS's Basic authentication, which the OGC API takes. Tiles do not: checking a password takes
# about a second, too long for each of a map's tiles. Answered as an anonymous visitor, such a
# client was told "no such area" instead of how to sign in.
PASSWORD_REFUSED = gettext_noop(
    "Map tiles and styles take an API token (Authorization: Token …, from POST"
    " /api/auth/token/), not a user name and password."
)


def password_refused(view):
    """`view`, answering its 404 with a 401 that says how to sign in when the request signs in
    with a user name and password only. With a session too (a browser behind a proxy that asks
    for a password) the session decides, as before; so do the answers other than 404."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Http404:
            header = request.META.get("HTTP_AUTHORIZATION", "")
            if header[:6].lower() == "basic " and not request.user.is_authenticated:
                return unauthenticated(PASSWORD_REFUSED)
            raise

    return wrapped


def forbidden() -> JsonResponse:
    return JsonResponse(
        {"detail": _("Your role in this area does not allow this layer.")}, status=403
    )


def cache_headers(etag: str, user) -> list[tuple[str, str]]:
    """Clients may store a tile but must revalidate it: a 304 is cheap and never stale. Cookie
    is among what it varies by, as the session middleware marks an answer to a session."""
    scope = PRIVATE if user.is_authenticated else PUBLIC
    return [("ETag", f'"{etag}"'), ("Cache-Control", scope), ("Vary", TILE_VARY)]


def caching_headers(response: HttpResponse, etag: str, user) -> HttpResponse:
    for name, value in cache_headers(etag, user):
        response[name] = value
    return response


def bodiless(status: int) -> HttpResponse:
    """A 204 (empty tile) or 304 (unchanged): no body, so no Content-Type either."""
    response = HttpResponse(status=status)
    del response["Content-Type"]
    return response


def check_tile_address(z: int, x: int, y: int) -> dict[str, list[str]]:
    if z > MAX_ZOOM:
        return {"z": [_("Zoom must be between 0 and %(max)s.") % {"max": MAX_ZOOM}]}
    size = 1 << z
    errors = {}
    for name, value in (("x", x), ("y", y)):
        if value >= size:
            errors[name] = [
                _("%(name)s must be below %(size)s at zoom %(z)s.")
                % {"name": name, "size": size, "z": z}
            ]
    return errors


def tile_params(*, slug, layer, z, x, y, requester: Requester, filters, held=()) -> dict:
    """The bound parameters of a layer's tile statement (tiles/sql.py) for one request."""
    return {
        "slug": slug,
        "user": requester.pk,
        "superuser": requester.is_superuser,
        "token": requester.token,
        "session": requester.session,
        # The smallest count shown is part of what a tile shows: changing it renews every ETag.
        "etag_base": (
            f"{TILE_REVISION}|{layer}|{z}/{x}/{y}|{filters.canonical}"
            f"|k={settings.TRYGG_MIN_AGGREGATE_COUNT}"
        ),
        "version_layers": list(LAYERS[layer].versions),
        "if_none_match": [tag for tag in held if tag != "*"],
        "z": z,
        "x": x,
        "y": y,
        "margin": 64 / 4096,
        "simplify": z < 15,
        # One pixel of a 512-pixel tile: 8 of its 4,096 units (docs/tiles.md).
        "tolerance": EARTH_CIRCUMFERENCE_M / (1 << z) / 512,
        "min_count": settings.TRYGG_MIN_AGGREGATE_COUNT,
        "rounded_to": ROUNDED_TO,
        "snap": settings.TRYGG_SNAP_DISTANCE_M,
        **mode_table(layer, z),
        **filters.sql_params(),
    }


class TileRow(NamedTuple):
    """The one row of a tile statement (tiles/sql.py)."""

    token_error: str | None
    mode: str
    etag: str
    # The area's kinds, when a kind asked for is not one of them (then there is no tile).
    kinds_known: list[str] | None
    # The walk ids asked for that are not walks of the area (then there is no tile either).
    walks_unknown: list[int] | None
    tile: bytes | None
    # The session cookie's user, for tiles.auth.confirm_session.
    session_user: int | None
    session_password: str | None
    session_data: str | None


def tile_row(layer: str, params: dict, held: list[str], database=connection) -> TileRow:
    """The tile in one statement; a request holding an ETag is first answered by the small
    revalidation statement, and gets the tile statement only when the ETag it holds is
    stale."""
    with database.cursor() as cursor:
        if held:
            cursor.execute(REVALIDATIONS[layer], params)
            row = TileRow(*cursor.fetchone())
            if refused(row) or row.etag in held or "*" in held:
                return row
        cursor.execute(STATEMENTS[layer], params)
        return TileRow(*cursor.fetchone())


# Where tiles/direct.py leaves the TileRefusal its statement decided, for the tile handler to
# answer: a WSGI environ key, which no request can set (its headers come as HTTP_*).
KNOWN_REFUSAL = "trygg.tile_refusal"


@password_refused
@require_safe
def vector_tile(request, slug: str, layer: str, z: int, x: int, y: int):
    answer = request.META.get(KNOWN_REFUSAL)
    if not isinstance(answer, TileRefusal):
        answer = tile_answer(request, slug, layer, z, x, y)
    if isinstance(answer, TileRefusal):
        return answer.response(request)
    if isinstance(answer, HttpResponse):  # a refusal
        return answer
    response = HttpResponse(answer.body, status=answer.status, headers=answer.headers)
    if answer.status in (204, 304):  # no body, so no Content-Type either (bodiless)
        del response["Content-Type"]
    return response


class TileAnswer(NamedTuple):
    """A vector tile's answer (200, 204 or 304) as status, headers and body: tiles/direct.py
    sends it as it is. Building an HttpResponse and finishing it through the security
    middleware and patch_vary_headers cost 10-50 µs of the 150-180 µs of CPU a small tile
    took beyond its statement (docs/benchmarks.md)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


class TileRefusal(NamedTuple):
    """A refusal the tile statement decided: a token it does not know, an area the requester
    may not see, a layer their role does not allow, a kind or a walk the area does not have.
    Its words are written when it is answered (response), so that tiles/direct.py, which does
    not look the request's language up, can hand it to the tile handler to answer in that
    language without running the statement again."""

    token_error: str | None
    mode: str
    kinds_known: list[str] | None
    walks_unknown: list[int] | None
    # Decided by the session cookie, or its absence, rather than a token header.
    by_session: bool

    @classmethod
    def of(cls, row: TileRow, requester: Requester) -> "TileRefusal | None":
        if not refused(row):
            return None
        return cls(
            row.token_error, row.mode, row.kinds_known, row.walks_unknown, requester.token is None
        )

    def response(self, request) -> HttpResponse:
        """401, 403 or 400 (404 raised), in the active language."""
        if self.by_session and hasattr(request, "session"):
            # The view that runs the statement reads the user from the session, so the session
            # middleware marks its answer as varying by Cookie: so does one decided before.
            request.session.accessed = True
        if self.token_error:
            return unauthenticated(self.token_error)
        if self.mode == HIDDEN:
            raise Http404(_("No such area."))
        if self.mode == FORBIDDEN:
            return forbidden()
        try:  # the kinds first, as the exports check them
            if self.kinds_known is not None:
                check_kinds(request.GET, self.kinds_known)
            check_walks(self.walks_unknown)
        except FilterError as error:
            return bad_request(error.errors)
        raise AssertionError("a refusal without a reason")  # pragma: no cover


def tile_answer(request, slug: str, layer: str, z: int, x: int, y: int):
    """The tile, the TileRefusal the statement decided, or the HttpResponse of a refusal made
    before it (400, 401)."""
    spec = LAYERS[layer]
    errors = check_tile_address(z, x, y)
    if errors:
        return bad_request(errors)
    try:
        filters = parse_filters(request.GET, spec.filters)
        requester = tile_requester(request)
    except FilterError as error:
        return bad_request(error.errors)
    except AuthenticationFailed as error:
        return unauthenticated(str(error.detail))
    held = if_none_match(request)
    params = tile_params(
        slug=slug, layer=layer, z=z, x=x, y=y, requester=requester, filters=filters, held=held
    )
    # tiles/direct.py lends its requests a connection of its own.
    database = getattr(request, "tile_database", connection)
    row = tile_row(layer, params, held, database)
    if requester.session:
        confirm_session(row.session_user, row.session_password, row.session_data)
    return TileRefusal.of(row, requester) or tile_content(request, row, held, requester)


def refused(row: TileRow) -> bool:
    return (
        bool(row.token_error)
        or row.mode in (HIDDEN, FORBIDDEN)
        or row.kinds_known is not None
        or row.walks_unknown is not None
    )


def tile_content(request, row: TileRow, held: list[str], requester: Requester) -> TileAnswer:
    caching = cache_headers(row.etag, requester)
    if row.etag in held or "*" in held:
        return TileAnswer(304, caching, b"")
    if not row.tile:
        return TileAnswer(204, caching, b"")
    headers = [("Content-Type", MVT_TYPE)]
    tile = bytes(row.tile)
    if "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", ""):
        # ISA-L at level 1: a fifth of zlib's level-1 time for the same size (blocks tiles of
        # up to 570 kB: 0.13 instead of 0.58 ms a tile on average); serving CPU, not the link,
        # is what limits a tile server.
        tile = igzip.compress(tile, compresslevel=1, mtime=0)
        headers.append(("Content-Encoding", "gzip"))
    return TileAnswer(200, headers + caching, tile)


@password_refused
@require_safe
def raster_tile(request, slug: str, name: str, z: int, x: int, y: int):
    errors = check_tile_address(z, x, y)
    if errors:
        return bad_request(errors)
    try:
        user = tile_user(request)
    except AuthenticationFailed as error:
        return unauthenticated(str(error.detail))
    found = raster.raster_for(request, slug, name, user)
    if found is None:
        raise Http404(_("No such raster."))
    if found == FORBIDDEN:
        return forbidden()
    etag = raster.raster_etag(found, z, x, y)
    held = if_none_match(request)
    if etag in held or "*" in held:
        return caching_headers(bodiless(304), etag, user)
    try:
        png = raster.render_tile(found.path, found.name, z, x, y, found.floor)
    except raster.RASTER_GONE:
        raise Http404(_("No such raster.")) from None
    if png is None:
        return caching_headers(bodiless(204), etag, user)
    return caching_headers(HttpResponse(png, content_type="image/png"), etag, user)


@require_safe
def sprite_sheet(request, version: str, kind: str, ratio: str | None = None):
    """The kinds' symbols, the same for everyone. The version in the address is the symbols'
    own digest: an address stays valid for good, and a style of an earlier release still gets
    symbols, only not cached."""
    png, index = sprite.sprite(2 if ratio else 1)
    if kind == "png":
        response = HttpResponse(png, content_type="image/png")
    else:
        response = HttpResponse(index, content_type="application/json")
    current = version == sprite.version()
    response["Cache-Control"] = "public, max-age=31536000, immutable" if current else "no-cache"
    return response


@password_refused
@require_safe
def tilejson(request, slug: str, layer: str):
    access = styles.access_or_404(request, slug)
    if layer_forbidden(access, layer):
        return forbidden()
    try:
        return JsonResponse(styles.tilejson(request, access, LAYERS[layer]))
    except FilterError as error:
        return bad_request(error.errors)


@password_refused
@require_safe
def style(request, slug: str):
    access = styles.access_or_404(request, slug)
    try:
        return JsonResponse(styles.style(request, access))
    except FilterError as error:
        return bad_request(error.errors)


def layer_forbidden(access, layer: str) -> bool:
    mode = layer_mode(layer, access, MAX_ZOOM)
    if mode == HIDDEN:
        raise Http404(_("No such area."))
    return mode == FORBIDDEN
