"""Request guards that apply to every route."""

from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import patch_cache_control


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
                {"detail": "Query parameters must not contain NUL characters."}, status=400
            )
        return None


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
