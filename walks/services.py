"""Multi-step writes of the walks app: planning walks, syncing observations, storing photos."""

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

import shapely
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from geo.models import Area
from geo.services import audit_record, data_version_bump
from walks import sql
from walks.models import FollowUp, Observation, ObservationKind, Photo, Walk, WalkStatus
from walks.photos import photo_prepare
from walks.validation import AreaFrame, ItemErrors, ObservationChecker, clock_offset

SYNC_MAX_ITEMS = 500
# A finding captured up to this long after its walk was marked done is still the walk's: the
# last one is often saved as the coordinator closes the walk, and tablets' clocks drift.
CLOSE_GRACE = timedelta(minutes=15)
# A walk may start earlier than planned, not a day earlier: a finding captured before that is
# a tablet's wrong clock.
EARLY_LIMIT = timedelta(days=1)


@dataclass
class SyncResult:
    index: int
    client_id: str | None
    status: str  # created | duplicate | rejected
    id: int | None = None
    errors: dict | None = None

    def as_dict(self) -> dict:
        out = {"index": self.index, "client_id": self.client_id, "status": self.status}
        if self.id is not None:
            out["id"] = self.id
        if self.errors:
            out["errors"] = self.errors
        return out


def kinds_for(area: Area) -> dict[str, ObservationKind]:
    """Kind code → kind: the built-in taxonomy plus the area's own (which win on a clash)."""
    kinds = ObservationKind.objects.of_area(area)
    return {kind.code: kind for kind in sorted(kinds, key=lambda k: k.area_id is not None)}


def observations_sync(*, walk: Walk, author, items: list, sent_at=None) -> list[SyncResult]:
    """Store each valid, not yet stored item exactly once; one result per item, in order.

    Valid items are stored even when others are rejected; each item is one row, so none is ever
    half-stored. Retries and concurrent identical batches are settled by the unique client_id
    index (see walks.sql), not by looking first.
    """
    if not isinstance(items, list):
        raise ValidationError({"observations": _("Send a list of observations.")})
    if len(items) > SYNC_MAX_ITEMS:
        raise ValidationError(
            {
                "observations": _("At most %(max)s observations per request; got %(n)s.")
                % {"max": SYNC_MAX_ITEMS, "n": len(items)}
            }
        )
    now = timezone.now()
    checker = ObservationChecker(
        frame=AreaFrame.for_area(walk.area),
        kinds=kinds_for(walk.area),
        now=now,
        clock_offset=clock_offset(sent_at, now),  # a tablet whose clock is wrong
    )
    batch = _batch_sort(walk, items, checker.clean_batch(items))

    with transaction.atomic():
        # Held until the commit: a walk deleted meanwhile answers 404, as it will from now on
        # (a deletion that came first is seen here; one that comes after waits, then finds
        # the walk's new findings and keeps the walk).
        if not sql.walk_hold(walk.pk):
            raise Http404(_("No such walk."))
        inserted = sql.observations_insert(
            walk_id=walk.pk, author_id=getattr(author, "pk", None), items=batch.fresh
        )
        already = sql.observations_stored(
            [item.client_id for item in batch.valid() if item.client_id not in inserted]
        )
        if inserted:
            data_version_bump(area=walk.area, layers=["observations"])
            # The first finding says the walk is under way: every page showed it as planned
            # until a coordinator marked it done. A change of the walk (its version): a
            # planner's page still holding it as planned cannot put that back unseen.
            Walk.objects.filter(pk=walk.pk, status=WalkStatus.PLANNED).update(
                status=WalkStatus.WALKING, version=F("version") + 1
            )

    _stored_settle(batch, walk, inserted, already)
    _repeats_settle(batch)
    return batch.results


@dataclass
class _Batch:
    """A sync's items sorted before the insert: a result for each (`pending` until settled),
    and the first valid occurrence of each client_id, either to store (`fresh`) or not the
    walk's (`outside`, with `why_not`)."""

    results: list[SyncResult] = field(default_factory=list)
    first_of: dict = field(default_factory=dict)  # client_id → index of its first occurrence
    # index of a repeat → index of that first occurrence (by position: the echoed client_id
    # may not be text)
    repeat_of: dict[int, int] = field(default_factory=dict)
    fresh: list = field(default_factory=list)
    outside: list = field(default_factory=list)
    why_not: dict[int, str] = field(default_factory=dict)  # item index → why

    def valid(self) -> list:
        return [*self.fresh, *self.outside]


def _batch_sort(walk: Walk, raw_items: list, cleaned: list) -> _Batch:
    batch = _Batch()
    closed = walk.closed_since()
    for index, (raw, item) in enumerate(zip(raw_items, cleaned, strict=True)):
        if isinstance(item, ItemErrors):
            raw_id = raw.get("client_id") if isinstance(raw, dict) else None
            batch.results.append(
                SyncResult(index, _as_text(raw_id), "rejected", errors=item.errors)
            )
            continue
        # Echoed as sent (a client matching answers by string may write it in capitals).
        batch.results.append(SyncResult(index, _as_text(raw.get("client_id")), "pending"))
        if item.client_id in batch.first_of:
            batch.repeat_of[index] = batch.first_of[item.client_id]
            continue
        batch.first_of[item.client_id] = index
        why = _not_of_the_walk(walk, closed, item.captured_at)
        if why:
            batch.outside.append(item)
            batch.why_not[item.index] = why
        else:
            batch.fresh.append(item)
    return batch


def _stored_settle(batch: _Batch, walk: Walk, inserted: dict, already: dict) -> None:
    """The results of the first occurrences: created now, stored before, or refused."""
    for item in batch.valid():
        result = batch.results[item.index]
        if item.client_id in inserted:
            result.status, result.id = "created", inserted[item.client_id]
            continue
        stored_id, stored_walk = already.get(item.client_id, (None, None))
        if stored_walk == walk.pk:  # a retry of what was stored before the walk closed
            result.status, result.id = "duplicate", stored_id
        elif stored_id is None:
            result.status = "rejected"
            result.errors = {"captured_at": [batch.why_not[item.index]]}
        else:
            result.status = "rejected"
            result.errors = {
                "client_id": [
                    _("This client_id is already used by an observation of another walk.")
                ]
            }


def _repeats_settle(batch: _Batch) -> None:
    """A repeat of an earlier item of the batch answers as that item did."""
    for result in batch.results:
        if result.status == "pending":
            first = batch.results[batch.repeat_of[result.index]]
            result.status, result.id, result.errors = (
                ("duplicate", first.id, None) if first.id else ("rejected", None, first.errors)
            )


def _not_of_the_walk(walk: Walk, closed, captured_at) -> str | None:
    """Why a finding captured at `captured_at` is not the walk's, or None. A tablet that was
    offline when the walk closed still brings what it captured during the walk; one whose clock
    was reset (1970, a year off) would put its findings out of order in the walk's report."""
    if closed is not None and captured_at > closed + CLOSE_GRACE:
        return _(
            "The walk was marked done at %(time)s and this finding was captured after that; "
            "ask a coordinator to reopen the walk if it belongs to it."
        ) % {"time": _local(closed)}
    if captured_at < walk.starts_at - EARLY_LIMIT:
        return _(
            "captured_at (%(captured)s) is long before the walk starts (%(starts)s); check the "
            "tablet's date and time."
        ) % {"captured": _local(captured_at), "starts": _local(walk.starts_at)}
    return None


def _local(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _as_text(value) -> str | None:
    return value if isinstance(value, str) else None


def _participants(area: Area, usernames) -> list:
    """Users named for a walk; each must be a member of its area."""
    User = get_user_model()
    users = list(User.objects.filter(username__in=usernames, memberships__area=area))
    missing = sorted(set(usernames) - {u.username for u in users})
    if missing:
        raise ValidationError(
            {
                "participants": _("Not members of %(area)s: %(names)s.")
                % {"area": area.name, "names": ", ".join(missing)}
            }
        )
    return users


def _route_check(area: Area, route) -> None:
    if route is None:
        return
    [problem] = AreaFrame.for_area(area).problems([shapely.from_wkb(bytes(route.wkb))])
    if problem:
        raise ValidationError({"route": problem})


def _clean(walk: Walk) -> None:
    # Without a route, the route's validity constraint is not checked in Python: GeoDjango's
    # isvalid lookup fails on None (a 500 for every walk planned without one). PostgreSQL
    # still checks it, and a route given was checked by _route_check.
    walk.full_clean(exclude=["participants"] + (["route"] if walk.route is None else []))


@transaction.atomic
def walk_create(*, area: Area, participants=(), **fields) -> Walk:
    _route_check(area, fields.get("route"))
    walk = Walk(area=area, **fields)
    _clean(walk)
    walk.save()
    walk.participants.set(_participants(area, participants))
    data_version_bump(area=area, layers=["walks"])
    return walk


class WalkChanged(Exception):
    """The walk changed after the version a change was made against: someone else's change,
    which this one would undo. `walk` is the walk as it is now (its current version)."""

    def __init__(self, walk: Walk):
        super().__init__(walk.pk)
        self.walk = walk


def _walk_locked(walk: Walk, versions) -> Walk:
    """The walk read anew and locked until the commit, if it is still one of `versions` (None:
    any). The version is checked and changed under the lock: of two changes made against the
    same version, the second waits for the first and then finds the walk changed."""
    locked = Walk.objects.select_for_update().filter(pk=walk.pk).first()
    if locked is None:  # deleted meanwhile
        raise Http404(_("No such walk."))
    if versions is not None and locked.version not in versions:
        raise WalkChanged(locked)
    return locked


@transaction.atomic
def walk_update(*, walk: Walk, versions=None, participants=None, **fields) -> Walk:
    """Change a walk. `versions`: those it may be at (the request's If-Match), else the change
    is refused (WalkChanged); None changes it whatever its version."""
    walk = _walk_locked(walk, versions)
    # Read before the change: a request that marks the walk done and takes people off it at
    # once takes them off a walk that was under way.
    was_open = walk.is_open
    if "route" in fields:
        _route_check(walk.area, fields["route"])
    for name, value in fields.items():
        setattr(walk, name, value)
    _clean(walk)
    walk.version += 1
    walk.save()
    if participants is not None:
        chosen = _participants(walk.area, participants)
        if was_open:
            # Taken off a walk still under way: their tablet may hold findings of it.
            walk.former_participants.add(*walk.participants.exclude(pk__in=[u.pk for u in chosen]))
        walk.former_participants.remove(*chosen)
        walk.participants.set(chosen)
    data_version_bump(area=walk.area, layers=["walks"])
    return walk


@transaction.atomic
def walk_delete(*, walk: Walk, versions=None) -> None:
    """Delete a walk planned by mistake. A walk with findings is kept: what residents recorded
    is not thrown away with a click (a coordinator deletes findings one by one, audited).
    `versions` as for walk_update: a walk changed since it was read is not deleted unseen."""
    walk = _walk_locked(walk, versions)
    if walk.observations.exists():
        raise ValidationError(
            {"walk": _("This walk has findings and is kept. Mark it done instead.")}
        )
    walk.delete()
    data_version_bump(area=walk.area, layers=["walks"])


def photo_store(*, observation: Observation, upload) -> tuple[Photo, bool]:
    """Store an uploaded photo re-encoded without metadata; (photo, created).

    The same bytes uploaded twice for one observation (a retried upload) give the stored photo.
    """
    raw = upload.read()
    digest = hashlib.sha256(raw).hexdigest()
    existing = Photo.objects.filter(observation=observation, sha256=digest).first()
    if existing:
        return existing, False
    prepared = photo_prepare(raw)
    stem = f"{observation.client_id}-{digest[:12]}"
    photo = Photo(
        observation=observation, width=prepared.width, height=prepared.height, sha256=digest
    )
    photo.image.save(f"{stem}.{prepared.extension}", ContentFile(prepared.image), save=False)
    photo.thumbnail.save(
        f"{stem}-thumb.{prepared.extension}", ContentFile(prepared.thumbnail), save=False
    )
    try:
        with transaction.atomic():
            photo.save()
            data_version_bump(area=observation.walk.area, layers=["observations"])
    except IntegrityError:
        # A concurrent retry stored the same bytes first (keep theirs), or a coordinator deleted
        # the finding while its photo was being prepared; either way our files go.
        photo.image.delete(save=False)
        photo.thumbnail.delete(save=False)
        stored = Photo.objects.filter(observation=observation, sha256=digest).first()
        if stored is None:
            raise Http404(_("No such observation.")) from None
        return stored, False
    return photo, True


def observation_delete(*, observation: Observation, user, action="observation.delete") -> None:
    """Delete a finding with its photos (a note naming a person, a photo showing a face, a
    test entry, a wrong tap its author withdraws). The audit entry (`action`) records who
    deleted what kind of finding, not its content."""
    walk = observation.walk
    with transaction.atomic():
        audit_record(
            user=user,
            area=walk.area,
            action=action,
            detail={
                "observation": observation.pk,
                "walk": walk.pk,
                "kind": observation.kind.code,
                "photos": observation.photos.count(),
            },
        )
        observation.delete()  # its photos' files go after the commit (photo_files_delete)
        data_version_bump(area=walk.area, layers=["observations"])


def photo_delete(*, photo: Photo, user, action="photo.delete") -> None:
    """Delete one photo of a finding: a coordinator's deletion (a face), or its finding's author
    removing the wrong one (`action` "photo.remove")."""
    area = photo.observation.walk.area
    with transaction.atomic():
        audit_record(
            user=user,
            area=area,
            action=action,
            detail={"photo": photo.pk, "observation": photo.observation_id},
        )
        photo.delete()  # its files go after the commit (photo_files_delete)
        data_version_bump(area=area, layers=["observations"])


def observation_correct(
    *, observation: Observation, user, changes, action="observation.correct"
) -> list[str]:
    """Correct a stored finding: any of its kind, geometry, severity, feeling and note, as its
    author answered them wrongly or a coordinator edits them. `changes` is unchecked (the
    request's fields): checked here as the sync checks them, against the finding as stored now,
    and refused whole (ValidationError) when anything is wrong. Returns the fields that changed;
    a correction sent again (a tablet retrying a lost answer) changes nothing, audits nothing and
    leaves the map's version as it was. When, where and by whom it was captured stay; so does
    its follow-up, which is the coordinators' (a correction after it keeps both, and the audit
    log shows which came first). The audit entry names the fields changed, never their values
    (a note may name someone): the kind is no secret and is kept, before and after."""
    walk = observation.walk
    checker = ObservationChecker(frame=AreaFrame.for_area(walk.area), kinds=kinds_for(walk.area))
    with transaction.atomic():
        # Locked and read anew: two corrections at once are made one after the other, each
        # checked against what the other left (a new kind must fit the shape stored now).
        stored = (
            Observation.objects.select_for_update(of=("self",))
            .select_related("kind")
            .filter(pk=observation.pk)
            .first()
        )
        if stored is None:
            raise Http404(_("No such observation."))
        try:
            values = checker.clean_correction(
                changes, kind=stored.kind, shape=shapely.from_wkb(bytes(stored.geom.ewkb))
            )
        except ItemErrors as refused:
            raise ValidationError(refused.errors) from None
        kind_before = stored.kind.code
        changed = _corrected(stored, values)
        if changed:
            audit_record(
                user=user,
                area=walk.area,
                action=action,
                detail={
                    "observation": stored.pk,
                    "walk": walk.pk,
                    "kind": kind_before,
                    "to_kind": stored.kind.code,
                    "fields": changed,
                },
            )
            stored.save(update_fields=[CORRECTED_COLUMNS.get(name, name) for name in changed])
            data_version_bump(area=walk.area, layers=["observations"])
    observation.refresh_from_db()
    return changed


# The model's name of a correction's field, where the API's differs.
CORRECTED_COLUMNS = {"geometry": "geom"}


def _corrected(stored: Observation, values: dict) -> list[str]:
    """Set `values` (checked) on `stored`; the names of the fields whose value they change."""
    changed = []
    for name, value in values.items():
        if name == "geometry":
            value = GEOSGeometry(memoryview(value))
            same = stored.geom.equals_exact(value, 0) and stored.geom.geom_type == value.geom_type
        else:
            same = getattr(stored, name) == value
        if not same:
            setattr(stored, CORRECTED_COLUMNS.get(name, name), value)
            changed.append(name)
    return changed


def photo_files_delete(sender, instance, using, **kwargs) -> None:
    """post_delete of a photo, however it is deleted (a coordinator, its finding withdrawn,
    the admin deleting it or its walk or area): its files go once the deletion commits, and
    stay if it rolls back. A photo showing a face must not outlive its row on disk."""
    image, thumbnail = instance.image, instance.thumbnail

    def remove():
        image.delete(save=False)
        thumbnail.delete(save=False)

    transaction.on_commit(remove, using=using)


def observation_follow_up_set(
    *, observation: Observation, follow_up: str, note: str = "", user=None
) -> None:
    """Record where a finding stands after the walk (open, reported, fixed, no action), by whom;
    the audit log keeps each change (states only: the note may name officials)."""
    if follow_up not in FollowUp.values:
        raise ValidationError(
            {"follow_up": _("Use one of %(values)s.") % {"values": ", ".join(FollowUp.values)}}
        )
    if len(note) > 1000:
        raise ValidationError({"follow_up_note": _("At most 1,000 characters.")})
    with transaction.atomic():
        # Locked and read anew: two people recording at once each get the other's state as
        # their "from" (the history stays a chain), and a finding deleted meanwhile is a 404.
        stored = Observation.objects.select_for_update().filter(pk=observation.pk).first()
        if stored is None:
            raise Http404(_("No such observation."))
        audit_record(
            user=user,
            area=observation.walk.area,
            action="observation.follow_up",
            detail={
                "observation": observation.pk,
                "walk": observation.walk_id,
                "from": stored.follow_up,
                "to": follow_up,
            },
        )
        observation.follow_up, observation.follow_up_note = follow_up, note.strip()
        observation.follow_up_at = timezone.now()
        observation.follow_up_by = user if user is not None and user.is_authenticated else None
        observation.save(
            update_fields=["follow_up", "follow_up_note", "follow_up_at", "follow_up_by"]
        )
        data_version_bump(area=observation.walk.area, layers=["observations"])
