"""The walk report: what a safety walk found, numbered on a map and listed with notes and photos,
for the coordinator to hand to the housing company, the municipality or the police.

The map is an SVG drawn by PostGIS (ST_AsSVG in Web Mercator) rather than a MapLibre canvas, so
the page prints as it shows, needs no script and no tiles, and stays sharp on paper."""

import math
from collections import Counter
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.gis.db.models import Collect, MultiPolygonField
from django.contrib.gis.db.models.functions import (
    AsSVG,
    Length,
    PointOnSurface,
    Transform,
)
from django.contrib.gis.geos import Polygon
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count, Func, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from config.forms import posted_id
from config.languages import current_language
from geo.models import AuditEntry, Block
from layers.analysis.results import CLASS_LABELS, analysis_period, analysis_shown
from walks.access import page_walk_access, sees_all_walks
from walks.models import NEAR_BLOCK_M, FollowUp, Photo, Walk, near_block_box
from walks.services import observation_delete, observation_follow_up_set, photo_delete

WEB_MERCATOR = 3857
# The map shows this much around the route and the observations, as a share of their extent,
# and at least this many metres (a walk along one street is narrow).
MARGIN_SHARE = 0.08
MIN_MARGIN_M = 60
MAX_BLOCKS = 3000  # blocks drawn around a walk; a walk across a whole city keeps the page light


@dataclass
class MapView:
    """The SVG's viewBox in Web Mercator metres, y pointing down as ST_AsSVG writes it."""

    x: float
    y: float
    width: float
    height: float

    @property
    def viewbox(self) -> str:
        return f"{self.x:.1f} {self.y:.1f} {self.width:.1f} {self.height:.1f}"

    @property
    def marker(self) -> float:
        """A marker's radius: the same size on the page however large the walk."""
        return max(self.width, self.height) / 75

    @property
    def route_width(self) -> float:
        return self.marker / 2.5

    @property
    def outline_width(self) -> float:
        return self.marker / 4


def map_view(walk, observations) -> MapView | None:
    shapes = [o.geom for o in observations] + ([walk.route] if walk.route else [])
    if not shapes:
        return None
    extents = [shape.extent for shape in shapes]
    box = Polygon.from_bbox(
        (
            min(e[0] for e in extents),
            min(e[1] for e in extents),
            max(e[2] for e in extents),
            max(e[3] for e in extents),
        )
    )
    box.srid = 4326
    box.transform(WEB_MERCATOR)  # Web Mercator keeps a longitude-latitude box a box
    xmin, ymin, xmax, ymax = box.extent
    margin = max(MIN_MARGIN_M, MARGIN_SHARE * max(xmax - xmin, ymax - ymin))
    return MapView(
        x=xmin - margin,
        y=-(ymax + margin),
        width=xmax - xmin + 2 * margin,
        height=ymax - ymin + 2 * margin,
    )


def spread_markers(observations, view: MapView) -> None:
    """Place each finding's numbered marker where it does not cover an earlier one: at the
    finding if that is free, else on the nearest free spot of rings around it, with a leader
    line back to it (a walk's findings bunch up along one street, and numbers printed on top
    of each other cannot be read). Sets label_x/y and, for a moved marker, anchor_x/y."""
    radius = view.marker
    spacing = 2.1 * radius  # centres closer than this overlap
    taken: dict[tuple[int, int], list[tuple[float, float]]] = {}

    def free(x, y) -> bool:
        if not (view.x + radius <= x <= view.x + view.width - radius):
            return False
        if not (view.y + radius <= y <= view.y + view.height - radius):
            return False
        cx, cy = int(x // spacing), int(y // spacing)
        return all(
            (x - ox) ** 2 + (y - oy) ** 2 >= spacing**2
            for i in (-1, 0, 1)
            for j in (-1, 0, 1)
            for ox, oy in taken.get((cx + i, cy + j), ())
        )

    for observation in observations:
        ax, ay = observation.label_x, observation.label_y
        spot = (ax, ay) if free(ax, ay) else _nearest_free(ax, ay, spacing, free)
        observation.label_x, observation.label_y = spot
        observation.anchor = (ax, ay) if spot != (ax, ay) else None
        taken.setdefault((int(spot[0] // spacing), int(spot[1] // spacing)), []).append(spot)


def _nearest_free(x, y, spacing, free) -> tuple[float, float]:
    for ring in range(1, 9):  # bounded: beyond eight rings the marker stays where it is
        steps = 6 * ring
        for step in range(steps):
            angle = 2 * math.pi * step / steps - math.pi / 4  # up and to the right first
            spot = (x + ring * spacing * math.cos(angle), y + ring * spacing * math.sin(angle))
            if free(*spot):
                return spot
    return x, y


def _svg(field="geom"):
    return AsSVG(Transform(field, WEB_MERCATOR), precision=1)


# The block each finding lies in, else the nearest one: most findings are on the street between
# two. A nearest-neighbour search (<->) on the blocks' index, which PostGIS does and the ORM
# cannot express against an outer row.
BLOCK_OF_OBSERVATIONS_SQL = """
SELECT o.id, near.code, r.class
FROM walks_observation o
LEFT JOIN LATERAL (
    SELECT b.id, b.code FROM geo_block b
    WHERE b.area_id = %(area)s AND ST_DWithin(b.geom, o.geom, %(box)s)
      AND ST_DWithin(b.geom::geography, o.geom::geography, %(near_m)s)
    ORDER BY ST_Distance(b.geom::geography, o.geom::geography), b.id LIMIT 1
) near ON true
LEFT JOIN layers_blockresult r ON r.block_id = near.id AND r.run_id = %(run)s
WHERE o.walk_id = %(walk)s
"""


def blocks_of_observations(walk, run) -> dict[int, tuple[str | None, str | None]]:
    """observation id → (code of the block it lies in or next to, that block's class in `run`,
    the analysis the area's map shows, or None when there is none or the reader may not see it)."""
    params = {
        "area": walk.area_id,
        "walk": walk.pk,
        "box": near_block_box(walk.area),  # the index's candidates; the rule is near_m
        "near_m": NEAR_BLOCK_M,
        "run": run.pk if run else None,
    }
    with connection.cursor() as cursor:
        cursor.execute(BLOCK_OF_OBSERVATIONS_SQL, params)
        return {pk: (code, klass) for pk, code, klass in cursor.fetchall()}


def report_observations(walk):
    """The walk's observations in the order they were captured, with what the report shows."""
    return list(
        walk.observations.select_related("kind", "follow_up_by")
        .prefetch_related("photos")  # in Photo.Meta.ordering
        .annotate(
            svg=_svg(),
            label_at=Transform(PointOnSurface("geom"), WEB_MERCATOR),
        )
        .order_by("captured_at", "id")
    )


def blocks_around(walk, view: MapView) -> str:
    """The blocks in the map's frame as one SVG path, drawn alike: with an element per block
    (1,173 around a demo walk) the template took more than half of the page's time."""
    frame = Polygon.from_bbox((view.x, -view.y - view.height, view.x + view.width, -view.y))
    frame.srid = WEB_MERCATOR
    frame.transform(4326)
    nearby = walk.area.blocks.filter(geom__intersects=frame).values("pk")[:MAX_BLOCKS]
    polygons = Func(
        Collect("geom"), 3, function="ST_CollectionExtract", output_field=MultiPolygonField()
    )
    return Block.objects.filter(pk__in=nearby).aggregate(svg=_svg(polygons))["svg"] or ""


def kind_counts(observations) -> list[dict]:
    """Findings per kind, most first: counted from the findings the report has already loaded
    (their kinds and labels come with them), not with a query of its own."""
    counts = Counter(o.kind for o in observations)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0].code))
    return [{"label": kind.kind_label, "positive": kind.positive, "count": n} for kind, n in ranked]


@login_required
def walk_report(request, pk):
    walk, access = page_walk_access(request, pk)
    if request.method == "POST":
        return _change(request, walk, access)
    context = report_context(walk, access) | {
        "same_route": same_route(walk, request.user, access),
        # Those who plan the walk may see its capture app as its participants will.
        "previews": access.can("plan_walks"),
    }
    return render(request, "walks/report.html", context)


def same_route(walk, user, access) -> list[Walk]:
    """The area's other walks on this very route (a walk planned again), latest first, with
    their findings and how many of them are still open: what has changed since. Only walks the
    user may see, as everywhere."""
    if walk.route is None:
        return []
    walks = Walk.objects.filter(area=walk.area, route__equals=walk.route).exclude(pk=walk.pk)
    if not sees_all_walks(access):
        walks = walks.filter(participants=user)
    findings = Count("observations", distinct=True)
    still_open = Count(
        "observations",
        filter=Q(observations__follow_up=FollowUp.OPEN, observations__kind__positive=False),
        distinct=True,
    )
    return list(
        walks.annotate(findings=findings, still_open=still_open).order_by("-starts_at")[:10]
    )


def report_context(walk, access) -> dict:
    language = current_language()
    if language not in ("en", "sv", "da"):
        language = "en"
    observations = report_observations(walk)
    # The block's class (recorded crime against perceived insecurity) puts each finding in the
    # context of the analysis the map shows, for those who may see analysis results.
    run = analysis_shown(walk.area) if access.can("view_layers") else None
    found = blocks_of_observations(walk, run)
    for number, observation in enumerate(observations, start=1):
        observation.block_code, block_class = found.get(observation.pk, (None, None))
        observation.block_class = CLASS_LABELS.get(block_class)
        observation.number = number
        # Sorted by follow-up, the table runs from what still waits to what is settled.
        observation.follow_up_rank = FollowUp.values.index(observation.follow_up)
        observation.kind_label = observation.kind.kind_label = observation.kind.label(language)
        observation.label_x, observation.label_y = observation.label_at.x, -observation.label_at.y
    view = map_view(walk, observations)
    if view:
        spread_markers(observations, view)
    route_svg = route_km = None
    if walk.route and view:
        route = Walk.objects.filter(pk=walk.pk).values_list(_svg("route"), Length("route"))
        route_svg, metres = route.get()
        route_km = metres.km
    plans = access.can("plan_walks")
    participants = list(walk.participants.order_by("username")) if plans else None
    histories = follow_up_histories(walk) if plans else {}
    for observation in observations:
        observation.follow_up_history = histories.get(observation.pk, [])
    return {
        "walk": walk,
        "observations": observations,
        "kinds": kind_counts(observations),
        "view": view,
        "blocks": blocks_around(walk, view) if view else "",
        "route_svg": route_svg,
        "route_km": route_km,
        # Names are for those who plan walks, as in the API; others see how many took part.
        "participants": participants,
        "participant_count": len(participants) if plans else walk.participants.count(),
        "moderates": access.can("manage_area"),
        "follows_up": plans,
        "follow_up_choices": FollowUp.choices,
        "follow_up_counts": follow_up_counts(observations),
        "photo_count": sum(len(o.photos.all()) for o in observations),
        "downloads": downloads(walk) if observations and access.can("export") else [],
        # The classes change with each new analysis: the printed report says which it shows.
        "classes_from": run,
        "classes_period": analysis_period(run) if run else "",
    }


def downloads(walk) -> list[tuple[str, str]]:
    """The walk's findings as files, for whoever takes the action list on: a spreadsheet for
    the housing company, a GeoPackage for the municipality's GIS (docs/exports.md)."""
    return [
        (
            label,
            reverse("layer-export", args=[walk.area.slug, "observations", fmt])
            + f"?walk={walk.pk}",
        )
        for label, fmt in (("CSV", "csv"), ("GeoPackage", "gpkg"), ("GeoJSON", "geojson"))
    ]


def _change(request, walk, access):
    """A follow-up (coordinators, planners) or a deletion (coordinators), then back to the
    report: to the finding's row after a follow-up, not the top of a long report."""
    if "follow_up" in request.POST:
        if not access.can("plan_walks"):
            raise PermissionDenied(_("Only coordinators and planners follow findings up."))
        _follow_up(request, walk)
        number = request.POST.get("number", "")
        anchor = f"#observation-{number}" if number.isdigit() else ""
        return HttpResponseRedirect(reverse("walk-report", args=[walk.pk]) + anchor)
    if not access.can("manage_area"):
        raise PermissionDenied(_("Only the area's coordinators delete findings and photos."))
    _moderate(request, walk)
    return redirect("walk-report", walk.pk)


def follow_up_histories(walk) -> dict[int, list[dict]]:
    """observation id → its follow-up changes, oldest first (when, by whom, from, to), read from
    the audit log in one query: who reported the broken lamp, and when it was marked fixed."""
    labels = dict(FollowUp.choices)
    entries = AuditEntry.objects.filter(
        area=walk.area, action="observation.follow_up", detail__walk=walk.pk
    ).order_by("at", "id")
    histories: dict[int, list[dict]] = {}
    for entry in entries:
        histories.setdefault(entry.detail.get("observation"), []).append(
            {
                "at": entry.at,
                "by": entry.username,
                "from": labels.get(entry.detail.get("from"), entry.detail.get("from")),
                "to": labels.get(entry.detail.get("to"), entry.detail.get("to")),
            }
        )
    return histories


def follow_up_counts(observations) -> list[tuple[str, int]]:
    """(label, count) of each follow-up state present among the problems, in the states'
    order: safe places and meeting places are no one's task."""
    present = Counter(o.follow_up for o in observations if not o.kind.positive)
    return [(label, present[value]) for value, label in FollowUp.choices if present[value]]


def _follow_up(request, walk) -> None:
    observation = get_object_or_404(walk.observations, pk=posted_id(request, "finding"))
    try:
        observation_follow_up_set(
            observation=observation,
            follow_up=request.POST["follow_up"],
            note=request.POST.get("note", ""),
            user=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return
    messages.success(
        request,
        _("Follow-up of finding %(number)s saved.") % {"number": request.POST.get("number", "")},
    )


def _moderate(request, walk) -> None:
    """Delete the finding or photo named in the POST, which must belong to this walk."""
    if "observation" in request.POST:
        observation = get_object_or_404(walk.observations, pk=posted_id(request, "observation"))
        observation_delete(observation=observation, user=request.user)
        messages.success(request, _("The finding and its photos are deleted."))
    elif "photo" in request.POST:
        photo = get_object_or_404(Photo, pk=posted_id(request, "photo"), observation__walk=walk)
        photo_delete(photo=photo, user=request.user)
        messages.success(request, _("The photo is deleted."))
