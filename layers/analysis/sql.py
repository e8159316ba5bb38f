"""The PostGIS side of an analysis: blocks in the analysis CRS, evidence of insecurity near each
block, and a fingerprint of the inputs. Crime goes through layers.assignment (exactly once)."""

import hashlib
import json
from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely
from django.conf import settings
from django.db import connection

from geo.models import Area

BLOCKS_SQL = """
SELECT id, code, population, ST_AsBinary(ST_Transform(geom, %(srid)s))
FROM geo_block WHERE area_id = %(area)s ORDER BY id
"""

# Observations of the period with their polarity; `near` finds them within the distance of each
# block. The index on the stored lon/lat geometry is used through a box built in the analysis
# CRS and transformed (metres never become degrees); the exact test runs in metres.
OBSERVATIONS_CTE = """
observation AS (
    SELECT o.id, o.geom, ST_Transform(o.geom, %(srid)s) AS metric, o.severity, o.feeling,
           k.positive
    FROM walks_observation o
    JOIN walks_walk w ON w.id = o.walk_id
    JOIN walks_observationkind k ON k.id = o.kind_id
    WHERE w.area_id = %(area)s
      -- Months on the area's clock, as crime months are: 00:30 on 1 March in Malmö is March.
      AND (%(from)s::date IS NULL
           OR o.captured_at >= %(from)s::date::timestamp AT TIME ZONE %(tz)s)
      AND (%(until)s::date IS NULL
           OR o.captured_at < %(until)s::date::timestamp AT TIME ZONE %(tz)s)
)
"""

EVIDENCE_SQL = (
    "WITH "  # noqa: S608 -- module constants only
    + OBSERVATIONS_CTE
    + """,
near AS (
    -- Driven from the observations (few) into the blocks' index (many).
    SELECT b.id AS block_id, o.*
    FROM observation o
    CROSS JOIN LATERAL (
        SELECT b.id
        FROM geo_block b
        WHERE b.area_id = %(area)s
          AND b.geom && ST_Transform(ST_Expand(o.metric, %(distance)s + 1), 4326)
          AND ST_DWithin(ST_Transform(b.geom, %(srid)s), o.metric, %(distance)s)
        OFFSET 0
    ) b
)
SELECT block_id,
       count(*) FILTER (WHERE NOT positive),
       coalesce(sum(coalesce(severity, 3) / 5.0) FILTER (WHERE NOT positive), 0),
       count(*) FILTER (WHERE positive),
       count(feeling),
       avg((5 - feeling) / 4.0)
FROM near
GROUP BY block_id
"""
)

POINTS_SQL = (
    "WITH "  # noqa: S608 -- module constants only
    + OBSERVATIONS_CTE
    + """
SELECT ST_X(p), ST_Y(p), positive, coalesce(severity, 3)
FROM (SELECT ST_PointOnSurface(metric) AS p, positive, severity FROM observation) s
ORDER BY 1, 2, 3, 4
"""
)

SURVEY_SQL = """
SELECT s.block_id, s.period, s.respondents, s.share_unsafe
FROM layers_surveyresult s JOIN geo_block b ON b.id = s.block_id
WHERE b.area_id = %(area)s
ORDER BY s.block_id, s.period
"""

FINGERPRINT_SQL = """
SELECT
  (SELECT md5(coalesce(string_agg(id || ':' || code || ':' || coalesce(population, -1) || ':'
                                 || md5(ST_AsEWKB(geom)), ',' ORDER BY id), ''))
     FROM geo_block WHERE area_id = %(area)s),
  (SELECT count(*) || ':' || coalesce(sum(hashtextextended(
              id || ':' || month || ':' || category || ':' || encode(ST_AsEWKB(geom), 'hex'), 0)
          ::numeric), 0)
     FROM layers_crimeincident WHERE area_id = %(area)s),
  (SELECT md5(coalesce(string_agg(o.id || ':' || o.kind_id || ':' || coalesce(o.severity, 0)
                                 || ':' || coalesce(o.feeling, 0) || ':' || o.captured_at
                                 || ':' || md5(ST_AsEWKB(o.geom)), ',' ORDER BY o.id), ''))
     FROM walks_observation o JOIN walks_walk w ON w.id = o.walk_id
    WHERE w.area_id = %(area)s),
  (SELECT md5(coalesce(string_agg(s.id || ':' || s.block_id || ':' || s.period || ':'
                                 || s.respondents || ':' || s.share_unsafe, ',' ORDER BY s.id), ''))
     FROM layers_surveyresult s JOIN geo_block b ON b.id = s.block_id
    WHERE b.area_id = %(area)s)
"""


@dataclass
class Blocks:
    ids: np.ndarray
    codes: list[str]
    population: np.ndarray  # NaN where unknown
    geoms: np.ndarray  # shapely polygons, analysis CRS


def blocks_fetch(*, area: Area) -> Blocks:
    with connection.cursor() as cursor:
        cursor.execute(BLOCKS_SQL, {"area": area.pk, "srid": area.analysis_srid})
        rows = cursor.fetchall()
    return Blocks(
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        codes=[r[1] for r in rows],
        population=np.array([np.nan if r[2] is None else r[2] for r in rows], dtype=float),
        geoms=shapely.from_wkb([bytes(r[3]) for r in rows]),
    )


def _period(area: Area, date_from: date | None, until: date | None, **extra) -> dict:
    return {
        "area": area.pk,
        "srid": area.analysis_srid,
        "from": date_from,
        "until": until,
        "tz": settings.TIME_ZONE,
        **extra,
    }


@dataclass
class Evidence:
    """Per block id: negative count, severity-weighted negative sum, positive count, feeling
    ratings and the mean unsafe share of the ratings."""

    negative: dict[int, int]
    negative_weight: dict[int, float]
    positive: dict[int, int]
    ratings: dict[int, int]
    feeling_unsafe: dict[int, float]


def evidence_fetch(
    *, area: Area, date_from: date | None, until: date | None, distance_m: float
) -> Evidence:
    with connection.cursor() as cursor:
        cursor.execute(EVIDENCE_SQL, _period(area, date_from, until, distance=distance_m))
        rows = cursor.fetchall()
    return Evidence(
        negative={r[0]: r[1] for r in rows},
        negative_weight={r[0]: float(r[2]) for r in rows},
        positive={r[0]: r[3] for r in rows},
        ratings={r[0]: r[4] for r in rows},
        feeling_unsafe={r[0]: float(r[5]) for r in rows if r[5] is not None},
    )


def observation_points(*, area: Area, date_from: date | None, until: date | None):
    """(x, y, positive, severity) of every observation of the period, analysis CRS."""
    with connection.cursor() as cursor:
        cursor.execute(POINTS_SQL, _period(area, date_from, until))
        rows = cursor.fetchall()
    if not rows:
        return np.empty((0, 2)), np.empty(0, dtype=bool), np.empty(0)
    data = np.array(rows, dtype=float)
    return data[:, :2], data[:, 2].astype(bool), data[:, 3]


def surveys_fetch(*, area: Area) -> list[tuple[int, str, int, float]]:
    with connection.cursor() as cursor:
        cursor.execute(SURVEY_SQL, {"area": area.pk})
        return cursor.fetchall()


def inputs_fingerprint(*, area: Area, parameters: dict) -> str:
    """sha256 of the blocks, incidents, observations and surveys of the area and the parameters:
    equal fingerprints mean the run saw the same data."""
    with connection.cursor() as cursor:
        cursor.execute(FINGERPRINT_SQL, {"area": area.pk})
        parts = cursor.fetchone()
    digest = hashlib.sha256()
    digest.update(json.dumps([area.analysis_srid, *parts, parameters], sort_keys=True).encode())
    return digest.hexdigest()


RESULT_COLUMNS = (
    "block_id",
    "crime_count",
    "crime_value",
    "crime_gi_z",
    "crime_gi_p",
    "crime_gi_p_sim",
    "crime_gi_bin",
    "insecurity_index",
    "insecurity_gi_z",
    "insecurity_gi_p",
    "insecurity_gi_p_sim",
    "insecurity_gi_bin",
    "insecurity_observations",
    "insecurity_feeling",
    "insecurity_survey",
    "negative_observations",
    "positive_observations",
    "class",
    "bv_moran_i",
    "bv_moran_p",
)


def block_results_copy(*, run_id: int, rows: list[tuple]) -> None:
    """Bulk-load one run's per-block rows (values in RESULT_COLUMNS order) with COPY: for
    15,000 blocks it is several times faster than INSERTs."""
    columns = ", ".join(("run_id", *RESULT_COLUMNS))
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY layers_blockresult ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((run_id, *row))
