"""TileJSON per layer and one MapLibre style per area, holding only the layers the user may see.

No outside basemap: tablets go offline and the network has none; the blocks are the base.
"""

from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.gis.db.models import Extent

from geo.access import Access
from geo.models import Area
from geo.permissions import area_access
from layers.analysis.results import analysis_shown
from layers.exports.filters import kind_codes, walks_not_in
from tiles import sprite
from tiles.auth import tile_user
from tiles.catalogue import CRIME_POINTS_MINZOOM, FORBIDDEN, LAYERS, MAX_ZOOM, TileLayer, layer_mode
from tiles.filters import check_kinds, check_walks, parse_filters
from tiles.raster import density_floor, raster_visible, value_range
from tiles.sprite import FALLBACK, FALLBACK_COLOUR, KIND_COLOURS, image_name

# Zoom above which clients overzoom instead of fetching more tiles.
SOURCE_MAXZOOM = {"blocks": 17, "crime": 17, "observations": 18, "walks": 17, "lamps": 18}

# The four classes of the bivariate comparison (crime × perceived insecurity), in the
# conventional 2×2 bivariate palette: purple both high, blue only fear, red only crime.
CLASS_COLOURS = {
    "both_high": "#5a3d73",
    "fear_exceeds_crime": "#4f8fc0",
    "crime_exceeds_fear": "#c8504f",
    "both_low": "#e6e3dc",
}
LAMP_COLOURS = {"working": "#f2c230", "dim": "#a08a3c", "broken": "#1a1a1a", "unknown": "#bbbbbb"}


def access_or_404(request, slug: str) -> Access:
    """The requester's access to the area, a token's user included; Http404 for an area they
    may not see. The one look-up of the tiles, the styles and the planner's map pages (whose
    JSON details answer the 404 as JSON, and whose page sends a visitor not signed in to log
    in first), so all of them refuse the same users."""
    tile_user(request)
    return area_access(request, slug)


def visible_layers(access: Access) -> list[str]:
    return [name for name in LAYERS if layer_mode(name, access, MAX_ZOOM) != FORBIDDEN]


def check_for_area(request, area: Area, layers: list[TileLayer]) -> None:
    """FilterError for a filter of `layers` that is bad, a kind or a walk the area lacks
    included, as their tiles answer. The style asks once for all its layers: the observations
    and the walks both take `walk`, and one look-up answers for both."""
    names = tuple(dict.fromkeys(name for layer in layers for name in layer.filters))
    filters = parse_filters(request.GET, names)
    if filters.kinds:
        check_kinds(request.GET, kind_codes(area))
    if filters.walks:
        check_walks(walks_not_in(area, filters.walks))


def tile_url(request, area: Area, layer: TileLayer) -> str:
    """The layer's tile address with the request's filters, checked (check_for_area) and
    written canonically: a client copies the address as it is."""
    check_for_area(request, area, [layer])
    return tile_address(request, area, layer)


def tile_address(request, area: Area, layer: TileLayer) -> str:
    """The layer's tile address with the request's filters written canonically, once
    check_for_area has let them through."""
    query = parse_filters(request.GET, layer.filters).applied
    base = (
        f"{request.scheme}://{request.get_host()}/tiles/{area.slug}/{layer.name}"
        "/{z}/{x}/{y}.mvt"
    )
    return f"{base}?{urlencode(query)}" if query else base


def area_bounds(access: Access) -> list[float]:
    area = access.area
    if area.boundary is not None:
        return list(area.boundary.extent)
    extent = area.blocks.aggregate(extent=Extent("geom"))["extent"]
    return list(extent) if extent else [-180.0, -85.0511, 180.0, 85.0511]


def tilejson(request, access: Access, layer: TileLayer) -> dict:
    bounds = area_bounds(access)
    maxzoom = SOURCE_MAXZOOM[layer.name]
    return {
        "tilejson": "3.0.0",
        "name": f"{access.area.name}: {layer.name}",
        "scheme": "xyz",
        "tiles": [tile_url(request, access.area, layer)],
        "minzoom": 0,
        "maxzoom": maxzoom,
        "bounds": bounds,
        "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 14],
        "vector_layers": [
            {"id": layer.name, "fields": layer.fields, "minzoom": 0, "maxzoom": maxzoom}
        ],
    }


def _match(attribute: str, colours: dict, default: str) -> list:
    expression = ["match", ["get", attribute]]
    for value, colour in colours.items():
        expression += [value, colour]
    return expression + [default]


def _blocks_layers() -> list[dict]:
    """Blocks coloured by their comparison class, outlined once they are large enough."""
    return [
        {
            "id": "blocks-class",
            "type": "fill",
            "source": "blocks",
            "source-layer": "blocks",
            "paint": {
                "fill-color": _match("class", CLASS_COLOURS, "#f7f5f0"),
                "fill-opacity": 0.8,
            },
        },
        {
            "id": "blocks-outline",
            "type": "line",
            "source": "blocks",
            "source-layer": "blocks",
            # Outlines only once blocks are large enough to tell apart: below z14 the
            # area's thousands of edges would grey out the classes' colours.
            "paint": {
                "line-color": "#6b6b6b",
                "line-width": ["interpolate", ["linear"], ["zoom"], 13, 0, 15, 0.8],
            },
        },
    ]


def _crime_layers() -> list[dict]:
    """Crime per block as circles sized by the count, exact points for those who see them."""
    return [
        {
            "id": "crime-counts",
            "type": "circle",
            "source": "crime",
            "source-layer": "crime",
            "filter": ["has", "count"],
            "paint": {
                "circle-color": "#b30000",
                "circle-opacity": 0.55,
                "circle-stroke-color": "#ffffff",
                # White rings on every block read as noise across the whole area.
                "circle-stroke-width": ["interpolate", ["linear"], ["zoom"], 13, 0, 15, 0.8],
                # Area proportional to the count, growing with the zoom, capped so a hot
                # spot does not hide its neighbours.
                "circle-radius": [
                    "interpolate",
                    ["linear"],
                    ["zoom"],
                    12,
                    ["min", 12, ["*", 0.6, ["sqrt", ["get", "count"]]]],
                    17,
                    ["min", 26, ["*", 1.6, ["sqrt", ["get", "count"]]]],
                ],
            },
        },
        {
            "id": "crime-points",
            "type": "circle",
            "source": "crime",
            "source-layer": "crime",
            "minzoom": CRIME_POINTS_MINZOOM,
            "filter": ["!", ["has", "count"]],
            # Small where a hot street holds thousands: the blocks' colours stay readable.
            "paint": {
                "circle-color": "#b30000",
                "circle-radius": ["interpolate", ["linear"], ["zoom"], 15, 2.5, 18, 5],
                "circle-stroke-color": "#ffffff",
                "circle-stroke-width": ["interpolate", ["linear"], ["zoom"], 15, 0.5, 18, 1],
            },
        },
    ]


def _walks_layers() -> list[dict]:
    """Walk routes, dark at night and orange by day; dashed while planned or under way, solid
    once walked. Two layers filtered by status rather than one data-driven dash pattern, which
    MapLibre Native and QGIS do not draw."""
    under_way = ["match", ["get", "status"], ["planned", "walking"], True, False]
    route = {
        "type": "line",
        "source": "walks",
        "source-layer": "walks",
        "layout": {"line-cap": "round", "line-join": "round"},
        "paint": {
            "line-color": _match("light", {"night": "#1f2a6b"}, "#e08a00"),
            "line-width": 3,
        },
    }
    # Butt caps: round ones add half the line's width to each end of every dash, which closed
    # the [2, 1] gaps, and a planned route looked walked.
    planned = {
        **route,
        "layout": {**route["layout"], "line-cap": "butt"},
        "paint": {**route["paint"], "line-dasharray": [2, 1]},
    }
    return [
        {"id": "walks-route", **route, "filter": ["!", under_way]},
        {"id": "walks-route-planned", **planned, "filter": under_way},
    ]


# How opaque a finding followed up as fixed or as needing no action is drawn, of its full
# opacity: faded, so what still waits stands out to a planner following defects up.
SETTLED_OPACITY = 0.35


def _settled(opacity: float) -> list:
    """`opacity`, faded for a settled finding (the tile's `settled` attribute)."""
    return ["case", ["has", "settled"], round(opacity * SETTLED_OPACITY, 3), opacity]


def _observations_layers() -> list[dict]:
    """Findings: areas, lines and a symbol per kind for points; settled ones faded."""
    colour = _match("kind", KIND_COLOURS, FALLBACK_COLOUR)
    severity = ["coalesce", ["get", "severity"], 3]
    return [
        {
            "id": "observations-areas",
            "type": "fill",
            "source": "observations",
            "source-layer": "observations",
            "filter": ["==", ["geometry-type"], "Polygon"],
            "paint": {"fill-color": colour, "fill-opacity": _settled(0.35)},
        },
        {
            "id": "observations-lines",
            "type": "line",
            "source": "observations",
            "source-layer": "observations",
            "filter": ["==", ["geometry-type"], "LineString"],
            "paint": {"line-color": colour, "line-width": 3, "line-opacity": _settled(1)},
        },
        {
            # A symbol per kind, its shape and colour from the sprite (tiles/sprite.py);
            # bigger with severity, the most severe drawn on top.
            "id": "observations-points",
            "type": "symbol",
            "source": "observations",
            "source-layer": "observations",
            "filter": ["==", ["geometry-type"], "Point"],
            "layout": {
                "icon-image": [
                    "coalesce",
                    ["image", ["concat", image_name(""), ["get", "kind"]]],
                    ["image", image_name(FALLBACK)],
                ],
                "icon-size": ["interpolate", ["linear"], severity, 1, 0.5, 5, 0.85],
                "icon-allow-overlap": True,
                "icon-ignore-placement": True,
                "symbol-sort-key": severity,
            },
            "paint": {"icon-opacity": _settled(1)},
        },
    ]


def _lamps_layers() -> list[dict]:
    """Street lamps coloured by their status."""
    return [
        {
            "id": "lamps-status",
            "type": "circle",
            "source": "lamps",
            "source-layer": "lamps",
            "paint": {
                "circle-color": _match("status", LAMP_COLOURS, "#bbbbbb"),
                "circle-radius": ["interpolate", ["linear"], ["zoom"], 13, 1.5, 18, 5],
                "circle-stroke-color": "#444444",
                "circle-stroke-width": 0.5,
            },
        }
    ]


# Hot spots as the Gi* bins say (95 % and 99 %): crime outlined in red, perceived insecurity
# in blue and dashed, inside the crime line, so a block hot for both shows both.
HOTSPOT_COLOURS = {"crime": "#b2182b", "insecurity": "#2166ac"}


def _hotspot_layers() -> list[dict]:
    """Blocks in a Gi* hot spot of crime or of perceived insecurity, outlined; hidden until
    asked for (the planner map's list, or a QGIS user), as the rasters are."""
    layers = []
    for measure, colour in HOTSPOT_COLOURS.items():
        gi_bin = ["coalesce", ["get", f"{measure}_gi_bin"], 0]
        paint = {
            "line-color": colour,
            "line-width": ["match", gi_bin, 3, 3.5, 2.2],
            "line-offset": 0 if measure == "crime" else 2.5,
        }
        if measure == "insecurity":
            paint["line-dasharray"] = [2, 1]
        layers.append(
            {
                "id": f"hotspots-{measure}",
                "type": "line",
                "source": "blocks",
                "source-layer": "blocks",
                "filter": [">=", gi_bin, 2],
                "layout": {"visibility": "none", "line-join": "round"},
                "paint": paint,
            }
        )
    return layers


# MapLibre layers per source; ids start with the source name (the page toggles them), but for
# the hot spots, drawn from the blocks' tiles and toggled on their own.
STYLE_LAYERS = {
    "blocks": _blocks_layers,
    "crime": _crime_layers,
    "walks": _walks_layers,
    "observations": _observations_layers,
    "lamps": _lamps_layers,
}


# Drawing order from bottom to top.
DRAW_ORDER = ["blocks", "walks", "crime", "lamps", "observations"]


def shown_run(access: Access):
    """The analysis the map shows, for roles that see analyses."""
    return analysis_shown(access.area) if access.can("view_layers") else None


def raster_names(access: Access, run) -> list[str]:
    """The rasters of the analysis the map shows, for roles that may see them (tiles/raster.py
    answers the same)."""
    names = run.rasters.values_list("name", flat=True) if run else []
    return sorted(name for name in names if raster_visible(access, name))


def raster_ranges(access: Access, run) -> dict[str, list[float]]:
    """Per raster the map shows: the values its colour ramp runs between, for the legend (the
    tiles colour by the same range, tiles/raster.py). A thinned crime density starts where
    this viewer's surface starts."""
    ranges = {}
    for stored in run.rasters.all() if run else []:
        path = Path(settings.MEDIA_ROOT) / stored.path
        if not raster_visible(access, stored.name) or not path.is_file():
            continue
        low, high = value_range(str(path), path.stat().st_mtime)
        if high <= low:
            continue  # an empty surface (no findings in the period): nothing to range over
        floor = density_floor(access, run) if stored.name == "crime_density" else None
        if floor and floor >= high:
            continue  # nothing of it shows for this viewer: the legend says low and high only
        ranges[stored.name] = [max(low, floor) if floor else low, high]
    return ranges


def _raster_style(request, slug: str, names: list[str], bounds: list[float]):
    """Sources and layers of the analysis rasters, hidden until asked for: each covers the
    whole area and would hide the blocks' colours under it."""
    base = f"{request.scheme}://{request.get_host()}/tiles/{slug}/raster"
    sources = {
        f"raster-{name}": {
            "type": "raster",
            "tiles": [f"{base}/{name}/{{z}}/{{x}}/{{y}}.png"],
            "tileSize": 256,
            "bounds": bounds,
        }
        for name in names
    }
    layers = [
        {
            "id": f"raster-{name}",
            "type": "raster",
            "source": f"raster-{name}",
            "layout": {"visibility": "none"},
            "paint": {"raster-opacity": 0.85},
        }
        for name in names
    ]
    return sources, layers


def style(request, access: Access) -> dict:
    slug = access.area.slug
    names = [name for name in DRAW_ORDER if name in visible_layers(access)]
    bounds = area_bounds(access)
    check_for_area(request, access.area, [LAYERS[name] for name in names])
    sources = {
        name: {
            "type": "vector",
            "tiles": [tile_address(request, access.area, LAYERS[name])],
            "minzoom": 0,
            "maxzoom": SOURCE_MAXZOOM[name],
            "bounds": bounds,
        }
        for name in names
    }
    raster_sources, raster_layers = _raster_style(
        request, slug, raster_names(access, shown_run(access)), bounds
    )
    sources.update(raster_sources)
    layers = [{"id": "background", "type": "background", "paint": {"background-color": "#f4f1ea"}}]
    for name in names:
        layers += STYLE_LAYERS[name]()
        if name == "blocks":  # above the blocks' colours, under every point and line
            layers += raster_layers
            if access.can("view_layers"):  # the Gi* bins are in the tiles of these roles
                layers += _hotspot_layers()
    style = {
        "version": 8,
        "name": access.area.name,
        "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2],
        "zoom": 14,
        "sources": sources,
        "layers": layers,
        "metadata": {"trygg:area": slug, "trygg:view": access.cache_key},
    }
    if "observations" in names:
        style["sprite"] = sprite_url(request)
    return style


def sprite_url(request) -> str:
    """The kinds' symbols; clients add `.json`, `.png` or `@2x.png` to it."""
    return f"{request.scheme}://{request.get_host()}/tiles/sprite/{sprite.version()}"
