"""Filters for the LOGGING setting."""

import logging


class WithoutGdalSkipNotice(logging.Filter):
    """Drop rasterio's notice that its GDAL has no vector VRT driver to skip.

    The settings put OGR_VRT in GDAL_SKIP for the GDAL that reads uploads (pyogrio's, and
    Django's). rasterio carries a GDAL of its own, built for rasters without that driver, and
    says so on every process's first raster: a warning in `make run`, `load_demo` and every
    analysis run about a driver that is, as wanted, not there."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "to unload from GDAL_SKIP" not in record.getMessage()
