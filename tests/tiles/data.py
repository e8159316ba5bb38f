"""Tiny explicit layer data in the test area (tests/factories.py: 13.000–13.018 E, 55.600–55.610 N,
four quadrant blocks SW, SE, NW, NE created in that order, so SW has the lowest id)."""

import datetime as dt
import gzip
import itertools
import math

import mapbox_vector_tile
import numpy as np
import rasterio
from django.contrib.gis.geos import LineString, Point
from django.utils import timezone
from rasterio.enums import Resampling
from rasterio.transform import from_origin
from rasterio.warp import transform_bounds

from geo.models import Block
from layers.assignment import crime_blocks_store
from layers.models import AnalysisRaster, AnalysisRun, BlockResult, CrimeIncident, Lamp, RunStatus
from walks.models import Observation, ObservationKind, Walk

MARCH = dt.date(2025, 3, 1)

# lon, lat → the block the exactly-once rule assigns it to (None: unassigned).
CRIME_POINTS = [
    ((13.002, 55.601), "SW"),
    ((13.003, 55.602), "SW"),
    ((13.004, 55.603), "SW"),
    ((13.009, 55.602), "SW"),  # on the SW/SE boundary: the lower block id takes it
    ((13.015, 55.608), "NE"),
    ((13.01816, 55.608), "NE"),  # about 10 m east of the area: snapped to NE
    ((13.0196, 55.608), None),  # about 100 m east: beyond the 25 m snap distance
]


def tile_xy(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Fractional Web Mercator tile coordinates of a point."""
    n = 1 << z
    x = (lon + 180) / 360 * n
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return x, y


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    x, y = tile_xy(lon, lat, z)
    return z, int(x), int(y)


def pixel(lon: float, lat: float, z: int, x: int, y: int) -> tuple[float, float]:
    """Where a point falls in tile z/x/y in MVT units (0…4096, y down)."""
    fx, fy = tile_xy(lon, lat, z)
    return (fx - x) * 4096, (fy - y) * 4096


# The test area fits in one z9 tile (its neighbours at higher zooms split it).
WHOLE_AREA = (9, 274, 160)


def decode(response) -> dict:
    body = response.content
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})


def features(response, layer: str) -> list[dict]:
    return decode(response).get(layer, {}).get("features", [])


_source_keys = itertools.count(1)


def add_crime(area, lon, lat, *, month=MARCH, category="burglary", assign=True):
    incident = CrimeIncident.objects.create(
        area=area,
        geom=Point(lon, lat, srid=4326),
        month=month,
        category=category,
        original_category=category,
        source_dataset="test",
        source_key=f"test:{next(_source_keys)}",
        precision="exact",
    )
    if assign:  # as an import does
        crime_blocks_store(area=area)
    return incident


def add_crime_points(area):
    incidents = [add_crime(area, lon, lat, assign=False) for (lon, lat), _ in CRIME_POINTS]
    crime_blocks_store(area=area)
    return incidents


def blocks_by_code(area) -> dict[str, Block]:
    return {b.code: b for b in area.blocks.all()}


def add_run(area, results: dict[str, dict], *, finished_at=None) -> AnalysisRun:
    run = AnalysisRun.objects.create(
        area=area, status=RunStatus.DONE, finished_at=finished_at or timezone.now()
    )
    blocks = blocks_by_code(area)
    for code, figures in results.items():
        BlockResult.objects.create(run=run, block=blocks[code], **figures)
    return run


def add_walk(area, *, light="day", starts_at=None, route=None) -> Walk:
    return Walk.objects.create(
        area=area,
        name=f"{light} walk",
        light=light,
        starts_at=starts_at or timezone.make_aware(dt.datetime(2025, 3, 10, 18, 0)),
        route=route or LineString((13.001, 55.601), (13.017, 55.609), srid=4326),
    )


def add_observation(walk, geom, kind, *, severity=3, feeling=2, captured_at=None) -> Observation:
    return Observation.objects.create(
        walk=walk,
        kind=ObservationKind.objects.get(code=kind, area__isnull=True),
        geom=geom,
        severity=severity,
        feeling=feeling,
        captured_at=captured_at or walk.starts_at + dt.timedelta(minutes=10),
    )


def add_lamp(area, lon, lat, status="working") -> Lamp:
    return Lamp.objects.create(area=area, geom=Point(lon, lat, srid=4326), status=status)


def write_density_raster(area, media_root):
    """A real 10 m GeoTIFF with overviews over the test area, zero in the west half and rising
    to the east, stored as the crime_density raster of a new done run."""
    west, south, east, north = transform_bounds(
        "EPSG:4326", "EPSG:32633", 13.0, 55.6, 13.018, 55.61
    )
    width, height = int((east - west) // 10) + 1, int((north - south) // 10) + 1
    values = np.tile(np.linspace(-1.0, 1.0, width, dtype="float32"), (height, 1)).clip(0, None)
    values[:5, :5] = -9999  # nodata corner
    path = media_root / "rasters" / "crime_density.tif"
    path.parent.mkdir(exist_ok=True)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs="EPSG:32633",
        transform=from_origin(west, north, 10, 10),
        nodata=-9999,
    ) as dst:
        dst.write(values, 1)
        dst.build_overviews([2, 4, 8], Resampling.average)
    run = add_run(area, {})
    AnalysisRaster.objects.create(run=run, name="crime_density", path="rasters/crime_density.tif")
    return path
