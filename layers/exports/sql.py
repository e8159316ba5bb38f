"""PostGIS writes the geometry encodings of every export: GeoJSON features (RFC 7946: right-hand
rule winding, at most 7 decimals, WGS 84), WKT for CSV and WKB in the area's analysis CRS for
GDAL. Each function wraps a layer's compiled queryset; attribute names come from the layer
definitions (checked to be plain identifiers there), values always travel as parameters.

The S608 exemptions below: the only text put into these statements is the layer's attribute
names (validated identifiers) and Django's own compiled SQL; every value is a parameter.

Rows are read through a server-side cursor in batches, so memory stays flat however large the
layer is.
"""

from collections.abc import Iterator

from django.db import connection, transaction
from django.db.models import QuerySet

from layers.exports.definitions import Layer

BATCH_ROWS = 2000


def _inner(qs: QuerySet) -> tuple[str, tuple]:
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


def _columns(layer: Layer) -> str:
    return ", ".join(f'l."a_{a.name}"' for a in layer.attributes)


def _right_hand(geom: str) -> str:
    """Polygons wound by the right-hand rule (exterior counter-clockwise). Other geometries pass
    untouched: PostGIS 3.3's ST_ForcePolygonCCW would reverse lines."""
    return f"CASE WHEN ST_Dimension({geom}) = 2 THEN ST_ForcePolygonCCW({geom}) ELSE {geom} END"


def _page(limit: int | None, offset: int) -> tuple[str, tuple]:
    if limit is None:
        return " ORDER BY l.a_fid OFFSET %s", (offset,)
    return " ORDER BY l.a_fid LIMIT %s OFFSET %s", (limit, offset)


def geojson_sql(
    layer: Layer, qs: QuerySet, *, limit: int | None = None, offset: int = 0
) -> tuple[str, tuple]:
    """One row per feature: the Feature object as JSON text."""
    inner, params = _inner(qs)
    properties = ", ".join(f"'{a.name}', l.\"a_{a.name}\"" for a in layer.attributes)
    page, page_params = _page(limit, offset)
    sql = (
        "SELECT json_build_object('type', 'Feature', 'id', l.a_fid, 'geometry', "  # noqa: S608
        f"ST_AsGeoJSON({_right_hand('l.a_geom')}, 7)::json, "
        f"'properties', json_build_object({properties}))::text "
        f"FROM ({inner}) AS l{page}"
    )
    return sql, params + page_params


def csv_sql(layer: Layer, qs: QuerySet) -> tuple[str, tuple]:
    """One row per feature: WKT in WGS 84 (7 decimals), then the attributes."""
    inner, params = _inner(qs)
    page, page_params = _page(None, 0)
    sql = (
        f"SELECT ST_AsText({_right_hand('l.a_geom')}, 7), {_columns(layer)} "  # noqa: S608
        f"FROM ({inner}) AS l{page}"
    )
    return sql, params + page_params


def wkb_sql(layer: Layer, qs: QuerySet, *, srid: int, outlines: bool) -> tuple[str, tuple]:
    """One row per feature: WKB in `srid`, then the attributes.

    With `outlines` (for DXF) polygons become their boundary lines, since closed polylines are
    what CAD users draw with rather than filled hatches, and multi-part geometries come as one
    row per part, since GDAL's DXF writer draws single parts only."""
    inner, params = _inner(qs)
    page, page_params = _page(None, 0)
    if outlines:
        geom = "ST_Transform(l.a_geom, %s)"
        sql = (
            f"SELECT ST_AsBinary(part.geom), {_columns(layer)} FROM ({inner}) AS l "  # noqa: S608
            "CROSS JOIN LATERAL ST_Dump(CASE WHEN ST_Dimension(l.a_geom) = 2 "
            f"THEN ST_Boundary({geom}) ELSE {geom} END) AS part{page}"
        )
        return sql, params + (srid, srid) + page_params
    geom = f"ST_Transform({_right_hand('l.a_geom')}, %s)"
    sql = f"SELECT ST_AsBinary({geom}), {_columns(layer)} FROM ({inner}) AS l{page}"  # noqa: S608
    return sql, (srid,) + params + page_params


def count_sql(qs: QuerySet) -> tuple[str, tuple]:
    inner, params = _inner(qs)
    return f"SELECT count(*) FROM ({inner}) AS l", params  # noqa: S608


def fetch_all(sql: str, params: tuple) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def stream_batches(sql: str, params: tuple, batch_rows: int = BATCH_ROWS) -> Iterator[list]:
    """Rows in batches from a server-side cursor. The transaction keeps the cursor without
    WITH HOLD, which PostgreSQL would otherwise materialise in full before the first row."""
    with transaction.atomic():
        cursor = connection.chunked_cursor()
        try:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(batch_rows):
                yield rows
        finally:
            cursor.close()
