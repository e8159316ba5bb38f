"""The planner's layered map: the page, and the details shown when a block or an observation
is clicked. Same rules as the API and the tiles (geo.access)."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.gis.db.models import Extent
from django.db.models import FloatField, Func
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, get_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from config.languages import current_language
from geo.access import Access
from geo.models import Area
from geo.querysets import crime_sources
from layers.analysis.results import analysis_shown, block_figures
from layers.categories import CrimeCategory
from tiles import sprite
from tiles.catalogue import CRIME_POINTS_MINZOOM
from tiles.filters import FilterError, parse_filters
from tiles.sprite import KIND_COLOURS
from tiles.styles import (
    CLASS_COLOURS,
    HOTSPOT_COLOURS,
    LAMP_COLOURS,
    access_or_404,
    area_bounds,
    raster_names,
    raster_ranges,
    shown_run,
    sprite_url,
    visible_layers,
)
from walks.access import is_participant, sees_all_walks
from walks.models import (
    FollowUp,
    Observation,
    ObservationKind,
    Walk,
    block_of_observation,
    near_block_box,
    observations_matching,
)


@require_safe
def planner_map(request, slug: str):
    try:
        access = access_or_404(request, slug)
    except Http404:
        # Who is not signed in may yet see it once they are: the login page, not a 404.
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise
    language = current_language()
    kinds = ObservationKind.objects.of_area(access.area)
    run = shown_run(access)
    layers = visible_layers(access)
    config = {
        "slug": access.area.slug,
        "name": access.area.name,
        "language": language,
        "timeZone": settings.TIME_ZONE,
        # Dates printed as every page writes them (config/formats): 2026-11-28, 28.11.2026.
        "dateFormat": get_format("SHORT_DATE_FORMAT"),
        "view": access.cache_key,
        "bounds": area_bounds(access),
        "layers": layers,
        "canExport": access.can("export"),
        "minCount": settings.TRYGG_MIN_AGGREGATE_COUNT,
        "crimePointsMinzoom": CRIME_POINTS_MINZOOM,
        "classColours": CLASS_COLOURS,
        "hotspotColours": HOTSPOT_COLOURS,
        # The style draws the Gi* hot spots for the roles whose block tiles carry the bins.
        "hotspots": "blocks" in layers and access.can("view_layers"),
        "lampColours": LAMP_COLOURS,
        "kinds": [
            {
                "code": k.code,
                "label": k.label(language),
                "colour": KIND_COLOURS.get(k.code, sprite.FALLBACK_COLOUR),
                "symbol": sprite.symbol_index(k.code),
                "positive": k.positive,
            }
            for k in kinds
        ],
        "categories": [{"code": c.value, "label": str(c.label)} for c in CrimeCategory],
        "followUps": [[value, str(label)] for value, label in FollowUp.choices],
        "walks": walk_choices(request.user, access) if access.can("view_walk_layers") else [],
        "sprite": {"sheet": f"{sprite_url(request)}@2x.png", "count": len(sprite.SHAPES)},
        "rasters": raster_names(access, run),
        "rasterRanges": raster_ranges(access, run),
        "run": run_summary(run) if run else None,
        # Named on paper under the crime layer (print.js).
        "crimeSources": crime_sources(access.area) if "crime" in layers else [],
    }
    return render(request, "layers/map.html", {"area": access.area, "config": config})


def run_summary(run) -> dict:
    """What the map says about the analysis its blocks are coloured by: an analyst's run for
    one category or year colours everyone's map, and a planner must be able to tell."""
    finished = None
    if run.finished_at:  # in the page's language: ISO in English, day first in Danish
        finished = date_format(timezone.localtime(run.finished_at).date(), "SHORT_DATE_FORMAT")
    parameters = run.parameters or {}
    return {
        "id": run.pk,
        "finished": finished,
        "from": parameters.get("from"),
        "to": parameters.get("to"),
        "categories": parameters.get("categories") or [],
        "fdr": bool(parameters.get("fdr")),
        "variable": parameters.get("variable") or "count",  # what crime_value measures
        "pinned": run.pinned,
    }


def walk_choices(user, access: Access) -> list[dict]:
    """The walks the map's filter offers, latest first: all of the area's to those who see every
    walk, a participant's own otherwise (as the walks API), each with the extent to show."""
    walks = Walk.objects.filter(area=access.area).order_by("-starts_at", "-id")
    if not sees_all_walks(access):
        walks = walks.filter(participants=user)
    # The route's extent from PostGIS: GEOS objects for hundreds of routes cost more than the
    # rest of the page.
    box = {side: Func("route", function=f"ST_{side}", output_field=FloatField()) for side in SIDES}
    walks = list(walks.values_list("pk", "name", "starts_at", *(box[side] for side in SIDES)))
    # Only a walk without a route is shown by its findings: grouping every walk's findings
    # (20,000 in an area walked for three years) for them cost most of the page.
    unrouted = [pk for pk, _name, _starts, xmin, *_ in walks if xmin is None]
    findings = dict(
        Observation.objects.filter(walk__in=unrouted)
        .values_list("walk")
        .annotate(extent=Extent("geom"))
        .order_by()
    )
    return [
        {
            "id": pk,
            "name": name,
            "date": timezone.localtime(starts_at).date().isoformat(),
            # To 0.1 m: the walk's extent is only for fitting the map to it.
            "extent": [round(v, 6) for v in extent] if extent[0] is not None else findings.get(pk),
        }
        for pk, name, starts_at, *extent in walks
    ]


SIDES = ("XMin", "YMin", "XMax", "YMax")


def unseen_json() -> JsonResponse:
    """access_or_404's refusal as JSON: the map's details are not under config.errors'
    JSON_PREFIXES, so a bare Http404 would answer them with the HTML page."""
    return JsonResponse({"detail": _("No such area.")}, status=404)


def forbidden_json() -> JsonResponse:
    return JsonResponse({"detail": _("Your role in this area does not allow this.")}, status=403)


def observation_json(observation: Observation, language: str, *, full: bool) -> dict:
    data = {
        "id": observation.pk,
        "kind": observation.kind.code,
        "kind_label": observation.kind.label(language),
        "positive": observation.kind.positive,
        "severity": observation.severity,
        "feeling": observation.feeling,
        "captured_at": observation.captured_at.isoformat(),
        "geometry_type": observation.geom.geom_type,
        "photos": [
            # Through the API's permission check: photos are never public media files.
            {
                "thumbnail": reverse("photo-thumbnail", args=[photo.pk]),
                "image": reverse("photo-image", args=[photo.pk]),
            }
            for photo in observation.photos.all()
        ],
    }
    if full:
        data |= {
            "note": observation.note,
            "walk": observation.walk.name,
            "light": observation.walk.light,
            "accuracy_m": observation.accuracy_m,
            "follow_up": observation.get_follow_up_display(),
            "follow_up_note": observation.follow_up_note,
            "follow_up_at": observation.follow_up_at.isoformat()
            if observation.follow_up_at
            else None,
        }
    return data


def observations_in_area(area: Area):
    return (
        Observation.objects.filter(walk__area=area)
        .select_related("kind", "walk")
        .prefetch_related("photos")  # in Photo.Meta.ordering
    )


@require_safe
def block_detail(request, slug: str, pk: int):
    """A block's figures in the run the map shows and the observations inside it (map filters
    apply)."""
    try:
        access = access_or_404(request, slug)
        filters = parse_filters(request.GET, ("from", "to", "kind", "light", "follow_up", "walk"))
    except Http404:
        return unseen_json()
    except FilterError as error:
        return JsonResponse(error.errors, status=400)
    block = get_object_or_404(access.area.blocks, pk=pk)
    language = current_language()
    data = {"id": block.pk, "code": block.code, "name": block.name, "population": block.population}
    if access.can("view_layers"):
        run = analysis_shown(access.area)
        data["run"] = run.pk if run else None
        data["figures"] = block_figures(run, block, access) if run else None
    if access.can("view_walk_layers"):
        params = filters.sql_params()
        # The findings in the block or next to it, as the report and the exports place them.
        observations = (
            observations_in_area(access.area)
            .filter(geom__dwithin=(block.geom, near_block_box(access.area)))
            .alias(block_id=block_of_observation(access.area, "pk"))
            .filter(block_id=block.pk)
        )
        if params["time_from"]:
            observations = observations.filter(captured_at__gte=params["time_from"])
        if params["time_to"]:
            observations = observations.filter(captured_at__lt=params["time_to"])
        observations = observations_matching(
            observations,
            kinds=filters.kinds,
            light=filters.light,
            follow_ups=filters.follow_ups,
            walks=filters.walks,
        )
        data["observations"] = [
            observation_json(o, language, full=False) for o in observations[:200]
        ]
    return JsonResponse(data)


@require_safe
def observation_detail(request, slug: str, pk: int):
    try:
        access = access_or_404(request, slug)
    except Http404:
        return unseen_json()
    if not access.can("view_walk_layers"):
        return forbidden_json()
    observation = get_object_or_404(observations_in_area(access.area), pk=pk)
    # A participant reads the notes of their own walks' findings, as the walks API allows.
    full = sees_all_walks(access) or is_participant(request.user, observation.walk)
    data = observation_json(observation, current_language(), full=full)
    if sees_all_walks(access):  # the walk's report, for those who may open it
        data["walk_report"] = reverse("walk-report", args=[observation.walk_id])
    return JsonResponse(data)
