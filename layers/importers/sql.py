"""The SQL of block, lamp and survey imports (crime: layers/importers/crimeload.py and
layers/partitions.py): COPY into a temporary staging table, then one INSERT … SELECT … ON
CONFLICT DO NOTHING into the real table. PostGIS transforms, validates and repairs geometries.
Every statement is parameterised; table and column names are constants of this module."""

from collections.abc import Iterable

from django.db import connection

BLOCK_COLUMNS = "row_no int, code text, name text, population int, wkb bytea, srid int"
LAMP_COLUMNS = (
    "row_no int, source_id text, x float8, y float8, srid int, status text, height_m float8, "
    "lumen int"
)
SURVEY_COLUMNS = "row_no int, code text, period text, respondents int, share_unsafe float8"

STAGING = {
    "import_block_staging": BLOCK_COLUMNS,
    "import_lamp_staging": LAMP_COLUMNS,
    "import_survey_staging": SURVEY_COLUMNS,
}


LAMP_INSERT = """
WITH staged AS MATERIALIZED (
    SELECT s.*, ST_Transform(ST_SetSRID(ST_MakePoint(s.x, s.y), s.srid), 4326) AS geom
    FROM import_lamp_staging s
),
inserted AS (
    INSERT INTO layers_lamp (area_id, geom, status, height_m, lumen, source_id)
    SELECT %(area)s, geom, status, height_m, lumen, source_id FROM staged
    ON CONFLICT (area_id, source_id) WHERE source_id <> '' DO NOTHING
    RETURNING 1
)
-- accepted rows outside the boundary: stored, and reported
SELECT (SELECT count(*) FROM inserted),
    (SELECT count(*) FROM staged, geo_area a
     WHERE a.id = %(area)s AND a.boundary IS NOT NULL
       AND NOT ST_Intersects(a.boundary, staged.geom))
"""

BLOCK_ADD_GEOM = "ALTER TABLE import_block_staging ADD COLUMN geom geometry"
BLOCK_TRANSFORM = """
UPDATE import_block_staging
SET geom = ST_Force2D(ST_Transform(ST_SetSRID(ST_GeomFromWKB(wkb), srid), 4326));
"""
BLOCK_INVALID = """
SELECT row_no, ST_IsValidReason(geom) FROM import_block_staging WHERE NOT ST_IsValid(geom)
ORDER BY row_no
"""
BLOCK_REPAIR = """
UPDATE import_block_staging
SET geom = ST_CollectionExtract(ST_MakeValid(geom), 3)
WHERE NOT ST_IsValid(geom)
"""
BLOCK_EMPTY = """
DELETE FROM import_block_staging WHERE geom IS NULL OR ST_IsEmpty(geom) RETURNING row_no
"""
BLOCK_INSERT = """
WITH staged AS MATERIALIZED (SELECT * FROM import_block_staging),
inserted AS (
    INSERT INTO geo_block (area_id, code, name, geom, population)
    SELECT %(area)s, code, name, ST_Multi(geom), population FROM staged ORDER BY row_no
    ON CONFLICT (area_id, code) DO NOTHING
    RETURNING 1
)
-- blocks outside the boundary (unless the boundary grows to take them in)
SELECT (SELECT count(*) FROM inserted),
    (SELECT count(*) FROM staged, geo_area a
     WHERE a.id = %(area)s AND a.boundary IS NOT NULL AND NOT %(boundary_follows)s
       AND NOT ST_Intersects(a.boundary, staged.geom))
"""
BOUNDARY_MD5 = "SELECT md5(ST_AsEWKB(boundary)) FROM geo_area WHERE id = %(area)s"
BLOCKS_UNION = """
SELECT ST_AsEWKB(ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(geom)), 3)))
FROM geo_block WHERE area_id = %(area)s
"""

SURVEY_UNKNOWN_BLOCKS = """
SELECT s.row_no, s.code FROM import_survey_staging s
LEFT JOIN geo_block b ON b.area_id = %(area)s AND b.code = s.code
WHERE b.id IS NULL ORDER BY s.row_no
"""
SURVEY_INSERT = """
WITH inserted AS (
    INSERT INTO layers_surveyresult (block_id, period, respondents, share_unsafe)
    SELECT b.id, s.period, s.respondents, s.share_unsafe
    FROM import_survey_staging s JOIN geo_block b ON b.area_id = %(area)s AND b.code = s.code
    ORDER BY s.row_no
    ON CONFLICT (block_id, period) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM inserted
"""


def staging_copy(table: str, rows: Iterable[tuple]) -> int:
    """Create the temporary staging table and COPY the rows into it; returns rows copied."""
    definition = STAGING[table]
    names = ", ".join(part.split()[0] for part in definition.split(", "))
    copied = 0
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TEMP TABLE {table} ({definition}) ON COMMIT DROP")
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                copied += 1
    return copied


def staging_drop(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


def fetch(sql: str, params: dict | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchall() if cursor.description else []


def execute(sql: str, params: dict | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})


def srid_known(srid: int) -> bool:
    return bool(fetch("SELECT 1 FROM spatial_ref_sys WHERE srid = %(srid)s", {"srid": srid}))


BOUNDARY_FROM_WKB = """
SELECT ST_AsEWKB(ST_Multi(ST_CollectionExtract(ST_MakeValid(
    ST_Force2D(ST_Transform(ST_Union(ST_SetSRID(ST_GeomFromWKB(w), %(srid)s)), 4326))), 3)))
FROM unnest(%(wkbs)s::bytea[]) AS w
"""
