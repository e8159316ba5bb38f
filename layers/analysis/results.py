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


# Figures of the crime around a block. A Gi* z-score (and so its p-value) is an affine function
# of the crime counts of the block and its neighbours, and the bivariate local Moran's I one of
# its neighbours' crime: with every block's figure and the counts that are shown, a suppressed
# neighbour's small count could be solved back. Whoever may not see small counts gets the Gi*
# bins and the class, which answer where to act, instead.
NEIGHBOURHOOD_CRIME_FIGURES = ("crime_gi_z", "crime_gi_p", "bv_moran_i", "bv_moran_p")


def figures_withheld(access: Access) -> tuple[str, ...]:
    """The per-block figures this user may not see (none for analysts)."""
    return () if suppression_threshold(access) is None else NEIGHBOURHOOD_CRIME_FIGURES


def suppressed(value, count: int, threshold: int | None):
    """`value` (a crime aggregate of `count` incidents) as this user may see it."""
    return None if threshold is not None and count < threshold else value


def block_results(run: AnalysisRun, access: Access, *, geometry: bool = True) -> QuerySet:
    """The run's per-block rows as dicts with BLOCK_FIELDS (+ `geometry` GeoJSON text), crime
    aggregates suppressed and neighbourhood figures withheld for this user, in block code
    order. Read them with block_properties."""
    threshold = suppression_threshold(access)
    hidden = Q(crime_count__lt=threshold) if threshold is not None else Q(pk__in=[])
    shown = {
        "crime_count": Case(
            When(hidden, then=Value(None)), default=F("crime_count"), output_field=IntegerField()
        ),
        "crime_value": Case(
            When(hidden, then=Value(None)), default=F("crime_value"), output_field=FloatField()
        ),
    }
    shown |= {name: Value(None, output_field=FloatField()) for name in figures_withheld(access)}
    rows = (
        BlockResult.objects.filter(run=run)
        .annotate(code=F("block__code"), **{f"shown_{n}": value for n, value in shown.items()})
        .order_by("block__code")
    )
    if geometry:
        rows = rows.annotate(geometry=AsGeoJSON("block__geom", precision=7))
    columns = [f"shown_{name}" if name in shown else _stored(name) for name in BLOCK_FIELDS]
    return rows.values(*columns, *(["geometry"] if geometry else []), "block_id")


def _stored(name: str) -> str:
    return "comparison_class" if name == "class" else name


def block_properties(row: dict) -> dict:
    """A row of `block_results` → the public property names."""
    properties = {
        name: row[f"shown_{name}"] if f"shown_{name}" in row else row[_stored(name)]
        for name in BLOCK_FIELDS
    }
    properties["class"] = properties["class"] or None
    return properties
