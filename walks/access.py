"""Who may see a walk and who may capture on it.

- A walk of an area the user may not see at all answers 404 (its existence is not revealed).
- Planners, coordinators and analysts (who see the area's layers) see every walk of the area;
  participants see the walks they belong to, and only those they belong to.
- Only the walk's own participants capture on it (403 for everyone else in the area).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from rest_framework.exceptions import APIException, NotAuthenticated, NotFound, PermissionDenied

from geo.access import Access, access_for
from walks.models import Walk


def sees_all_walks(access: Access) -> bool:
    # A published area lends the public "view_layers" for aggregates only; walks are raw data.
    return access.is_superuser or (access.role is not None and access.can("view_layers"))


def is_participant(user, walk: Walk) -> bool:
    if not user.is_authenticated:
        return False
    cache = user.__dict__.setdefault("_trygg_walks", {})
    if walk.pk not in cache:
        cache[walk.pk] = walk.participants.filter(pk=user.pk).exists()
    return cache[walk.pk]


def walk_access(user, walk_id: int, *, capture: bool = False) -> tuple[Walk, Access]:
    walk = get_object_or_404(Walk.objects.select_related("area"), pk=walk_id)
    access = access_for(user, walk.area)
    if not access.can("view_area"):
        raise NotFound("No such walk.")
    if not user.is_authenticated:
        raise NotAuthenticated("Log in to see walks.")
    participant = is_participant(user, walk)
    if capture and not (participant or access.is_superuser):
        raise PermissionDenied("Only the walk's participants capture observations on it.")
    if not (participant or sees_all_walks(access)):
        raise PermissionDenied("You are not a participant of this walk.")
    return walk, access


def page_walk_access(request, walk_id: int, *, capture: bool = False) -> tuple[Walk, Access]:
    """walk_access for a page: Django's 404 page or 403 instead of the API's JSON answers."""
    try:
        return walk_access(request.user, walk_id, capture=capture)
    except APIException as refusal:
        if refusal.status_code == 404:
            raise Http404(str(refusal.detail)) from None
        raise DjangoPermissionDenied(str(refusal.detail)) from None
