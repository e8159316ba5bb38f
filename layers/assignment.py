"""Every crime incident counted exactly once: in the block that contains it, else in the nearest
block within the snap distance, else unassigned (DESIGN.md). PostGIS is the engine here.

A point on a boundary shared by two blocks is covered by both; the block with the lowest id
takes it, so the assignment is deterministic. Distances are measured in the area's analysis CRS.
"""

import math
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import connection, transaction

from geo.models import Area

# The CTEs end in `assigned` (incident_id, block_id, how); callers add what they select from it.
# Containment is driven from the blocks: each block polygon probes the incidents' spatial index
# and stays the same across its probes, so PostGIS tests points against a prepared polygon
# (tens of times faster than probing the blocks once per incident).
ASSIGNMENT_CTES = """
incident AS (
    SELECT c.id, c.geom
    FROM layers_crimeincident c
    WHERE c.area_id = %(area)s
      AND (%(from)s::date IS NULL OR c.month >= %(from)s::date)
      AND (%(to)s::date IS NULL OR c.month <= %(to)s::date)
      AND (%(categories)s::text[] IS NULL OR c.category = ANY(%(categories)s::text[]))
),
contained AS (
    -- A point on an edge shared by two blocks lies in both: the lower block id takes it.
    SELECT c.id AS incident_id, min(b.id) AS block_id
    FROM geo_block b
    CROSS JOIN LATERAL (
        SELECT c.id
        FROM layers_crimeincident c
        WHERE ST_Intersects(b.geom, c.geom)
          -- "+ 0" keeps the planner from AND-ing a bitmap of the whole area into every probe.
          AND c.area_id + 0 = %(area)s
          AND (%(from)s::date IS NULL OR c.month >= %(from)s::date)
          AND (%(to)s::date IS NULL OR c.month <= %(to)s::date)
          AND (%(categories)s::text[] IS NULL OR c.category = ANY(%(categories)s::text[]))
        OFFSET 0  -- keeps the planner from turning the join around
    ) c
    WHERE b.area_id = %(area)s
    GROUP BY c.id
),
uncontained AS (
    SELECT i.id, i.geom
    FROM incident i
    LEFT JOIN contained c ON c.incident_id = i.id
    WHERE c.incident_id IS NULL
),
snapped AS (
    -- Candidates come from the GiST index through a lon/lat box that surely holds the snap
    -- distance; the distance itself is measured in metres in the analysis CRS.
    SELECT u.id AS incident_id, b.id AS block_id,
           ST_Distance(ST_Transform(b.geom, %(srid)s), ST_Transform(u.geom, %(srid)s)) AS metres
    FROM uncontained u
    JOIN geo_block b
      ON b.area_id = %(area)s
     AND b.geom && ST_Expand(u.geom, %(dlon)s, %(dlat)s)
),
nearest_within_snap AS (
    SELECT DISTINCT ON (incident_id) incident_id, block_id
    FROM snapped
    WHERE metres <= %(snap)s
    ORDER BY incident_id, metres, block_id
),
assigned AS (
    SELECT incident_id, block_id, 'inside' AS how FROM contained
    UNION ALL
    SELECT incident_id, block_id, 'snapped' FROM nearest_within_snap
),
unassigned AS (
    SELECT id FROM uncontained
    EXCEPT
    SELECT incident_id FROM nearest_within_snap
)
"""
ASSIGNMENT_SQL = "WITH " + ASSIGNMENT_CTES + "SELECT incident_id, block_id, how FROM assigned"  # noqa: S608 -- constants


@dataclass
class Assignment:
    """incident id → block id for the assigned incidents, and the three counts of a run."""

    block_of: dict[int, int]
    inside: int
    snapped: int
    unassigned: int

    @property
    def per_block(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for block_id in self.block_of.values():
            counts[block_id] = counts.get(block_id, 0) + 1
        return counts


def _degrees_holding(metres: float, area: Area) -> tuple[float, float]:
    """Longitude and latitude spans (degrees) that contain `metres` anywhere in the area.

    Only an index pre-filter: the snap test itself is done in metres in the analysis CRS.
    """
    _, ymin, _, ymax = area.boundary.extent if area.boundary else (0, -80, 0, 80)
    widest_lat = min(max(abs(ymin), abs(ymax)) + 1.0, 89.0)
    margin = 1.05
    dlat = margin * metres / 110_574.0
    dlon = margin * metres / (111_320.0 * math.cos(math.radians(widest_lat)))
    return dlon, dlat


def _parameters(area, date_from, date_to, categories, snap_distance_m) -> dict:
    snap = settings.TRYGG_SNAP_DISTANCE_M if snap_distance_m is None else snap_distance_m
    dlon, dlat = _degrees_holding(snap, area)
    return {
        "dlon": dlon,
        "dlat": dlat,
        "area": area.pk,
        "from": date_from,
        "to": date_to,
        "categories": list(categories) if categories else None,
        "srid": area.analysis_srid,
        "snap": snap,
    }


def crime_assignment(
    *,
    area: Area,
    date_from: date | None = None,
    date_to: date | None = None,
    categories: list[str] | None = None,
    snap_distance_m: float | None = None,
) -> Assignment:
    params = _parameters(area, date_from, date_to, categories, snap_distance_m)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM layers_crimeincident WHERE area_id = %(area)s"
            " AND (%(from)s::date IS NULL OR month >= %(from)s::date)"
            " AND (%(to)s::date IS NULL OR month <= %(to)s::date)"
            " AND (%(categories)s::text[] IS NULL OR category = ANY(%(categories)s::text[]))",
            params,
        )
        total = cursor.fetchone()[0]
        cursor.execute(ASSIGNMENT_SQL, params)
        rows = cursor.fetchall()
    block_of = {incident_id: block_id for incident_id, block_id, _ in rows}
    inside = sum(1 for *_, how in rows if how == "inside")
    snapped = len(rows) - inside
    return Assignment(block_of, inside, snapped, total - inside - snapped)


# One round trip: counts per block, the three totals and every assigned incident as one
# MultiPoint (for the density surface), instead of one row per incident.
TOTALS_SQL = (
    "WITH "  # noqa: S608 -- module constants only
    + ASSIGNMENT_CTES
    + """,
per_block AS (SELECT block_id, count(*) AS n FROM assigned GROUP BY block_id)
SELECT
    (SELECT count(*) FROM incident),
    (SELECT count(*) FROM assigned WHERE how = 'inside'),
    (SELECT count(*) FROM assigned WHERE how = 'snapped'),
    (SELECT coalesce(array_agg(block_id ORDER BY block_id), '{}') FROM per_block),
    (SELECT coalesce(array_agg(n ORDER BY block_id), '{}') FROM per_block),
    (SELECT ST_AsBinary(ST_Collect(i.geom))
       FROM incident i WHERE i.id NOT IN (SELECT id FROM unassigned))
"""
)


@dataclass
class AssignmentTotals:
    """The same exactly-once assignment as `crime_assignment`, summarised for an analysis."""

    per_block: dict[int, int]
    points_wkb: bytes | None  # MultiPoint of the assigned incidents, lon/lat
    inside: int
    snapped: int
    unassigned: int


def crime_assignment_totals(
    *,
    area: Area,
    date_from: date | None = None,
    date_to: date | None = None,
    categories: list[str] | None = None,
    snap_distance_m: float | None = None,
) -> AssignmentTotals:
    params = _parameters(area, date_from, date_to, categories, snap_distance_m)
    with transaction.atomic(), connection.cursor() as cursor:
        # Compiling this one-off query costs more than running it; the planner underestimates
        # the rows of the CTEs and would sort 300,000 incident ids where a hash does.
        cursor.execute(
            "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; SET LOCAL enable_sort = off"
        )
        cursor.execute(TOTALS_SQL, params)
        total, inside, snapped, block_ids, counts, wkb = cursor.fetchone()
    return AssignmentTotals(
        per_block=dict(zip(block_ids, counts, strict=True)),
        points_wkb=bytes(wkb) if wkb is not None else None,
        inside=inside,
        snapped=snapped,
        unassigned=total - inside - snapped,
    )
