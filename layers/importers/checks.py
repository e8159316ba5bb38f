"""Checks of one row's values that every importer shares, and of a file's coordinate
reference system: coordinates (in degrees or a projected CRS, swapped or placeholder ones
caught), points of a GDAL layer, months and dates, rows shorter than their header, text
PostgreSQL cannot store.

A check returns the value it read or raises RowRejected with the row's reason (ImportRefused
for a whole file)."""

import functools
import math
from datetime import date, datetime, timedelta

import shapely
from django.contrib.gis.gdal import SpatialReference
from django.utils import timezone

from geo.crs import looks_swapped
from layers.importers import sql
from layers.importers.base import ImportRefused, RowRejected, fixed

NUL = "\x00"


def check_srid(srid: int) -> None:
    if not sql.srid_known(srid):
        raise ImportRefused(
            "srid", f"EPSG:{srid} is not a coordinate reference system PostGIS knows."
        )


def coordinate(text: str) -> float:
    """A coordinate as written: with a decimal point, or the decimal comma of a spreadsheet
    saved in a Nordic or German locale ("55,6012", "377736,21"), which has no other comma."""
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")
    return float(text)


@functools.cache
def srid_in_degrees(srid: int) -> bool:
    """Whether a CRS's coordinates are longitude and latitude. From GDAL's EPSG tables, not
    PostGIS's: rows are checked while they are being copied into the database."""
    return SpatialReference(srid).geographic


def check_lonlat(x_text: str, y_text: str, extent, srid: int = 4326) -> tuple[float, float]:
    if not x_text.strip() or not y_text.strip():
        raise RowRejected("no location: the coordinate columns are empty")
    try:
        x, y = coordinate(x_text), coordinate(y_text)
    except ValueError:
        raise RowRejected("coordinates {x!r}, {y!r} are not numbers", x=x_text, y=y_text) from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise RowRejected("coordinates are not finite numbers")
    if x == 0 and y == 0:
        raise RowRejected("coordinates are 0,0, a placeholder for a missing location")
    if not srid_in_degrees(srid):
        if abs(x) <= 180 and abs(y) <= 90:
            # Metres this close to a projected CRS's origin are longitudes and latitudes
            # imported with the wrong srid (they would land far outside the area).
            raise RowRejected(
                "coordinates {x}, {y} look like longitude and latitude (degrees), not"
                f" EPSG:{srid}, whose units are not degrees: leave srid out for WGS 84",
                x=x,
                y=y,
            )
        return x, y
    if abs(y) > 90 or abs(x) > 180:
        if abs(x) <= 90 and abs(y) <= 180:
            raise RowRejected(
                "latitude and longitude look swapped: latitude {y} is beyond ±90 "
                "but would be a valid longitude",
                y=y,
            )
        if min(abs(x), abs(y)) > 1000:
            raise RowRejected(
                "coordinates {x}, {y} look projected (metres), not longitude and latitude:"
                " name their EPSG code with srid (e.g. 3006 for SWEREF 99 TM)",
                x=x,
                y=y,
            )
        raise RowRejected(
            "coordinates {x}, {y} are outside longitude ±180 / latitude ±90", x=x, y=y
        )
    if extent and looks_swapped(x, y, extent):
        raise RowRejected(
            "latitude and longitude look swapped: ({y}, {x}) lies in the area, ({x}, {y}) does not",
            x=x,
            y=y,
        )
    return x, y


def point_of(wkb) -> tuple[float, float]:
    if wkb is None:
        raise RowRejected("the feature has no geometry")
    geometry = shapely.from_wkb(wkb)
    if geometry.is_empty:
        raise RowRejected("the feature's geometry is empty")
    if geometry.geom_type == "MultiPoint" and len(geometry.geoms) == 1:
        geometry = geometry.geoms[0]
    if geometry.geom_type != "Point":
        raise RowRejected(f"the geometry is a {geometry.geom_type}, not a point")
    return geometry.x, geometry.y


# A recorded incident cannot lie ahead; a day's slack for clocks and time zones.
FUTURE_SLACK = timedelta(days=1)


def parse_month(text: str) -> date:
    text = text.strip()
    try:
        if len(text) != 7 or text[4] != "-":
            raise ValueError
        month = date(int(text[:4]), int(text[5:]), 1)
    except ValueError:
        raise RowRejected("Month {text!r} is not a month written YYYY-MM", text=text) from None
    if month > timezone.localdate():
        raise RowRejected("Month {text!r} is in the future", text=text)  # a mistyped year
    return month


def parse_datetime(text: str, tz) -> tuple[datetime | None, date]:
    """ISO 8601 date or date-time (naive ones are in `tz`), or YYYY-MM for a month only."""
    text = text.strip()
    if len(text) == 7 and text[4:5] == "-":
        return None, parse_month(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RowRejected(
            "date {text!r} is not ISO 8601 (YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss][±hh:mm]) or YYYY-MM",
            text=text,
        ) from None
    if not 1900 <= moment.year <= 2100:
        raise RowRejected("date {text!r} is outside the years 1900–2100", text=text)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=tz)
    else:  # the month is the area's: 23:30Z on New Year's Eve is January in Malmö
        moment = moment.astimezone(tz)
    if moment > timezone.now() + FUTURE_SLACK:
        raise RowRejected("date {text!r} is in the future", text=text)  # a mistyped year
    return moment, date(moment.year, moment.month, 1)


def too_few_fields(row: list[str]) -> RowRejected:
    return RowRejected("the row has {n} fields, fewer than the header", n=len(row))


def storable_text(column: str, text: str) -> str:
    """`text`, unless it holds a NUL character, which PostgreSQL's text cannot: one in a field
    to be stored failed the whole import, so the row is refused instead. Decoding keeps NUL
    bytes in CSV fields; GDAL ends a field's text at its first NUL, so GDAL layers have none."""
    if NUL in text:
        raise RowRejected(
            f"{fixed(column)} contains a NUL character (a zero byte), which cannot be stored as"
            " text"
        )
    return text
