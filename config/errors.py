"""Errors: every API refusal is a 4xx naming the field and the reason, never a 500; the pages'
not-found, server-error and stale-form answers are Trygg's own, in the user's language."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler

# get_object_or_404 says "No Area matches the given query." for an id or slug that does not
# exist, while the views say "No such area." for one the user may not see: the difference told
# an outsider which exist. Both now read the views' words.
HIDDEN_AS = {
    "Area": gettext_noop("No such area."),
    "AnalysisRun": gettext_noop("No such analysis."),
    "ImportJob": gettext_noop("No such import."),
    "Walk": gettext_noop("No such walk."),
    "Observation": gettext_noop("No such observation."),
    "Photo": gettext_noop("No such photo."),
}
DJANGO_NOT_FOUND = re.compile(r"^No (\w+) matches the given query\.$")


def api_exception_handler(exc, context):
    if isinstance(exc, Http404):
        found = DJANGO_NOT_FOUND.match(str(exc))
        if found:
            exc = Http404(_(HIDDEN_AS.get(found.group(1), gettext_noop("Not found."))))
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = ValidationError(detail)
    elif isinstance(exc, IntegrityError):
        # A constraint caught what validation missed (e.g. a concurrent duplicate).
        return Response(
            {"detail": _("The change conflicts with stored data and was not applied.")},
            status=status.HTTP_409_CONFLICT,
        )
    return exception_handler(exc, context)


# Machine clients of these prefixes get JSON errors even for URLs that match no route.
JSON_PREFIXES = ("/api/", "/ogc/", "/tiles/")


def not_found(request, exception=None):
    if request.path.startswith(JSON_PREFIXES):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


SERVER_ERROR = gettext_noop("Something went wrong on the server. It is logged; try again shortly.")


def server_error(request):
    """A 500: JSON for machine clients; for people a page that needs nothing that may be what
    failed (templates/500.html reads no session and no database)."""
    if request.path.startswith(JSON_PREFIXES):
        return JsonResponse({"detail": _(SERVER_ERROR)}, status=500)
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    """A form sent from a page older than the last sign-in or sign-out in this browser (the
    token changes then; another tab, or a tablet passed round), or from a browser that keeps
    no cookies: Trygg's page in the user's language, with the way back to the form, instead of
    Django's technical one. Scripts read the token afresh from the cookie, so they never land
    here (and the API's refusals are JSON)."""
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    return render(request, "403_csrf.html", {"back": back}, status=403)
