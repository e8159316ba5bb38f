"""API errors: every refusal is a 4xx naming the field and the reason, never a 500."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
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
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith(JSON_PREFIXES):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return page_not_found(request, exception)
