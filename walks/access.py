"""Who may see a walk and who may capture on it.

- A walk of an area the user may not see at all answers 404 (its existence is not revealed),
  except to those who took part in it (participants, former participants, authors of its
  findings) and have since left the area: they knew the walk, and are told (403) that they are
  no longer on it, so a tablet of theirs that still holds findings says so instead of retrying
  against a walk that seems gone.
- Planners, coordinators and analysts (who see the area's layers) see every walk of the area;
  participants see the walks they belong to, and only those they belong to.
- Only the walk's own participants capture on it (403 for everyone else in the area). Those who
  plan the area's walks may preview the capture app (capture_access): they see it as the
  participants will, and it stores and sends nothing (the server refuses their sync as ever).
- A finding is deleted or edited by the area's coordinators (moderation), or withdrawn or
  corrected by its author while the walk is still open (a wrong tap on the tablet), who may also
  remove a photo of it; once the walk is done its findings are its record (409).
"""

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status
from rest_framework.exceptions import APIException, NotAuthenticated, NotFound, PermissionDenied

from geo.access import CAPABILITIES, Access, access_for
from walks.models import Observation, Photo, Walk


class WalkClosed(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy(
        "The walk is done and its findings are its record: ask a coordinator to delete this one."
    )


def sees_all_walks(access: Access) -> bool:
    # By the role's own capabilities: a published area lends everyone, its participants
    # included, the public "view_layers" for aggregates only, and walks are raw data (the
    # notes of other walks among them).
    return access.is_superuser or "view_layers" in CAPABILITIES.get(access.role, ())


def is_participant(user, walk: Walk) -> bool:
    if not user.is_authenticated:
        return False
    cache = user.__dict__.setdefault("_trygg_walks", {})
    if walk.pk not in cache:
        cache[walk.pk] = walk.participants.filter(pk=user.pk).exists()
    return cache[walk.pk]


def took_part(user, walk: Walk) -> bool:
    """Whether `user` is or was on the walk: a participant (those who leave an area stay on
    its walks that are done), one taken off it while it was open, or an author of its findings."""
    if not user.is_authenticated:
        return False
    return (
        is_participant(user, walk)
        or walk.former_participants.filter(pk=user.pk).exists()
        or walk.observations.filter(author=user).exists()
    )


def walk_access(
    user,
    walk_id: int,
    *,
    capture: bool = False,
    unseen: str = "No such walk.",
    known: bool | None = None,
) -> tuple[Walk, Access]:
    """`unseen`: what a user of another area is told, as for a thing that does not exist (a
    photo's "No such photo.", not "No such walk.", which would say that the photo exists).
    `known`: whether a former participant may learn that the thing asked for is of this walk
    (a 403 instead of `unseen`); by default only when the thing is the walk itself."""
    walk = get_object_or_404(Walk.objects.select_related("area"), pk=walk_id)
    access = access_for(user, walk.area)
    if not access.can("view_area"):
        if (unseen == "No such walk." if known is None else known) and took_part(user, walk):
            raise PermissionDenied(
                _("You are no longer on this walk or in its area: ask your coordinator.")
            )
        raise NotFound(_(unseen))  # one of config.errors.HIDDEN_AS
    if not user.is_authenticated:
        raise NotAuthenticated(_("Log in to see walks."))
    participant = is_participant(user, walk)
    if capture and not (participant or access.is_superuser):
        raise PermissionDenied(_("Only the walk's participants capture observations on it."))
    if not (participant or sees_all_walks(access)):
        raise PermissionDenied(_("You are not a participant of this walk."))
    return walk, access


def capture_access(user, walk_id: int, *, preview: bool = False) -> tuple[Walk, Access, bool]:
    """Who may open a walk's capture app, and whether as a preview (the third value). Its
    participants capture, a preview asked for or not. With `preview`, those who plan the area's
    walks see the app as its participants will, before the evening, without being on the walk;
    anyone else gets the capture page's own answer, as without it."""
    try:
        return (*walk_access(user, walk_id, capture=True), False)
    except PermissionDenied:
        if not preview:
            raise
        # Refused only after the walk and the area were found visible (else a NotFound).
        walk = Walk.objects.select_related("area").get(pk=walk_id)
        access = access_for(user, walk.area)
        if not access.can("plan_walks"):
            raise
        return walk, access, True


@contextmanager
def _page_refusals():
    """A page's refusals: Django's 404 page or 403 instead of the API's JSON answers."""
    try:
        yield
    except APIException as refusal:
        if refusal.status_code == 404:
            raise Http404(str(refusal.detail)) from None
        raise DjangoPermissionDenied(str(refusal.detail)) from None


def page_walk_access(request, walk_id: int, *, capture: bool = False) -> tuple[Walk, Access]:
    """walk_access for a page."""
    with _page_refusals():
        return walk_access(request.user, walk_id, capture=capture)


def page_capture_access(request, walk_id: int, *, preview: bool) -> tuple[Walk, Access, bool]:
    """capture_access for a page."""
    with _page_refusals():
        return capture_access(request.user, walk_id, preview=preview)


def _moderator_or_author(
    user, observation: Observation, *, unseen: str, refusal: str, closed: str | None = None
) -> bool:
    """True if `user` moderates `observation`'s area (its coordinators, at any time), False if it
    is its author, still on the walk, while the walk is open (409, saying `closed`, once it is
    done). Anyone else is refused with `refusal`."""
    # Its author, if no longer on the walk, is told so (their tablet may still send changes).
    walk, access = walk_access(
        user,
        observation.walk_id,
        unseen=unseen,  # "No such walk." would say the finding exists
        known=observation.author_id == getattr(user, "pk", None),
    )
    if access.can("manage_area"):
        return True
    if observation.author_id != user.pk or not is_participant(user, walk):
        raise PermissionDenied(refusal)
    if not walk.is_open:
        raise WalkClosed(closed)
    return False


def deletion_of(user, observation: Observation) -> str:
    """How `user` may delete `observation`, as the audit log names it: a coordinator's
    deletion, or its author's withdrawal while the walk is open. Anyone else is refused."""
    refusal = _(
        "Only the area's coordinators delete findings; authors withdraw their own while"
        " the walk is open."
    )
    moderates = _moderator_or_author(
        user, observation, unseen="No such observation.", refusal=refusal
    )
    return "observation.delete" if moderates else "observation.withdraw"


def correction_of(user, observation: Observation) -> str:
    """How `user` may correct `observation` (its kind, answers, note or shape), as the audit log
    names it: a coordinator's edit (a name taken out of a note instead of the whole finding
    deleted), or its author's correction while the walk is open, by the rule of withdrawals."""
    refusal = _(
        "Only a finding's author corrects it, while the walk is open; coordinators edit any."
    )
    closed = _(
        "The walk is done and its findings are its record: ask a coordinator to change this one."
    )
    moderates = _moderator_or_author(
        user, observation, unseen="No such observation.", refusal=refusal, closed=closed
    )
    return "observation.edit" if moderates else "observation.correct"


def photo_removal_of(user, photo: Photo) -> str:
    """How `user` may delete `photo`: a coordinator's deletion (a face, a number plate), or
    the removal by the author of its finding while the walk is open (the wrong photo)."""
    refusal = _(
        "Only the area's coordinators delete photos; authors remove their own while the walk"
        " is open."
    )
    closed = _(
        "The walk is done and its photos are its record: ask a coordinator to delete this one."
    )
    moderates = _moderator_or_author(
        user, photo.observation, unseen="No such photo.", refusal=refusal, closed=closed
    )
    return "photo.delete" if moderates else "photo.remove"
