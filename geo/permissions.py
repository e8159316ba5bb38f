"""DRF permission classes for the roles of DESIGN.md, all backed by geo.access."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.permissions import BasePermission

from geo.access import Access, access_for
from geo.models import Area


def area_access(request, slug: str) -> Access:
    """The requesting user's access to the area named in the URL, cached on the request.

    An area the user may not see at all answers 404, so its existence is not revealed.
    """
    cache = request.__dict__.setdefault("_trygg_access", {})
    if slug not in cache:
        area = get_object_or_404(Area, slug=slug)
        access = access_for(request.user, area)
        if not access.can("view_area"):
            raise Http404(_("No such area."))
        cache[slug] = access
    return cache[slug]


class AreaCapability(BasePermission):
    """Grants the request when the user holds `capability` in the area of the URL's `slug`."""

    capability = "view_area"
    # Lazy: translated into the language of each request, not fixed when the module loads.
    message = gettext_lazy("Your role in this area does not allow this.")

    def has_permission(self, request, view):
        access = area_access(request, view.kwargs["slug"])
        view.access = access
        return access.can(self.capability)


def requires(capability: str) -> type[AreaCapability]:
    """A permission class for one capability, e.g. permission_classes = [requires('import')]."""
    return type(f"Can_{capability}", (AreaCapability,), {"capability": capability})
