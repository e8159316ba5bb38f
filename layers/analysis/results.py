"""Reading stored results the same way everywhere (API, tiles, exports): the latest finished run
of an area, and the small-count suppression of crime aggregates for non-analysts (DESIGN.md)."""

from django.conf import settings
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from geo.access import Access
from geo.models import Area
from layers.models import AnalysisRun, BlockResult, RunStatus

# Per-block fields, named alike in the API, tiles and exports.
BLOCK_FIELDS = (
    "code",
    "crime_count",
    "crime_value",
    "crime_gi_z",
    "crime_gi_p",
    "crime_gi_bin",
    "insecurity_index",
    "insecurity_gi_z",
    "insecurity_gi_p",
    "insecurity_gi_bin",
    "class",
    "bv_moran_i",
    "bv_moran_p",
)


def analysis_latest(area: Area) -> AnalysisRun | None:
    """The most recently finished successful run of the area, or None: the one the map, its
    tiles (tiles/sql.py, in SQL), rasters, exports and walk reports all show."""
    return (
        AnalysisRun.objects.filter(area=area, status=RunStatus.DONE)
        .order_by(F("finished_at").desc(nulls_last=True), "-id")
        .first()
    )


# The four classes comparing recorded crime with perceived insecurity (docs/methods.md).
CLASS_LABELS = {
    "both_high": _("Both high"),
    "fear_exceeds_crime": _("Insecurity exceeds crime"),
    "crime_exceeds_fear": _("Crime exceeds insecurity"),
    "both_low": _("Both low"),
}


def suppression_threshold(access: Access) -> int | None:
    """Crime aggregates of fewer incidents than this are withheld from this user (None: none)."""
    return None if access.sees_crime_points else settings.TRYGG_MIN_AGGREGATE_COUNT


def suppressed(value, count: int, threshold: int | None):
    """`value` (a crime aggregate of `count` incidents) as this user may see it."""
    return None if threshold is not None and count < threshold else value


def block_results(run: AnalysisRun, access: Access, *, geometry: bool = True) -> QuerySet:
    """The run's per-block rows as dicts with BLOCK_FIELDS (+ `geometry` GeoJSON text), crime
    aggregates already suppressed for this user, in block code order."""
    threshold = suppression_threshold(access)
    hidden = Q(crime_count__lt=threshold) if threshold is not None else Q(pk__in=[])
    rows = (
        BlockResult.objects.filter(run=run)
        .annotate(
            code=F("block__code"),
            shown_count=Case(
                When(hidden, then=Value(None)),
                default=F("crime_count"),
                output_field=IntegerField(),
            ),
            shown_value=Case(
                When(hidden, then=Value(None)), default=F("crime_value"), output_field=FloatField()
            ),
        )
        .order_by("block__code")
    )
    if geometry:
        rows = rows.annotate(geometry=AsGeoJSON("block__geom", precision=7))
    names = {
        "crime_count": "shown_count",
        "crime_value": "shown_value",
        "class": "comparison_class",
    }
    columns = [names.get(name, name) for name in BLOCK_FIELDS]
    return rows.values(*columns, *(["geometry"] if geometry else []), "block_id")


def block_properties(row: dict) -> dict:
    """A row of `block_results` → the public property names."""
    return {
        "code": row["code"],
        "crime_count": row["shown_count"],
        "crime_value": row["shown_value"],
        **{
            name: row[name]
            for name in BLOCK_FIELDS
            if name not in {"code", "crime_count", "crime_value", "class"}
        },
        "class": row["comparison_class"] or None,
    }
