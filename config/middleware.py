"""Request guards that apply to every route."""

from django.http import JsonResponse


def reject_nul_in_query(get_response):
    """PostgreSQL text cannot hold a NUL character, so a query parameter with one can never match
    anything and would fail inside the database: answer 400 before any view reads it."""

    def middleware(request):
        if any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return JsonResponse(
                {"detail": "Query parameters must not contain NUL characters."}, status=400
            )
        return get_response(request)

    return middleware
