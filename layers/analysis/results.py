"""Reading stored results the same way everywhere (API, tiles, exports): the run the map shows
of an area (pinned, else the latest finished), and the small-count suppression of crime
aggregates for non-analysts (DESIGN.md)."""

from django.conf import settings
from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Round
from django.utils.translation import gettext_lazy as _

from geo.access import Access
from geo.geojson import geojson_of
from geo.models import Area
from layers.models import AnalysisRun, BlockResult, RunStatus

# Per-block fields, named alike in the API, tiles and exports.
BLOCK_FIELDS = (
    "code",
    "crime_count",
    "crime_value",
    "crime_gi_z",
    "crime_gi_p",
    "crime_gi_p_sim",
    "crime_gi_bin",
    "insecurity_index",
    "insecurity_gi_z",
    "insecurity_gi_p",
    "insecurity_gi_p_sim",
    "insecurity_gi_bin",
    "class",
    "bv_moran_i",
    "bv_moran_p",
)


def analysis_shown(area: Area, *, only: tuple[str, ...] = ()) -> AnalysisRun | None:
    """The finished run the map, its tiles (tiles/sql.py, in SQL), rasters, exports and walk
    reports all show: the one an analyst pinned, else the most recently finished; None when
    the area has no finished run. `only`: the fields to read, when its figures are not wanted."""
    runs = AnalysisRun.objects.filter(area=area, status=RunStatus.DONE)
    return (
        (runs.only(*only) if only else runs)
        .order_by(F("pinned").desc(), F("finished_at").desc(nulls_last=True), "-id")
        .first()
    )


def analysis_period(run) -> str:
    """The period an analysis covered, as its parameters give it (months, from and to)."""
    parameters = run.parameters or {}
    start, end = parameters.get("from"), parameters.get("to")
    if not (start or end):
        return _("all months")
    if start == end:  # one month, written once
        return start
    return f"{start or '…'} – {end or '…'}"


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


# Counts shown to those who may not see small ones are rounded to a multiple of this. Hiding each
# small count on its own is not enough: a block's 4 incidents in all and 3 until 2024 (both
# shown) give away the hidden 1 since 2025. Rounded, they read 5 and 5, and no difference of
# two answers (periods, categories, analysis runs) pins a small count down.
ROUNDED_TO = 5


def shown_count(count: int | None, threshold: int | None) -> int | None:
    """A crime count as a user with this suppression threshold sees it (None: hidden)."""
    if threshold is None or count is None:
        return count
    if count < threshold:
        return None
    return ROUNDED_TO * int(count / ROUNDED_TO + 0.5)


def shown_count_expression(count, threshold: int | None):
    """shown_count in SQL, for a queryset's count expression."""
    if threshold is None:
        return count
    rounded = Cast(Round(Cast(count, FloatField()) / ROUNDED_TO) * ROUNDED_TO, IntegerField())
    return Case(When(Q(**_lt(count, threshold)), then=Value(None)), default=rounded,
                output_field=IntegerField())  # fmt: skip


def shown_value_expression(value, count, threshold: int | None):
    """A value derived from a crime count (the count analysed, a rate per resident) as it is
    shown: scaled with the rounded count, since the exact rate and the population would
    otherwise give the exact count back; hidden where the count is."""
    if threshold is None:
        return value
    scaled = (
        value
        * Cast(shown_count_expression(count, threshold), FloatField())
        / Cast(count, FloatField())
    )
    return Case(When(Q(**_lt(count, threshold)), then=Value(None)), default=scaled,
                output_field=FloatField())  # fmt: skip


def _lt(count, threshold) -> dict:
    return {f"{count.name}__lt": threshold}


# Figures of the crime around a block. A Gi* z-score (and so its p-value) is an affine function
# of the crime counts of the block and its neighbours, and the bivariate local Moran's I one of
# its neighbours' crime: with every block's figure and the counts that are shown, a suppressed
# neighbour's small count could be solved back. Whoever may not see small counts gets the Gi*
# bins and the class, which answer where to act, instead.
NEIGHBOURHOOD_CRIME_FIGURES = (
    "crime_gi_z",
    "crime_gi_p",
    "crime_gi_p_sim",
    "bv_moran_i",
    "bv_moran_p",
)


def figures_withheld(access: Access) -> tuple[str, ...]:
    """The per-block figures this user may not see (none for analysts)."""
    return () if suppression_threshold(access) is None else NEIGHBOURHOOD_CRIME_FIGURES


def block_results(run: AnalysisRun, access: Access, *, geometry: bool = True) -> QuerySet:
    """The run's per-block rows as dicts with BLOCK_FIELDS (+ `geometry` GeoJSON text), crime
    aggregates suppressed and neighbourhood figures withheld for this user, in block code
    order. Read them with block_properties."""
    threshold = suppression_threshold(access)
    count = F("crime_count")
    shown = {
        "crime_count": shown_count_expression(count, threshold),
        "crime_value": shown_value_expression(F("crime_value"), count, threshold),
    }
    shown |= {name: Value(None, output_field=FloatField()) for name in figures_withheld(access)}
    rows = (
        BlockResult.objects.filter(run=run)
        .annotate(code=F("block__code"), **{f"shown_{n}": value for n, value in shown.items()})
        .order_by("block__code")
    )
    if geometry:
        rows = rows.annotate(geometry=geojson_of("block__geom"))
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


# A block's figures in the map's block details (the class under its stored name).
DETAIL_FIGURES = (
    "crime_count",
    "crime_value",
    "crime_gi_z",
    "crime_gi_p",
    "crime_gi_bin",
    "insecurity_index",
    "insecurity_gi_z",
    "insecurity_gi_p",
    "insecurity_gi_bin",
    "comparison_class",
)


def block_figures(run: AnalysisRun, block, access: Access) -> dict | None:
    """One block's DETAIL_FIGURES in `run` as this user may see them (None: no result), by the
    rules block_results applies in SQL: neighbourhood figures withheld, a small crime count
    hidden (`suppressed`), a shown one rounded with the value derived from it scaled alike."""
    result = BlockResult.objects.filter(run=run, block=block).values(*DETAIL_FIGURES).first()
    if result is None:
        return None
    result |= {name: None for name in figures_withheld(access) if name in result}
    threshold = suppression_threshold(access)
    count = result["crime_count"]
    shown = shown_count(count, threshold)
    if shown is None and threshold is not None:
        result |= {"crime_count": None, "crime_value": None, "suppressed": True}
    elif shown != count:
        value = result["crime_value"]
        scaled = None if value is None else value * shown / count
        result |= {"crime_count": shown, "crime_value": scaled}
    return result
