"""Surfaces of a run on one grid in the analysis CRS, written as Cloud-Optimized GeoTIFFs.

crime_density: Gaussian kernel density of the assigned incidents, incidents per km²; it integrates
to the number of incidents (the grid reaches 4 bandwidths beyond the blocks).
insecurity: the same kernel over observations weighted +severity/5 (negative) and −w₊ (positive),
clipped at 0, per km². perception_gap: standardised insecurity minus standardised crime density
over the cells of the blocks' extent (positive: more fear than crime), NaN elsewhere.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.io import MemoryFile
from rasterio.transform import from_origin
from scipy.signal import fftconvolve

MAX_CELLS = 40_000_000
PADDING_BANDWIDTHS = 4.0


class GridTooLarge(ValueError):
    pass


def bandwidth_rule(points: np.ndarray) -> float | None:
    """Silverman's rule of thumb made spatial, as ArcGIS Kernel Density applies it:
    h = 0.9 · min(SD, √(1/ln 2) · Dm) · n^(−1/5), with SD the standard distance of the points and
    Dm their median distance from the mean centre. None for fewer than two distinct points."""
    if len(points) < 2:
        return None
    offsets = points - points.mean(axis=0)
    distances = np.hypot(offsets[:, 0], offsets[:, 1])
    standard_distance = math.sqrt((offsets**2).sum(axis=1).mean())
    spread = min(standard_distance, math.sqrt(1 / math.log(2)) * float(np.median(distances)))
    if spread <= 0:
        return None
    return 0.9 * spread * len(points) ** -0.2


@dataclass
class Grid:
    west: float
    north: float
    cell: float
    width: int
    height: int
    inner: tuple[slice, slice]  # rows, columns of the blocks' extent

    @property
    def transform(self):
        return from_origin(self.west, self.north, self.cell, self.cell)

    def indices(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        columns = np.floor((points[:, 0] - self.west) / self.cell).astype(np.int64)
        rows = np.floor((self.north - points[:, 1]) / self.cell).astype(np.int64)
        return rows, columns


def grid_for(bounds: tuple[float, float, float, float], *, cell: float, bandwidth: float) -> Grid:
    xmin, ymin, xmax, ymax = bounds
    pad = PADDING_BANDWIDTHS * bandwidth
    west = math.floor((xmin - pad) / cell) * cell
    south = math.floor((ymin - pad) / cell) * cell
    east = math.ceil((xmax + pad) / cell) * cell
    north = math.ceil((ymax + pad) / cell) * cell
    width, height = round((east - west) / cell), round((north - south) / cell)
    if width * height > MAX_CELLS:
        raise GridTooLarge(
            f"The surfaces would have {width * height:,} cells (at most {MAX_CELLS:,});"
            " use larger cells or a smaller bandwidth."
        )
    rows = slice(int((north - ymax) // cell), int(math.ceil((north - ymin) / cell)))
    columns = slice(int((xmin - west) // cell), int(math.ceil((xmax - west) / cell)))
    return Grid(west, north, cell, width, height, (rows, columns))


def _kernel(bandwidth: float, cell: float) -> np.ndarray:
    sigma = bandwidth / cell
    radius = max(1, math.ceil(4 * sigma))
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    line = np.exp(-0.5 * (offsets / sigma) ** 2)
    line /= line.sum()
    return np.outer(line, line)


def kernel_density(
    points: np.ndarray, weights: np.ndarray | None, grid: Grid, bandwidth: float
) -> np.ndarray:
    """Σ weight · Gaussian kernel, as a density per km² on the grid (float32)."""
    surface = np.zeros((grid.height, grid.width), dtype=np.float64)
    if len(points):
        rows, columns = grid.indices(points)
        inside = (rows >= 0) & (rows < grid.height) & (columns >= 0) & (columns < grid.width)
        flat = rows[inside] * grid.width + columns[inside]
        counts = np.bincount(
            flat,
            weights=None if weights is None else weights[inside],
            minlength=grid.width * grid.height,
        ).reshape(grid.height, grid.width)
        surface = fftconvolve(counts, _kernel(bandwidth, grid.cell), mode="same")
        if weights is None or (weights >= 0).all():
            # FFT round-off leaves tiny negatives where the true value is 0.
            np.maximum(surface, 0, out=surface)
    return (surface * (1e6 / grid.cell**2)).astype(np.float32)


def perception_gap(insecurity: np.ndarray, crime: np.ndarray, grid: Grid) -> np.ndarray:
    gap = np.full(crime.shape, np.nan, dtype=np.float32)
    window = grid.inner
    fear, recorded = insecurity[window].astype(np.float64), crime[window].astype(np.float64)
    if fear.std() > 0 and recorded.std() > 0:
        gap[window] = (fear - fear.mean()) / fear.std() - (recorded - recorded.mean()) / (
            recorded.std()
        )
    return gap


def cog_write(path: Path, array: np.ndarray, grid: Grid, *, srid: int, nodata=None) -> None:
    """A Cloud-Optimized GeoTIFF with overviews (GDAL's COG driver), written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "dtype": "float32",
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "crs": f"EPSG:{srid}",
        "transform": grid.transform,
        "nodata": nodata,
    }
    partial = path.with_suffix(".partial.tif")
    with MemoryFile() as memory:
        with memory.open(**profile) as dataset:
            dataset.write(array, 1)
        with memory.open() as dataset:
            rasterio.shutil.copy(
                dataset,
                partial,
                driver="COG",
                COMPRESS="DEFLATE",
                LEVEL=1,
                PREDICTOR="YES",
                BLOCKSIZE=512,
                OVERVIEW_RESAMPLING="AVERAGE",
                NUM_THREADS="ALL_CPUS",
            )
    partial.replace(path)
