"""Safety walks and what participants capture on them."""

import math
import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.db.models import F, FloatField, Func, OuterRef, Q, Subquery
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from geo.models import Area, Block


class GeometryType(models.TextChoices):
    POINT = "Point", _("Point")
    LINESTRING = "LineString", _("Line")
    POLYGON = "Polygon", _("Area")


class ObservationKindQuerySet(models.QuerySet):
    def of_area(self, area: Area):
        """The kinds a finding in `area` may have: the built-in taxonomy and the area's own."""
        return self.filter(Q(area__isnull=True) | Q(area=area))


class ObservationKind(models.Model):
    """An entry of the observation taxonomy. Built-in kinds have no area; areas may add more."""

    code = models.SlugField(max_length=40)
    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, null=True, blank=True, related_name="extra_kinds"
    )
    label_en = models.CharField(max_length=80)
    label_sv = models.CharField(max_length=80)
    label_da = models.CharField(max_length=80)
    geometry_types = ArrayField(models.CharField(max_length=16, choices=GeometryType.choices))
    positive = models.BooleanField(
        default=False, help_text=_("Positive findings (safe places) are recorded too.")
    )
    sort_order = models.PositiveSmallIntegerField(default=100)

    objects = ObservationKindQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(area__isnull=True), name="builtin_kind_code_unique"
            ),
            models.UniqueConstraint(fields=["area", "code"], name="area_kind_code_unique"),
        ]

    def __str__(self):
        return self.code

    def label(self, language: str | None = None) -> str:
        language = (language or get_language() or "en")[:2]
        return getattr(self, f"label_{language}", None) or self.label_en

    @property
    def polarity(self) -> str:
        return "positive" if self.positive else "negative"


class Light(models.TextChoices):
    DAY = "day", _("Day")
    NIGHT = "night", _("Night")


class WalkStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    WALKING = "walking", _("Walking")
    DONE = "done", pgettext_lazy("walk status", "Done")
    FOLLOWED_UP = "followed_up", _("Followed up")


# How far a finding on a street may lie from the block it is reported in (the walk report, the
# exports, the map's block details), in metres on the ground.
NEAR_BLOCK_M = 30.0


def near_block_box(area: Area) -> float:
    """NEAR_BLOCK_M as a distance in degrees wide enough everywhere in `area`, only to let the
    blocks' spatial index find candidates; the rule itself is then NEAR_BLOCK_M on the
    spheroid. A degree of longitude shrinks towards the poles, so the box follows the area's
    latitude farthest from the equator."""
    if area.boundary is not None:
        south, north = area.boundary.extent[1], area.boundary.extent[3]
        latitude = min(max(abs(south), abs(north)) + 0.5, 89.0)
    else:
        latitude = 89.0
    return 1.05 * NEAR_BLOCK_M / (111_320 * math.cos(math.radians(latitude)))


def block_of_observation(area: Area, value: str = "code") -> Subquery:
    """For a query of findings: the block each lies in or next to (the nearest within
    NEAR_BLOCK_M; of two as near, the lower id, as crime is placed), as the walk report, the
    exports and the map's block details all name it. Most findings are on the street between
    two blocks, not inside one."""
    nearest = (
        Block.objects.filter(area=area, geom__dwithin=(OuterRef("geom"), near_block_box(area)))
        .annotate(away=metres_between(F("geom"), OuterRef("geom")))
        .filter(away__lte=NEAR_BLOCK_M)
        .order_by("away", "id")
        .values(value)[:1]
    )
    return Subquery(nearest)


def metres_between(a, b) -> Func:
    """The distance of two lon/lat geometries in metres on the spheroid."""
    return Func(_Geography(a), _Geography(b), function="ST_Distance", output_field=FloatField())


class _Geography(Func):
    template = "(%(expressions)s)::geography"


# A walk under way or still to come: its participants capture, and withdraw their own findings.
OPEN_WALK = (WalkStatus.PLANNED, WalkStatus.WALKING)


class Walk(models.Model):
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="walks")
    name = models.CharField(max_length=200)
    route = models.LineStringField(srid=4326, null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    light = models.CharField(max_length=8, choices=Light.choices, default=Light.DAY)
    status = models.CharField(max_length=16, choices=WalkStatus.choices, default=WalkStatus.PLANNED)
    # When it was marked done: findings captured later are not accepted (walks.services).
    closed_at = models.DateTimeField(null=True, blank=True)
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="walks", blank=True
    )
    # Those taken off the walk (or out of its area) while it was open: a tablet of theirs
    # that still holds findings is told they are no longer on it (403), not that the walk
    # does not exist (walks.access).
    former_participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="walks_left", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # One more with every change of the walk itself (not of its findings): its ETag, which a
    # planner's change names in If-Match so that it cannot undo another's (walks.services).
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("starts_at")),
                name="walk_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(route__isnull=True) | Q(route__isvalid=True), name="walk_route_valid"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_WALK

    def closed_since(self):
        """When the walk closed (None while it is open). Walks closed before this was recorded
        count from their planned end, if they have one."""
        if self.is_open:
            return None
        return self.closed_at or self.ends_at


class FollowUp(models.TextChoices):
    """Where a finding stands after the walk: the action list the walk's report is handed with."""

    OPEN = "open", _("Open")
    REPORTED = "reported", _("Reported to who can act")
    FIXED = "fixed", _("Fixed")
    NO_ACTION = "no_action", _("No action")


def observations_matching(qs, *, kinds=None, light=None, follow_ups=None, walks=None):
    """`qs` narrowed by the map's observation filters (kind codes, day or night, follow-up
    states, walk ids; None: not filtered), as the exports and the map's block popup apply them
    (the tiles apply the same in SQL, tiles/sql.py). A follow-up filter only matches problems:
    a safe place is recorded, not acted on (as the start page counts what waits)."""
    if kinds:
        qs = qs.filter(kind__code__in=kinds)
    if light:
        qs = qs.filter(walk__light=light)
    if follow_ups:
        qs = qs.filter(follow_up__in=follow_ups, kind__positive=False)
    if walks:
        qs = qs.filter(walk_id__in=walks)
    return qs


class Observation(models.Model):
    walk = models.ForeignKey(Walk, on_delete=models.CASCADE, related_name="observations")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="observations"
    )
    kind = models.ForeignKey(ObservationKind, on_delete=models.PROTECT, related_name="observations")
    geom = models.GeometryField(srid=4326)
    severity = models.PositiveSmallIntegerField(null=True, blank=True)
    feeling = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("1 very unsafe … 5 very safe")
    )
    note = models.TextField(blank=True, max_length=4000)
    captured_at = models.DateTimeField()
    accuracy_m = models.FloatField(null=True, blank=True)
    client_id = models.UUIDField(unique=True, default=uuid.uuid4)
    created_at = models.DateTimeField(auto_now_add=True)
    # Database defaults too: the sync inserts findings with SQL of its own (walks/sql.py).
    follow_up = models.CharField(
        max_length=12, choices=FollowUp.choices, default=FollowUp.OPEN, db_default=FollowUp.OPEN
    )
    follow_up_note = models.TextField(blank=True, max_length=1000, db_default="")
    follow_up_at = models.DateTimeField(null=True, blank=True)
    # Who recorded the latest state (a coordinator or planner); each change is audited too.
    follow_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["captured_at", "id"]
        indexes = [models.Index(fields=["walk", "captured_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__isnull=True) | Q(severity__gte=1, severity__lte=5),
                name="observation_severity_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(feeling__isnull=True) | Q(feeling__gte=1, feeling__lte=5),
                name="observation_feeling_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(accuracy_m__isnull=True) | Q(accuracy_m__gte=0),
                name="observation_accuracy_not_negative",
            ),
            models.CheckConstraint(condition=Q(geom__isvalid=True), name="observation_geom_valid"),
        ]

    def __str__(self):
        return f"{self.kind_id} on walk {self.walk_id}"


class Photo(models.Model):
    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="photos/%Y/%m/")
    thumbnail = models.ImageField(upload_to="photos/%Y/%m/thumbs/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, help_text=_("Of the uploaded bytes, to spot retries."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["observation", "sha256"], name="photo_uploaded_once_per_observation"
            )
        ]
