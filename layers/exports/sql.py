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

BATCH_ROWS = 5000


def _inner(
    qs: QuerySet, limit: int | None = None, offset: int = 0, order=("a_fid",)
) -> tuple[str, tuple]:
    """The layer's query ordered by feature id (stable pages and diffable files), sliced for a
    page. Ordering and slicing happen inside, on the bare rows, so the outer projection encodes
    only the features sent, after they are sorted."""
    qs = qs.order_by(*order)
    if limit is not None:
        qs = qs[offset : offset + limit]
    elif offset:
        qs = qs[offset:]
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


def _columns(layer: Layer) -> str:
    return ", ".join(f'l."a_{a.name}"' for a in layer.attributes)


def _right_hand(layer: Layer, geom: str) -> str:
    """Polygons wound by the right-hand rule (exterior counter-clockwise). Other geometries pass
    untouched: PostGIS 3.3's ST_ForcePolygonCCW would reverse lines."""
    if layer.geometry_type not in ("MultiPolygon", "Polygon", "Unknown"):
        return geom
    return f"CASE WHEN ST_Dimension({geom}) = 2 THEN ST_ForcePolygonCCW({geom}) ELSE {geom} END"


def _json_value(attribute) -> str:
    column = f'l."a_{attribute.name}"'
    value = f"{column}::text" if attribute.type == "int" else f"to_json({column})::text"
    return f"coalesce({value}, 'null')"


def geojson_sql(
    layer: Layer,
    qs: QuerySet,
    *,
    limit: int | None = None,
    offset: int = 0,
    order=("a_fid",),
    with_fid: bool = False,
) -> tuple[str, tuple]:
    """One row per feature: the Feature object as JSON text, and with `with_fid` its id as a
    second column (an OGC page's links name the ids it starts and ends with).

    The text is concatenated rather than built with json_build_object, and the geometry text of
    ST_AsGeoJSON is spliced in rather than parsed into json and written out again: together
    about twice as fast, which is most of an export's time."""
    inner, params = _inner(qs, limit, offset, order)
    properties = " || ', ' || ".join(
        f"""'"{a.name}": ' || {_json_value(a)}""" for a in layer.attributes
    )
    geom = _right_hand(layer, "l.a_geom")
    sql = (
        """SELECT '{"type": "Feature", "id": ' || to_json(l.a_fid)::text """  # noqa: S608
        f"""|| ', "geometry": ' || coalesce(ST_AsGeoJSON({geom}, 7), 'null') """
        f"""|| ', "properties": {{' || {properties} || '}}}}' """
        f"{', l.a_fid' if with_fid else ''} FROM ({inner}) AS l"
    )
    return sql, params


def csv_sql(layer: Layer, qs: QuerySet) -> tuple[str, tuple]:
    """One row per feature: WKT in WGS 84 (7 decimals), then the attributes."""
    inner, params = _inner(qs)
    sql = (
        f"SELECT ST_AsText({_right_hand(layer, 'l.a_geom')}, 7), {_columns(layer)} "  # noqa: S608
        f"FROM ({inner}) AS l"
    )
    return sql, params


def wkb_sql(layer: Layer, qs: QuerySet, *, srid: int, outlines: bool) -> tuple[str, tuple]:
    """One row per feature: WKB in `srid`, then the attributes.

    With `outlines` (for DXF) polygons become their boundary lines, since closed polylines are
    what CAD users draw with rather than filled hatches, and multi-part geometries come as one
    row per part, since GDAL's DXF writer draws single parts only."""
    inner, params = _inner(qs)
    if outlines:
        geom = "ST_Transform(l.a_geom, %s)"
        sql = (
            f"SELECT ST_AsBinary(part.geom), {_columns(layer)} FROM ({inner}) AS l "  # noqa: S608
            "CROSS JOIN LATERAL ST_Dump(CASE WHEN ST_Dimension(l.a_geom) = 2 "
            f"THEN ST_Boundary({geom}) ELSE {geom} END) AS part"
        )
        return sql, params + (srid, srid)
    geom = f"ST_Transform({_right_hand(layer, 'l.a_geom')}, %s)"
    sql = f"SELECT ST_AsBinary({geom}), {_columns(layer)} FROM ({inner}) AS l"  # noqa: S608
    return sql, (srid,) + params


def count_sql(qs: QuerySet) -> tuple[str, tuple]:
    sql, params = qs.order_by().query.sql_with_params()
    inner, params = sql, tuple(params)
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
