"""Pages of the walks app: my walks, the planning page and the tablet capture app."""

import hashlib
import json
import math
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.gis.db.models import Extent
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, When
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache

from config.languages import current_language
from geo.access import access_for
from geo.models import Area, Membership
from layers.analysis.results import CLASS_LABELS, analysis_period, analysis_shown
from tiles.styles import CLASS_COLOURS
from walks.access import page_capture_access, page_walk_access
from walks.models import OPEN_WALK, Light, ObservationKind, Walk, WalkStatus
from walks.serializers import ObservationKindSerializer, RouteField
from walks.views import walks_with_counts

# How far around its route a walk's capture map reaches: participants note what they see from
# the route, up to a street or two away.
ROUTE_MARGIN_M = 400
METRES_PER_DEGREE = 111_320  # of latitude; of longitude at the equator
ZERO_UUID = "00000000-0000-0000-0000-000000000000"  # a URL pattern's stand-in for {client_id}

STATIC_DIR = Path(__file__).resolve().parent / "static" / "walks"
# The capture app's own files: every module it imports (tests/walks/test_pages.py follows the
# imports from capture.js), or it does not start offline.
SHELL_FILES = [
    "capture.js",
    "capture-map.js",
    "drawing.js",
    "sheet.js",
    "findings.js",
    "sync.js",
    "status.js",
    "offline.js",
    "dom.js",
    "queue.js",
    "refused.js",
    "i18n.js",
    "capture.css",
    "icon.svg",
]
# The site's own modules the capture app imports (static/), cached and versioned with it.
SHARED_DIR = Path(settings.BASE_DIR) / "static"
SHARED_FILES = ["js/map-words.js"]
LOCKFILE = Path(settings.BASE_DIR) / "package-lock.json"  # MapLibre's version
VENDOR_FILES = [
    "vendor/maplibre/maplibre-gl.mjs",
    "vendor/maplibre/maplibre-gl-worker.mjs",
    "vendor/maplibre/maplibre-gl.css",
]


RECENT_WALKS = 5
MY_WALKS_PER_PAGE = 25


@login_required
def my_walks(request):
    """The walks the user takes part in, and the areas whose walks they plan."""
    # The page names no participants: the API's prefetch of them is dropped. A walk under way
    # comes first, whatever its date; the others latest first, as the API lists them.
    under_way = Case(When(status=WalkStatus.WALKING, then=0), default=1)
    theirs = _their_walks(request.user)
    walks = (
        walks_with_counts(theirs)
        .prefetch_related(None)
        .annotate(under_way=under_way)
        .order_by("under_way", "-starts_at", "-id")
    )
    planning = Area.objects.filter(
        memberships__user=request.user, memberships__role__in=["coordinator", "planner"]
    )
    if request.user.is_superuser:
        planning = Area.objects.all()
    planning = list(planning.distinct().order_by("name"))
    # Those who plan walks take part in few: their areas' latest walks lead to the reports.
    for area in planning:  # a query per area: people plan the walks of one or two
        area.latest_walks = list(
            Walk.objects.filter(area=area).order_by("-starts_at", "-id")[:RECENT_WALKS]
        )
    # A page at a time, those under way and to come first: a resident on a walk a week has
    # hundreds after a few years.
    page = Paginator(walks, MY_WALKS_PER_PAGE).get_page(request.GET.get("page"))
    walks = list(page.object_list)
    return render(
        request,
        "walks/my_walks.html",
        {
            "walks": walks,
            "page": page,
            "planning_areas": planning,
            "kept": _kept_config(request.user, theirs),
        },
    )


def _their_walks(user):
    """The walks `user` takes part in. Only in areas they may still see: someone removed from
    an area keeps their place on its done walks (the record), but the area's pages are closed
    to them."""
    return Walk.objects.filter(participants=user, area__in=Area.objects.visible_to(user))


def _offline_lists(theirs) -> dict:
    """What offline.js prunes the copies kept for offline use by: the user's walks, and which
    of them are open, and so keep theirs. All of their walks, not a page's: offline.js drops a
    month-old copy of a walk listed as not open, or not listed and served, so an open walk on
    another page would lose its offline start."""
    walks = list(theirs.values_list("pk", "status"))
    return {
        "walks": [pk for pk, _status in walks],
        "open": [pk for pk, status in walks if status in OPEN_WALK],
    }


def _kept_config(user, theirs) -> dict:
    """What My walks needs to list the findings this tablet holds for walks the server no
    longer takes them for (walks/static/walks/kept.js): whose outboxes are the user's, which
    walks need no asking (`theirs`), and its words; and to prune the copies kept for offline
    use (_offline_lists)."""
    return {
        "user": user.pk,
        **_offline_lists(theirs),
        "words": {
            "finding": ngettext("%(n)s finding", "%(n)s findings", 1),
            "findings": ngettext("%(n)s finding", "%(n)s findings", 2),
            "photo": ngettext("%(n)s photo", "%(n)s photos", 1),
            "photos": ngettext("%(n)s photo", "%(n)s photos", 2),
            "walk": _("Walk %(id)s"),
            "discard_question": _(
                "Discard the findings of “%(name)s” from this tablet? They were never sent,"
                " so they are then gone for good."
            ),
        },
    }


@login_required
def plan(request, slug):
    """Coordinators and planners draw a walk's route, set its time and participants."""
    area = get_object_or_404(Area, slug=slug)
    access = access_for(request.user, area)
    if not access.can("view_area"):
        raise Http404(_("No such area."))
    if not access.can("plan_walks"):
        raise PermissionDenied(_("Only coordinators and planners plan walks."))
    members = Membership.objects.filter(area=area).select_related("user").order_by("user__username")
    run = analysis_shown(area, only=("id", "parameters")) if access.can("view_layers") else None
    config = {
        "area": {"slug": area.slug, "name": area.name, "extent": _extent(area)},
        # The clock the form's times are on (as the walks API reads them): the sun's height at
        # a walk's time is asked for the instant they name.
        "timeZone": settings.TIME_ZONE,
        "lights": dict(Light.choices),
        "statuses": dict(WalkStatus.choices),
        "urls": {
            "walks": reverse("walk-list", args=[area.slug]),
            "walk": reverse("walk-detail", args=[0]).replace("/0/", "/{id}/"),
            "report": reverse("walk-report", args=[0]).replace("/0/", "/{id}/"),
            "preview": preview_url(0).replace("/0/", "/{id}/"),
            # The planner's basemap: the blocks' vector tiles, fast at any zoom. The capture
            # app reads GeoJSON instead, which it can keep offline.
            "blocks": reverse("tilejson", args=[area.slug, "blocks"]),
            # The routes walked and planned already: where the new one adds to them.
            "routes": reverse("tilejson", args=[area.slug, "walks"]),
        },
        # A route is planned over the blocks' classes, as the planner map colours them.
        "classes": CLASS_COLOURS if run else {},
    }
    words = {
        "new_walk": _("New walk"),
        "saved": _("Saved."),
        "participant": ngettext("participant", "participants", 1),
        "participants": ngettext("participant", "participants", 2),
        "observation": ngettext("finding", "findings", 1),
        "observations": ngettext("finding", "findings", 2),
        "delete_question": _(
            "Delete the walk “{name}”? Findings its participants' tablets have not sent yet"
            " can then no longer be sent."
        ),
        "deleted": _("Deleted."),
        "reloaded": _("This is the walk as it is now, with the other change: make yours again."),
        "findings_arrived": _(
            "Findings have arrived on this walk since you opened it; it is now under way."
            " Load it again, then make your change."
        ),
        "again": _("A new walk on the same route with the same people: choose its date."),
    }
    return render(
        request,
        "walks/plan.html",
        {
            "area": area,
            "config": config,
            "words": words,
            "members": members,
            "manages_members": access.can("manage_members"),
            "run": run,
            "run_period": analysis_period(run) if run else "",
            "classes": [(CLASS_COLOURS[code], label) for code, label in CLASS_LABELS.items()],
            "light_choices": Light.choices,
            "status_choices": WalkStatus.choices,
        },
    )


@never_cache
@login_required
def capture(request, pk):
    # ?preview=1: those who plan the area's walks see the app as its participants will.
    asked = "preview" in request.GET
    walk, _access, preview = page_capture_access(request, pk, preview=asked)
    if asked and not preview:
        return redirect("walk-capture", pk=walk.pk)  # a participant gets the app itself
    kinds = ObservationKind.objects.of_area(walk.area)
    extent, blocks_url = _capture_map(walk)
    config = {
        "walk": {
            "id": walk.pk,
            "name": walk.name,
            "area": walk.area.slug,
            "area_name": walk.area.name,
            "extent": extent,
            "route": RouteField().to_representation(walk.route) if walk.route else None,
            # Its participants may still withdraw their own findings (walks.access).
            "open": walk.is_open,
            "light": walk.light,
            # Drawn on the map and checked before a finding is saved (the server's rule).
            "boundary": _outline(walk.area),
            "tolerance_m": settings.TRYGG_OUTSIDE_TOLERANCE_M,
        },
        # A preview stores and sends nothing: the app's modules read this one flag.
        "preview": preview,
        "kinds": ObservationKindSerializer(kinds, many=True).data,
        "language": current_language(),
        # Whose findings this page queues (the tablet may be passed round: walks/static/walks).
        "user": request.user.pk,
        "urls": {
            "sync": reverse("observation-sync", args=[walk.pk]),
            "observations": reverse("observation-list", args=[walk.pk]),
            "blocks": blocks_url,
            "photos": reverse("photo-upload", args=[0]).replace("/0/", "/{id}/"),
            # One stored photo, which its finding's author may remove (online only).
            "photo": reverse("photo-detail", args=[0]).replace("/0/", "/{id}/"),
            # A finding by its client_id: withdrawn (DELETE) or corrected (PATCH).
            "withdraw": reverse("observation-by-client-id", args=[walk.pk, ZERO_UUID]).replace(
                ZERO_UUID, "{client_id}"
            ),
            "service_worker": reverse("capture-service-worker"),
            "login": f"{reverse('login')}?{urlencode({'next': request.path})}",
            "map_worker": static("vendor/maplibre/maplibre-gl-worker.mjs"),
        },
    }
    if preview:
        # Nowhere to send anything to: a stray call fails in the browser, before the server
        # (which refuses a non-participant's sync anyway) is even asked.
        for name in ("sync", "photos", "photo", "withdraw", "service_worker"):
            del config["urls"][name]
    else:
        # The installed app starts here and may never open My walks: it prunes the offline
        # copies too (capture.js), by the same lists.
        config["offline"] = _offline_lists(_their_walks(request.user))
    # A preview is not installable: the manifest is its participants' only.
    manifest = None if preview else reverse("capture-manifest", args=[walk.pk])
    return render(
        request, "walks/capture.html", {"walk": walk, "config": config, "manifest": manifest}
    )


def preview_url(walk_id: int) -> str:
    """The capture app of a walk as its participants will see it, for those who plan it."""
    return f"{reverse('walk-capture', args=[walk_id])}?preview=1"


def _capture_map(walk) -> tuple[list[float], str]:
    """The capture map's extent and the URL of the blocks it shows and keeps offline: around
    the route when the walk has one, else the whole area. A tablet then downloads the blocks
    along its walk (a demo walk's: 0.65 MB, 0.14 MB compressed) instead of the area's (4.8 MB,
    1.1 MB compressed), and the map opens where the walk is. Never beyond the area's edge and
    its tolerance, where no finding is accepted: a route along the edge would otherwise open
    the map half on empty ground, the walk off its centre."""
    blocks = reverse("block-list", args=[walk.area.slug])
    area_extent = _extent(walk.area)
    if walk.route is None:
        return area_extent, blocks
    extent = _within(
        _around(walk.route.extent, ROUTE_MARGIN_M),
        _around(area_extent, settings.TRYGG_OUTSIDE_TOLERANCE_M),
    )
    return extent, f"{blocks}?bbox={','.join(f'{v:.6f}' for v in extent)}"


def _around(extent, metres: float) -> list[float]:
    """A lon/lat extent grown by `metres` on every side."""
    xmin, ymin, xmax, ymax = extent
    dlat = metres / METRES_PER_DEGREE
    dlon = dlat / math.cos(math.radians((ymin + ymax) / 2))
    return [xmin - dlon, ymin - dlat, xmax + dlon, ymax + dlat]


def _within(extent, limit) -> list[float]:
    """The part of a lon/lat extent inside `limit`; all of it when none is (a route outside
    its area, whose boundary was redrawn after the walk was planned)."""
    xmin, ymin, xmax, ymax = extent
    lxmin, lymin, lxmax, lymax = limit
    part = [max(xmin, lxmin), max(ymin, lymin), min(xmax, lxmax), min(ymax, lymax)]
    return part if part[0] < part[2] and part[1] < part[3] else extent


def _outline(area) -> dict | None:
    """The area's boundary as GeoJSON, simplified to about a metre (the demo's: 497 points)."""
    if area.boundary is None:
        return None
    return json.loads(area.boundary.simplify(0.00001, preserve_topology=True).geojson)


def _extent(area) -> list[float]:
    if area.boundary is not None:
        return list(area.boundary.extent)
    extent = area.blocks.aggregate(extent=Extent("geom"))["extent"]
    return list(extent) if extent else [-180.0, -85.0, 180.0, 85.0]


@login_required
def manifest(request, pk):
    """Makes the capture page of a walk installable on a tablet's home screen."""
    walk, _access = page_walk_access(request, pk, capture=True)
    body = {
        "name": f"Trygg – {walk.name}",
        "short_name": "Trygg",
        "start_url": reverse("walk-capture", args=[walk.pk]),
        "scope": "/walks/",
        "display": "standalone",
        "orientation": "any",
        "background_color": "#fdfcf7",
        "theme_color": "#23415a",
        "icons": [
            {"src": static("walks/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return JsonResponse(body, content_type="application/manifest+json")


# What a release of the capture app is made of: every static file the worker may cache (it
# keeps whatever /static/ file a page under /walks/ loads, the site's stylesheet and scripts too)
# and MapLibre's version. A release that changed only one of them never reached a tablet that had
# the worker.
RELEASE_SOURCES = [STATIC_DIR, SHARED_DIR, LOCKFILE]
# Tells the worker which release a page under its scope is of (walks/middleware.py).
RELEASE_HEADER = "X-Trygg-Release"


@lru_cache(maxsize=1)
def release() -> str:
    """The version of the files the capture app's worker caches: it names the worker's cache
    and is sent with every page under its scope, by which the worker knows when its cached
    scripts are not those of the page it serves. Computed once per process: a release restarts
    the server."""
    digest = hashlib.sha256()
    files = [path for source in RELEASE_SOURCES for path in _files_of(source)]
    for path in sorted(files):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _files_of(source: Path):
    return source.rglob("*") if source.is_dir() else [source]


@lru_cache(maxsize=1)
def _service_worker_source(version: str) -> str:
    """sw.js with its precache list and the release it caches."""
    precache = [static(f"walks/{name}") for name in SHELL_FILES]
    precache += [static(name) for name in [*SHARED_FILES, *VENDOR_FILES]]
    source = (STATIC_DIR / "sw.js").read_text()
    return (
        source.replace("__VERSION__", version)
        .replace("__PRECACHE__", json.dumps(precache))
        .replace("__RELEASE_HEADER__", RELEASE_HEADER)
    )


def service_worker(request):
    # Served from /walks/ rather than /static/ so that it may control the capture pages.
    response = HttpResponse(_service_worker_source(release()), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/walks/"
    response["Cache-Control"] = "no-cache"
    return response
