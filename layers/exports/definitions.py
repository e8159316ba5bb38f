"""The exportable layers of an area, with stable attribute names (documented in docs/exports.md).

Each layer is a queryset reduced to `.values()` with the columns `a_fid` (feature id), `a_geom`
(WGS 84) and `a_<attribute>` per attribute; `layers.exports.sql` wraps the compiled query so
PostGIS itself writes GeoJSON, WKT or WKB. The `a_` prefix keeps the column names clear of the
models' own field names. Privacy follows geo.access: a layer needs its capability, and the
numbers of small aggregates are removed for everyone who may not see crime points.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.db.models.functions import Transform
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    F,
    FilteredRelation,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Substr

from geo.access import Access
from geo.models import Area, Block
from layers.analysis.results import (
    analysis_shown,
    figures_withheld,
    shown_count_expression,
    shown_value_expression,
    suppression_threshold,
)
from layers.exports.crimecounts import crime_in_filters, with_crime_counts
from layers.exports.filters import Filters
from layers.models import CrimeIncident, Lamp
from walks.access import sees_all_walks
from walks.models import Observation, Photo, Walk, block_of_observation, observations_matching

SIGHTLINE_KIND = "blocked_sightline"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str  # int, float, str, bool, date, datetime
    description: str

    def __post_init__(self):
        # Attribute names are written into SQL as identifiers and JSON keys, so keep them plain.
        if not _NAME.match(self.name) or self.type not in TYPES:
            raise ValueError(f"bad attribute {self.name!r} of type {self.type!r}")


TYPES = {"int", "float", "str", "bool", "date", "datetime"}


@dataclass(frozen=True)
class Layer:
    name: str
    title: str
    description: str
    capability: str
    geometry_type: str  # for GDAL: Point, LineString, MultiPolygon or Unknown (mixed)
    attributes: tuple[Attribute, ...]
    build: Callable[[Area, Filters, Access], QuerySet] = field(repr=False)
    id_type: str = "int"
    temporal: str | None = None  # what `from`/`to`/`datetime` filter, if anything
    uses_kind: bool = False
    uses_category: bool = False
    uses_walk: bool = False  # `walk` picks walks by id (their findings, or their routes)

    def visible_to(self, access: Access) -> bool:
        return access.can(self.capability)

    def queryset(self, area: Area, filters: Filters, access: Access) -> QuerySet:
        return self.build(area, filters, access)


def _hidden(count: F, access: Access) -> Q | None:
    """When a per-block count is hidden from this user, by the rule the analysis API uses: below
    TRYGG_MIN_AGGREGATE_COUNT for everyone but analysts (docs/privacy.md). Zero is below it too,
    so an empty value never tells "none" from "one or two". None: nothing is hidden."""
    threshold = suppression_threshold(access)
    return None if threshold is None else Q(**{f"{count.name}__lt": threshold})


def _suppressed(count: F, access: Access, value=None):
    """`value` (default: the count itself) as this user may see it: for everyone but analysts,
    empty where the count is hidden and otherwise from the count rounded to 5
    (layers/analysis/results.py, ROUNDED_TO)."""
    threshold = suppression_threshold(access)
    if value is None:
        return shown_count_expression(count, threshold)
    return shown_value_expression(value, count, threshold)


def _period(qs: QuerySet, column: str, filters: Filters) -> QuerySet:
    if filters.start:
        qs = qs.filter(**{f"{column}__gte": filters.start})
    if filters.end:
        qs = qs.filter(**{f"{column}__lte": filters.end})
    return qs


def _in_bbox(qs: QuerySet, filters: Filters, column: str = "geom") -> QuerySet:
    return qs.filter(**{f"{column}__intersects": filters.bbox}) if filters.bbox else qs


RESULT_FIELDS = {
    "crime_value": FloatField(),
    "crime_gi_z": FloatField(),
    "crime_gi_p": FloatField(),
    "crime_gi_p_sim": FloatField(),
    "crime_gi_bin": IntegerField(),
    "insecurity_index": FloatField(),
    "insecurity_gi_z": FloatField(),
    "insecurity_gi_p": FloatField(),
    "insecurity_gi_p_sim": FloatField(),
    "insecurity_gi_bin": IntegerField(),
    "bv_moran_i": FloatField(),
    "bv_moran_p": FloatField(),
}


def _blocks(area: Area, filters: Filters, access: Access) -> QuerySet:
    run = analysis_shown(area)
    blocks = _in_bbox(Block.objects.filter(area=area), filters)
    columns = {"a_fid": F("code"), "a_geom": F("geom"), "a_code": F("code"), "a_name": F("name")}
    columns["a_population"] = F("population")
    if run is None:
        columns["a_run_id"] = Value(None, output_field=IntegerField())
        columns["a_crime_count"] = Value(None, output_field=IntegerField())
        for name, output in RESULT_FIELDS.items():
            columns[f"a_{name}"] = Value(None, output_field=output)
        columns["a_class"] = Value(None, output_field=CharField())
    else:
        blocks = blocks.annotate(r=FilteredRelation("results", condition=Q(results__run=run)))
        count = F("r__crime_count")
        columns["a_run_id"] = Value(run.pk)
        columns["a_crime_count"] = _suppressed(count, access)
        withheld = figures_withheld(access)
        for name, output in RESULT_FIELDS.items():
            shown = Value(None, output_field=output) if name in withheld else F(f"r__{name}")
            columns[f"a_{name}"] = shown
        columns["a_crime_value"] = _suppressed(count, access, F("r__crime_value"))
        columns["a_class"] = F("r__comparison_class")
    return blocks.order_by().values(**columns)


def _observations(area: Area, filters: Filters, access: Access, *, kinds=None) -> QuerySet:
    qs = observations_matching(
        Observation.objects.filter(walk__area=area),
        kinds=kinds or filters.kinds,
        light=filters.light,
        follow_ups=filters.follow_ups,
        walks=filters.walks,
    )
    qs = _in_bbox(_period(qs, "captured_at", filters), filters)
    photos = (
        Photo.objects.filter(observation=OuterRef("pk"))
        .order_by()
        .values("observation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    language = area.default_language if area.default_language in ("en", "sv", "da") else "en"
    # A participant sees the walk layers, not what other walks' people wrote: the notes (and
    # the coordinator's follow-up note, which names who was told) stay with the walks API,
    # which shows a participant their own walks only.
    private = not sees_all_walks(access)
    note = Value("") if private else F("note")
    follow_up_note = Value("") if private else F("follow_up_note")
    return qs.order_by().values(
        a_fid=F("pk"),
        a_geom=F("geom"),
        a_id=F("pk"),
        a_walk_id=F("walk_id"),
        a_walk_name=F("walk__name"),
        a_kind=F("kind__code"),
        a_kind_label=F(f"kind__label_{language}"),
        a_polarity=Case(
            When(kind__positive=True, then=Value("positive")), default=Value("negative")
        ),
        a_geometry_type=Substr(Func(F("geom"), function="ST_GeometryType"), 4),
        a_severity=F("severity"),
        a_feeling=F("feeling"),
        a_note=note,
        a_captured_at=F("captured_at"),
        a_captured_local=_clock_time("captured_at"),
        a_block_code=block_of_observation(area),
        a_accuracy_m=F("accuracy_m"),
        a_light=F("walk__light"),
        a_photo_count=Coalesce(Subquery(photos, output_field=IntegerField()), 0),
        a_follow_up=F("follow_up"),
        a_follow_up_note=follow_up_note,
    )


def _clock_time(field: str) -> Func:
    """`field` as the local clock showed it, as text ("2025-09-05 23:00", the server's time
    zone): what the walk report prints, for a spreadsheet that would otherwise show UTC."""
    local = Func(Value(settings.TIME_ZONE), F(field), function="timezone")
    return Func(local, Value("YYYY-MM-DD HH24:MI"), function="to_char", output_field=CharField())


def _sightlines(area: Area, filters: Filters, access: Access) -> QuerySet:
    srid = area.analysis_srid or 4326
    return _observations(area, filters, access, kinds=(SIGHTLINE_KIND,)).annotate(
        a_length_m=Func(Transform("geom", srid), function="ST_Length", output_field=FloatField())
    )


def _lamps(area: Area, filters: Filters, access: Access) -> QuerySet:
    return (
        _in_bbox(Lamp.objects.filter(area=area), filters)
        .order_by()
        .values(
            a_fid=F("pk"),
            a_geom=F("geom"),
            a_id=F("pk"),
            a_status=F("status"),
            a_height_m=F("height_m"),
            a_lumen=F("lumen"),
            a_source_id=F("source_id"),
        )
    )


def _walks(area: Area, filters: Filters, access: Access) -> QuerySet:
    qs = Walk.objects.filter(area=area, route__isnull=False)
    if filters.light:
        qs = qs.filter(light=filters.light)
    if filters.walks:
        qs = qs.filter(pk__in=filters.walks)
    # A walk is in the period when its time span overlaps it.
    if filters.start:
        qs = qs.filter(
            Q(ends_at__gte=filters.start) | Q(ends_at__isnull=True, starts_at__gte=filters.start)
        )
    if filters.end:
        qs = qs.filter(starts_at__lte=filters.end)
    participants = (
        Walk.participants.through.objects.filter(walk=OuterRef("pk"))
        .order_by()
        .values("walk")
        .annotate(n=Count("pk"))
        .values("n")
    )
    observations = (
        Observation.objects.filter(walk=OuterRef("pk"))
        .order_by()
        .values("walk")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        _in_bbox(qs, filters, "route")
        .order_by()
        .values(
            a_fid=F("pk"),
            a_geom=F("route"),
            a_id=F("pk"),
            a_name=F("name"),
            a_starts_at=F("starts_at"),
            a_ends_at=F("ends_at"),
            a_light=F("light"),
            a_status=F("status"),
            a_participant_count=Coalesce(Subquery(participants, output_field=IntegerField()), 0),
            a_observation_count=Coalesce(Subquery(observations, output_field=IntegerField()), 0),
        )
    )


def _crime_blocks(area: Area, filters: Filters, access: Access) -> QuerySet:
    rate = Case(
        When(population__gt=0, then=Cast(F("n"), FloatField()) * 1000.0 / F("population")),
        default=Value(None, output_field=FloatField()),
    )
    hidden = _hidden(F("n"), access)
    suppressed = Value(False) if hidden is None else Case(When(hidden, then=True), default=False)
    blocks = _in_bbox(Block.objects.filter(area=area), filters)
    return (
        with_crime_counts(blocks, area, filters)
        .order_by()
        .values(
            a_fid=F("code"),
            a_geom=F("geom"),
            a_code=F("code"),
            a_name=F("name"),
            a_population=F("population"),
            a_crime_count=_suppressed(F("n"), access),
            a_crime_per_1000=_suppressed(F("n"), access, rate),
            a_suppressed=Cast(suppressed, BooleanField()),
        )
    )


def _crime(area: Area, filters: Filters, access: Access) -> QuerySet:
    return (
        _in_bbox(crime_in_filters(CrimeIncident.objects.filter(area=area), filters), filters)
        .order_by()
        .values(
            a_fid=F("pk"),
            a_geom=F("geom"),
            a_id=F("pk"),
            a_category=F("category"),
            a_original_category=F("original_category"),
            a_month=F("month"),
            a_occurred_at=F("occurred_at"),
            a_source_dataset=F("source_dataset"),
            a_source_id=F("source_id"),
            a_precision=F("precision"),
            a_reported_block_code=F("reported_block_code"),
        )
    )


A = Attribute
OBSERVATION_ATTRIBUTES = (
    A("id", "int", "Observation id"),
    A("walk_id", "int", "Id of the walk it was captured on"),
    A("walk_name", "str", "Name of that walk"),
    A("kind", "str", "Kind code, e.g. lighting_defect"),
    A("kind_label", "str", "Kind label in the area's language"),
    A("polarity", "str", "negative (a problem) or positive (a safe or meeting place)"),
    A("geometry_type", "str", "Point, LineString or Polygon"),
    A("severity", "int", "1 (minor) … 5 (severe); empty if not given"),
    A("feeling", "int", "How safe it felt: 1 very unsafe … 5 very safe; empty if not given"),
    A("note", "str", "The participant's note"),
    A("captured_at", "datetime", "When it was captured (UTC)"),
    A("captured_local", "str", "The same as the local clock showed it, YYYY-MM-DD hh:mm"),
    A("block_code", "str", "Code of the block it lies in or next to (within about 25–45 m)"),
    A("accuracy_m", "float", "GPS accuracy in metres"),
    A("light", "str", "day or night walk"),
    A("photo_count", "int", "Number of photos"),
    A("follow_up", "str", "open, reported (to who can act), fixed or no_action"),
    A("follow_up_note", "str", "Who was told what, and when"),
)
BLOCK_BASE = (
    A("code", "str", "Block code, unique in the area"),
    A("name", "str", "Block name"),
    A("population", "int", "Residents, if known"),
)

LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in [
        Layer(
            "blocks",
            "Blocks with the analysis the map shows",
            "Every block with the per-block results of the analysis run the area's map shows"
            " (pinned, else the latest finished).",
            "view_layers",
            "MultiPolygon",
            BLOCK_BASE
            + (
                A("run_id", "int", "Analysis run the results come from; empty if none"),
                A("crime_count", "int", "Recorded crimes counted in the block (suppressed if few)"),
                A("crime_value", "float", "Crime measure analysed (count or rate)"),
                A("crime_gi_z", "float", "Getis-Ord Gi* z-score of crime"),
                A("crime_gi_p", "float", "Gi* p-value of crime (normal approximation)"),
                A("crime_gi_p_sim", "float", "Gi* p-value of crime by permutation"),
                A("crime_gi_bin", "int", "Crime hot/cold spot bin: ±3 99 %, ±2 95 %, ±1 90 %, 0"),
                A("insecurity_index", "float", "Perceived insecurity; empty: no evidence"),
                A("insecurity_gi_z", "float", "Gi* z-score of perceived insecurity"),
                A("insecurity_gi_p", "float", "Gi* p-value of perceived insecurity"),
                A("insecurity_gi_p_sim", "float", "The same by permutation"),
                A("insecurity_gi_bin", "int", "Insecurity hot/cold spot bin"),
                A("class", "str", "Comparison class of crime against insecurity"),
                A("bv_moran_i", "float", "Local bivariate Moran's I"),
                A("bv_moran_p", "float", "Its pseudo p-value"),
            ),
            _blocks,
            id_type="str",
        ),
        Layer(
            "observations",
            "Walk observations",
            "What participants captured on safety walks (filter by kind). No names.",
            "view_walk_layers",
            "Unknown",
            OBSERVATION_ATTRIBUTES,
            _observations,
            temporal="captured_at",
            uses_kind=True,
            uses_walk=True,
        ),
        Layer(
            "sightlines",
            "Blocked sightlines",
            "Lines from an observer to what they could not see.",
            "view_walk_layers",
            "LineString",
            OBSERVATION_ATTRIBUTES + (A("length_m", "float", "Length in metres"),),
            _sightlines,
            temporal="captured_at",
            uses_walk=True,
        ),
        Layer(
            "lamps",
            "Street lamps",
            "The lamp inventory.",
            "view_layers",
            "Point",
            (
                A("id", "int", "Lamp id"),
                A("status", "str", "working, broken, dim or unknown"),
                A("height_m", "float", "Mounting height in metres"),
                A("lumen", "int", "Luminous flux"),
                A("source_id", "str", "Id in the source inventory"),
            ),
            _lamps,
        ),
        Layer(
            "walks",
            "Walk routes",
            "Planned routes of the safety walks (walks without a route are left out). No names "
            "of participants, only their number.",
            "view_walk_layers",
            "LineString",
            (
                A("id", "int", "Walk id"),
                A("name", "str", "Walk name"),
                A("starts_at", "datetime", "Start (UTC)"),
                A("ends_at", "datetime", "End (UTC)"),
                A("light", "str", "day or night"),
                A("status", "str", "planned, walking, done or followed_up"),
                A("participant_count", "int", "Number of participants"),
                A("observation_count", "int", "Number of observations captured"),
            ),
            _walks,
            temporal="starts_at/ends_at",
            uses_walk=True,
        ),
        Layer(
            "crime_blocks",
            "Recorded crime per block",
            "Recorded crime counted once per block (inside, else snapped to the nearest block). "
            "Small counts are suppressed for everyone but analysts.",
            "view_layers",
            "MultiPolygon",
            BLOCK_BASE
            + (
                A("crime_count", "int", "Crimes in the block; empty when suppressed"),
                A("crime_per_1000", "float", "Crimes per 1,000 residents; empty if unknown"),
                A("suppressed", "bool", "True when the count is hidden as too small"),
            ),
            _crime_blocks,
            id_type="str",
            temporal="month",
            uses_category=True,
        ),
        Layer(
            "crime",
            "Crime points",
            "Recorded crime incidents where they were recorded. Analysts only.",
            "view_crime_points",
            "Point",
            (
                A("id", "int", "Incident id"),
                A("category", "str", "Normalised category"),
                A("original_category", "str", "Category as published by the source"),
                A("month", "date", "Month (first day)"),
                A("occurred_at", "datetime", "Time, if the source gives it (UTC)"),
                A("source_dataset", "str", "Source dataset"),
                A("source_id", "str", "Id in the source"),
                A("precision", "str", "exact, snapped or block (shifted within its block)"),
                A("reported_block_code", "str", "Block code the source gave, if any"),
            ),
            _crime,
            temporal="month",
            uses_category=True,
        ),
    ]
}
