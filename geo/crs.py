"""Coordinate reference systems: choosing an area's metric analysis CRS."""

from django.contrib.gis.geos import GEOSGeometry


def utm_srid_for(geometry: GEOSGeometry) -> int:
    """The WGS 84 / UTM zone EPSG code for the centre of a lon/lat geometry.

    Metric work (areas, distances, bandwidths, rasters) runs in this CRS unless the area sets its
    own (e.g. EPSG:3006 in Sweden). Norway's and Svalbard's zone exceptions are honoured so the
    zone matches what local GIS users expect.
    """
    centre = geometry.centroid
    lon, lat = centre.x, centre.y
    zone = int((lon + 180) // 6) + 1
    if 56 <= lat < 64 and 3 <= lon < 12:
        zone = 32
    elif 72 <= lat < 84 and lon >= 0:
        if lon < 9:
            zone = 31
        elif lon < 21:
            zone = 33
        elif lon < 33:
            zone = 35
        elif lon < 42:
            zone = 37
    zone = min(max(zone, 1), 60)
    return (32600 if lat >= 0 else 32700) + zone


def looks_swapped(
    lon: float, lat: float, boundary_extent: tuple[float, float, float, float]
) -> bool:
    """True when (lat, lon) would fall in the extent although (lon, lat) does not."""
    xmin, ymin, xmax, ymax = boundary_extent
    inside = xmin <= lon <= xmax and ymin <= lat <= ymax
    swapped_inside = xmin <= lat <= xmax and ymin <= lon <= ymax
    return swapped_inside and not inside
