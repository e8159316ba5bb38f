"""Raster tiles from the rasters of the analysis the map shows (pinned, else the latest run;
GeoTIFFs in the area's analysis CRS).

Each tile reads the coarsest overview that still has at least the tile's resolution, warps it to
Web Mercator for exactly the tile's 256×256 pixels and colours it with a ramp whose transparency
grows with the value, so the vector layers and the ground stay readable beneath.
"""

import hashlib
import io
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import rasterio
from django.conf import settings
from PIL import Image
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.transform import from_bounds
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds

from geo.access import access_for
from geo.models import Area
from geo.services import data_versions
from layers.analysis.results import analysis_shown, suppression_threshold
from tiles.catalogue import FORBIDDEN

TILE_PX = 256
ORIGIN = 20037508.342789244

# Colour stops (value 0…1 → RGBA). Diverging for the perception gap (negative: crime exceeds
# fear, positive: fear exceeds crime), sequential elsewhere; alpha grows with the magnitude.
SEQUENTIAL = [
    (0.0, (255, 255, 178, 0)),
    (0.25, (254, 204, 92, 110)),
    (0.5, (253, 141, 60, 160)),
    (0.75, (240, 59, 32, 190)),
    (1.0, (189, 0, 38, 215)),
]
DIVERGING = [
    (0.0, (202, 0, 32, 200)),
    (0.3, (244, 165, 130, 120)),
    (0.5, (247, 247, 247, 0)),
    (0.7, (146, 197, 222, 120)),
    (1.0, (5, 113, 176, 200)),
]
RAMPS = {"perception_gap": DIVERGING}


@dataclass(frozen=True)
class RasterSource:
    path: Path
    name: str
    run_id: int
    version: int
    # Values below this are left out for this viewer (None: all shown); see density_floor.
    floor: float | None = None


# The insecurity surface is the findings' kernel density, and the perception gap is made from
# it: as raw as the walks' own findings, which the public of a published area does not see.
FROM_FINDINGS = {"insecurity", "perception_gap"}


def raster_visible(access, name: str) -> bool:
    if not access.can("view_layers"):
        return False
    return name not in FROM_FINDINGS or access.is_superuser or access.role is not None


def density_floor(access, run) -> float | None:
    """The crime density below which a non-analyst sees nothing. The surface is each incident
    spread by a known Gaussian kernel: fitted back, its peaks gave every incident's place
    (within metres) and count, which only analysts may see. Below the peak of as many incidents
    as a count must reach to be shown (TRYGG_MIN_AGGREGATE_COUNT), the surface is left out, so
    what shows is where that many overlap (docs/privacy.md)."""
    threshold = suppression_threshold(access)
    bandwidth = (run.figures or {}).get("bandwidth_m")
    if threshold is None or not bandwidth:
        return None
    single_peak = 1e6 / (2 * math.pi * bandwidth**2)  # one incident, per km², at its centre
    return threshold * single_peak


def raster_for(request, slug: str, name: str, user):
    """The raster `name` of the run the area's map shows if the user may see it, FORBIDDEN
    if their role may not, None if the area or raster does not exist for them."""
    area = Area.objects.filter(slug=slug).first()
    if area is None:
        return None
    access = access_for(user, area)
    if not access.can("view_area"):
        return None
    if not raster_visible(access, name):
        return FORBIDDEN
    run = analysis_shown(area)
    stored = run.rasters.filter(name=name).first() if run else None
    if stored is None:
        return None
    path = Path(settings.MEDIA_ROOT) / stored.path
    if not path.is_file():
        return None
    floor = density_floor(access, run) if name == "crime_density" else None
    return RasterSource(path, name, run.pk, data_versions(area=area)["analysis"], floor)


# A raster whose run was deleted after raster_for found it: its files go when the deletion
# commits (layers.analysis.services.analysis_files_delete), between render_tile's reads.
RASTER_GONE = (RasterioIOError, FileNotFoundError)


def raster_etag(source: RasterSource, z: int, x: int, y: int) -> str:
    key = f"r2|{source.name}|{source.run_id}|{source.version}|{source.floor}|{z}/{x}/{y}"
    return hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    size = 2 * ORIGIN / (1 << z)
    west = -ORIGIN + x * size
    north = ORIGIN - y * size
    return west, north - size, west + size, north


@lru_cache(maxsize=64)
def value_range(path: str, mtime: float) -> tuple[float, float]:
    """The data's range, read from the coarsest overview; cached per file version."""
    with rasterio.open(path) as src:
        levels = src.overviews(1)
        factor = levels[-1] if levels else 1
        shape = (max(1, src.height // factor), max(1, src.width // factor))
        data = src.read(1, out_shape=shape, masked=True)
    values = data.compressed()
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0, 0.0
    return float(values.min()), float(values.max())


def overview_level(src, tile_metres: float) -> int | None:
    """Index of the coarsest overview finer than the tile's pixels (None: full resolution)."""
    chosen = None
    for index, factor in enumerate(src.overviews(1)):
        if src.res[0] * factor <= tile_metres:
            chosen = index
    return chosen


def colourise(values: np.ma.MaskedArray, low: float, high: float, ramp) -> np.ndarray:
    if ramp is DIVERGING:
        extent = max(abs(low), abs(high)) or 1.0
        scaled = (values.filled(0.0) + extent) / (2 * extent)
    else:
        scaled = (values.filled(low) - low) / ((high - low) or 1.0)
    scaled = np.clip(scaled, 0.0, 1.0)
    stops = [stop for stop, _ in ramp]
    rgba = np.empty(values.shape + (4,), dtype=np.uint8)
    for channel in range(4):
        rgba[..., channel] = np.interp(scaled, stops, [colour[channel] for _, colour in ramp])
    rgba[..., 3][np.ma.getmaskarray(values) | ~np.isfinite(values.filled(0.0))] = 0
    return rgba


def render_tile(
    path: Path, name: str, z: int, x: int, y: int, floor: float | None = None
) -> bytes | None:
    """The PNG of one tile, or None when the raster does not reach it or is empty there."""
    west, south, east, north = tile_bounds(z, x, y)
    with rasterio.open(path) as src:
        sw, ss, se, sn = transform_bounds(src.crs, "EPSG:3857", *src.bounds)
        if west >= se or east <= sw or south >= sn or north <= ss:
            return None
        # Mercator metres shrink to ground metres by cos(latitude).
        lat = math.degrees(math.atan(math.sinh((north + south) / 2 / 6378137.0)))
        tile_metres = (east - west) / TILE_PX * math.cos(math.radians(lat))
        level = overview_level(src, tile_metres)
        crs, nodata = src.crs, src.nodata
    low, high = value_range(str(path), path.stat().st_mtime)
    opened = rasterio.open(path, overview_level=level) if level is not None else rasterio.open(path)
    with opened as src:
        with WarpedVRT(
            src,
            src_crs=crs,
            crs="EPSG:3857",
            transform=from_bounds(west, south, east, north, TILE_PX, TILE_PX),
            width=TILE_PX,
            height=TILE_PX,
            resampling=Resampling.bilinear,
            # Without a nodata value an alpha band marks where the raster has no data.
            **(
                {"src_nodata": nodata, "nodata": nodata}
                if nodata is not None
                else {"add_alpha": True}
            ),
        ) as vrt:
            values = vrt.read(1, masked=True).astype("float64")
    if floor is not None:
        values = np.ma.masked_less(values, floor)
    if values.count() == 0:
        return None
    rgba = colourise(values, low, high, RAMPS.get(name, SEQUENTIAL))
    if not rgba[..., 3].any():
        return None
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG", compress_level=6)
    return buffer.getvalue()
