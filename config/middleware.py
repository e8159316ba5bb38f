"""Request guards that apply to every route."""

from django.http import JsonResponse


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
