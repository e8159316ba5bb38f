"""Request guards that apply to every route."""

import re

from django.conf import settings
from django.http import JsonResponse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from isal import igzip, isal_zlib


class RejectNulInQuery:
    """PostgreSQL text cannot hold a NUL character, so a query parameter with one can never match
    anything and would fail inside the database: answer 400 before the view reads it. Checked
    once the URL has resolved, so an unknown path stays a 404."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return JsonResponse(
                {"detail": _("Query parameters must not contain NUL characters.")}, status=400
            )
        return None


class RefusalsInRequestLanguage:
    """Map tiles carry no text, but their refusals do (a bad zoom, a filter, a token, an
    unknown area): those are written in the request's language, as the API's are. Unlike
    Django's LocaleMiddleware this marks only refusals as varying by language, so a cache
    keeps one copy of a tile whatever language its readers speak."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = translation.get_language_from_request(request)
        with translation.override(language):
            response = self.get_response(request)
        if response.status_code >= 400:
            patch_vary_headers(response, ("Accept-Language",))
            response.headers.setdefault("Content-Language", language)
        return response


class TokenRefusedAs401:
    """A bad `Authorization: Token …` on a page or document outside the API (the map, its
    style, TileJSON, a block's figures) answers 401 as the API and the tiles do, not 500: those
    views look the token up themselves (tiles.auth.tile_user) and DRF's exception is theirs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from rest_framework.exceptions import AuthenticationFailed

        if not isinstance(exception, AuthenticationFailed):
            return None
        response = JsonResponse({"detail": str(exception.detail)}, status=401)
        response["WWW-Authenticate"] = "Token"
        return response


class PrivateWhenSignedIn:
    """An answer to a request carrying credentials (a session cookie or an Authorization
    header) is `Cache-Control: private` unless its view chose otherwise: the style, TileJSON,
    the OGC API, pages and API answers differ by who asks, and a shared cache (a proxy of the
    municipality's network) must not hand an analyst's to the next planner. Looks at the
    request's headers only, so it costs no session or user lookup."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        signed = "HTTP_AUTHORIZATION" in request.META or (
            settings.SESSION_COOKIE_NAME in request.COOKIES
        )
        if signed and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True)
        return response


# Data answers worth compressing. Not HTML: a page holds the CSRF token next to text a visitor
# can put there, which is what BREACH reads through compression.
COMPRESSED_TYPES = {
    "application/json",
    "application/geo+json",
    "text/csv",
    "application/vnd.oai.openapi",
    "application/vnd.oai.openapi+json",
}
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
# A compressed answer's strong ETag takes this suffix: its bytes differ from the uncompressed
# answer's, so its tag must too (RFC 9110, 8.8.3). Made weak instead (W/), as Django's
# GZipMiddleware does, it could never match in If-Match, whose comparison is strong: a client
# that accepts gzip (every browser, Python's requests) could then change no walk.
GZIP_ETAG_SUFFIX = "-gzip"


def etag_uncompressed(etag: str) -> str:
    """The strong ETag of the uncompressed answer whose compressed form carries `etag` (`etag`
    itself when it is not such a tag)."""
    compressed_end = GZIP_ETAG_SUFFIX + '"'
    if etag.startswith('"') and etag.endswith(compressed_end):
        return etag.removesuffix(compressed_end) + '"'
    return etag


class CompressData:
    """gzip for JSON, GeoJSON and CSV answers, exports streamed as they are written: the
    blocks of an area, an analysis's results and a month of crime points are 3–10 MB of text
    that shrink seven- to twelvefold. ISA-L at level 1, as for tiles: a tenth of the CPU of
    Django's GZipMiddleware (level 6), so an export's throughput stays what it was."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        kind = response.get("Content-Type", "").split(";")[0].strip()
        if kind not in COMPRESSED_TYPES or response.has_header("Content-Encoding"):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if not ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            return response
        if response.streaming:
            response.streaming_content = _gzipped(response.streaming_content)
            del response["Content-Length"]
        else:
            if len(response.content) < 200:  # as Django: below that, gzip saves nothing
                return response
            response.content = igzip.compress(response.content, compresslevel=1, mtime=0)
            response["Content-Length"] = str(len(response.content))
        etag = response.get("ETag", "")
        if etag.startswith('"'):
            response["ETag"] = etag[:-1] + GZIP_ETAG_SUFFIX + '"'
        response["Content-Encoding"] = "gzip"
        return response


def _gzipped(chunks):
    compressor = isal_zlib.compressobj(1, isal_zlib.DEFLATED, 16 + isal_zlib.MAX_WBITS)
    for chunk in chunks:
        if compressed := compressor.compress(chunk):
            yield compressed
    yield compressor.flush()
