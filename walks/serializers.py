import re

from django.urls import reverse
from django.utils import timezone
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from config.middleware import etag_uncompressed
from walks.models import OPEN_WALK, FollowUp, Light, Observation, ObservationKind, Walk, WalkStatus
from walks.validation import Rejected, geometry_from_geojson


class ObservationKindSerializer(serializers.ModelSerializer):
    labels = serializers.SerializerMethodField()
    label = serializers.SerializerMethodField()
    polarity = serializers.CharField(read_only=True)
    area = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = ObservationKind
        fields = ["code", "label", "labels", "geometry_types", "polarity", "positive", "area"]

    def get_labels(self, kind) -> dict[str, str]:
        return {"en": kind.label_en, "sv": kind.label_sv, "da": kind.label_da}

    def get_label(self, kind) -> str:
        return kind.label()


@extend_schema_field(OpenApiTypes.OBJECT)
class RouteField(serializers.Field):
    """A walk's planned route: a GeoJSON LineString in WGS 84, or null."""

    def to_internal_value(self, data):
        if data is None:
            return None
        if not isinstance(data, dict) or data.get("type") != "LineString":
            raise serializers.ValidationError(_("The route must be a GeoJSON LineString."))
        try:
            return geometry_from_geojson(data, "route")
        except Rejected as rejection:
            raise serializers.ValidationError(rejection.message) from None

    def to_representation(self, value):
        return {"type": "LineString", "coordinates": [list(c) for c in value.coords]}


def walk_etag(walk: Walk) -> str:
    """The walk's version as a strong HTTP entity tag: its ETag, which a change names in
    If-Match so as not to undo a change made meanwhile."""
    return walk_etag_of(walk.pk, walk.version)


def walk_etag_of(pk: int, version: int) -> str:
    return f'"walk-{pk}-{version}"'


WALK_ETAG = re.compile(r'"walk-(\d+)-(\d+)"')


def walk_versions_held(if_match: str | None, walk: Walk) -> set[int] | None:
    """The versions of `walk` an If-Match header names; None for any (no header, or `*`).
    Strong comparison, as If-Match asks: a weak tag, another walk's or one that is no tag at
    all names none. A compressed answer's tag (config.middleware) names the same version."""
    if if_match is None:
        return None
    tags = parse_etags(if_match)
    if tags == ["*"]:
        return None
    versions = set()
    for tag in tags:
        named = WALK_ETAG.fullmatch(etag_uncompressed(tag))
        if named and int(named[1]) == walk.pk:
            versions.add(int(named[2]))
    return versions


class WalkSerializer(serializers.ModelSerializer):
    """A walk. Participants' names are shown only to those who plan walks (`show_names`)."""

    area = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    route = RouteField(required=False, allow_null=True)
    light = serializers.ChoiceField(choices=Light.choices, required=False)
    status = serializers.ChoiceField(choices=WalkStatus.choices, required=False)
    closed_at = serializers.DateTimeField(read_only=True)
    participants = serializers.ListField(
        child=serializers.CharField(max_length=150), required=False, write_only=True
    )
    participant_names = serializers.SerializerMethodField()
    participant_count = serializers.SerializerMethodField()
    you_participate = serializers.SerializerMethodField()
    observation_count = serializers.IntegerField(read_only=True, default=None)
    capture_url = serializers.SerializerMethodField()
    etag = serializers.SerializerMethodField(
        help_text="the walk's version, as its ETag header: send it as If-Match with a change"
    )

    class Meta:
        model = Walk
        fields = [
            "id",
            "area",
            "name",
            "route",
            "starts_at",
            "ends_at",
            "light",
            "status",
            "closed_at",
            "participants",
            "participant_names",
            "participant_count",
            "you_participate",
            "observation_count",
            "capture_url",
            "etag",
        ]

    def _participant_ids(self, walk) -> list[int]:
        # Read from the prefetch cache so a list costs one query, not one per walk.
        return [user.pk for user in walk.participants.all()]

    def get_participant_names(self, walk) -> list[str] | None:
        if not self.context.get("show_names"):
            return None
        return sorted(user.username for user in walk.participants.all())

    def get_participant_count(self, walk) -> int:
        return len(self._participant_ids(walk))

    def get_you_participate(self, walk) -> bool:
        return self.context["request"].user.pk in self._participant_ids(walk)

    def get_capture_url(self, walk) -> str:
        return reverse("walk-capture", args=[walk.pk])

    def get_etag(self, walk) -> str:
        return walk_etag(walk)

    def validate(self, attrs):
        starts = attrs.get("starts_at", getattr(self.instance, "starts_at", None))
        ends = attrs.get("ends_at", getattr(self.instance, "ends_at", None))
        if starts and ends and ends < starts:
            raise serializers.ValidationError(
                {"ends_at": _("The walk cannot end before it starts.")}
            )
        if "status" in attrs:
            was_open = self.instance is None or self.instance.is_open
            now_open = attrs["status"] in OPEN_WALK
            if was_open != now_open:
                attrs["closed_at"] = None if now_open else timezone.now()
        return attrs


class ObservationSerializer(GeoFeatureModelSerializer):
    """One observation as a GeoJSON Feature. Authors are never named: `mine` tells a
    participant which observations are their own."""

    kind = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kind_label = serializers.SerializerMethodField()
    positive = serializers.BooleanField(source="kind.positive", read_only=True)
    mine = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Observation
        geo_field = "geom"
        fields = [
            "id",
            "client_id",
            "kind",
            "kind_label",
            "positive",
            "severity",
            "feeling",
            "note",
            "captured_at",
            "accuracy_m",
            "mine",
            "photos",
            "follow_up",
            "follow_up_note",
        ]

    def get_kind_label(self, observation) -> str:
        return observation.kind.label()

    def get_mine(self, observation) -> bool:
        return observation.author_id == self.context["request"].user.pk

    def get_photos(self, observation) -> list[dict]:
        return [photo_urls(photo) for photo in observation.photos.all()]


def photo_urls(photo) -> dict:
    return {
        "id": photo.pk,
        "url": reverse("photo-image", args=[photo.pk]),
        "thumbnail_url": reverse("photo-thumbnail", args=[photo.pk]),
        "width": photo.width,
        "height": photo.height,
    }


# Shapes of the sync and photo endpoints, for the OpenAPI schema. The sync view validates items
# itself (walks.validation) because it answers per item instead of failing the whole batch.
class SyncItemSerializer(serializers.Serializer):
    client_id = serializers.UUIDField()
    kind = serializers.CharField()
    geometry = serializers.JSONField(help_text="GeoJSON Point, LineString or Polygon (WGS 84)")
    severity = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    feeling = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    captured_at = serializers.DateTimeField()
    accuracy_m = serializers.FloatField(min_value=0, required=False, allow_null=True)


class CorrectionSerializer(serializers.Serializer):
    """A correction of a stored finding: any of these, as in a sync item (walks.validation
    checks them, as for the sync)."""

    kind = serializers.CharField(required=False)
    geometry = serializers.JSONField(
        required=False, help_text="GeoJSON Point, LineString or Polygon (WGS 84)"
    )
    severity = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    feeling = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class SyncRequestSerializer(serializers.Serializer):
    observations = SyncItemSerializer(many=True)
    sent_at = serializers.DateTimeField(
        required=False,
        help_text="The tablet's clock as it sends; a clock wrong by more than a minute has"
        " every captured_at corrected by the difference.",
    )


class SyncResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    client_id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "duplicate", "rejected"])
    id = serializers.IntegerField(required=False)
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class SyncResponseSerializer(serializers.Serializer):
    results = SyncResultSerializer(many=True)
    walk_open = serializers.BooleanField(
        help_text="whether the walk still takes findings (a capture page open when the walk was"
        " marked done learns it here)"
    )
    created = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()


class PhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    thumbnail_url = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class FollowUpSerializer(serializers.Serializer):
    follow_up = serializers.ChoiceField(choices=FollowUp.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")
