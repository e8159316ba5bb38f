"""Parsing the `bbox` query parameter shared by list endpoints, tiles' neighbours and OGC API."""

import math

from django.contrib.gis.geos import Polygon
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError


def parse_bbox(raw: str | None, field: str = "bbox") -> Polygon | None:
    """'minlon,minlat,maxlon,maxlat' in WGS 84 → Polygon, or a 400 naming what is wrong."""
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    if len(parts) == 6:  # with heights, as OGC API clients may send it: the heights go
        parts = parts[0:2] + parts[3:5]
    if len(parts) != 4:
        raise ValidationError({field: [_("Expected four numbers: minlon,minlat,maxlon,maxlat.")]})
    try:
        xmin, ymin, xmax, ymax = (float(p) for p in parts)
    except ValueError:
        raise ValidationError({field: [_("Every bbox value must be a number.")]}) from None
    if not all(math.isfinite(v) for v in (xmin, ymin, xmax, ymax)):
        raise ValidationError({field: [_("bbox values must be finite numbers.")]})
    if not (
        -180 <= xmin <= 180 and -180 <= xmax <= 180 and -90 <= ymin <= 90 and -90 <= ymax <= 90
    ):
        raise ValidationError(
            {field: [_("bbox must be longitude/latitude in WGS 84 (EPSG:4326).")]}
        )
    if xmin > xmax or ymin > ymax:
        raise ValidationError({field: [_("bbox minimum must not exceed its maximum.")]})
    bbox = Polygon.from_bbox((xmin, ymin, xmax, ymax))
    bbox.srid = 4326
    return bbox
