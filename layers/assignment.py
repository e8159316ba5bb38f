"""Every crime incident counted exactly once: in the block that contains it, else in the nearest
block within the snap distance, else unassigned (DESIGN.md). PostGIS is the engine here.

A point on a boundary shared by two blocks is covered by both; the block with the lowest id
takes it, so the assignment is deterministic. Distances are measured in the area's analysis CRS.
"""

import math
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import connection

from geo.models import Area

ASSIGNMENT_SQL = """
WITH incident AS (
    SELECT c.id, c.geom
    FROM layers_crimeincident c
    WHERE c.area_id = %(area)s
      AND (%(from)s::date IS NULL OR c.month >= %(from)s::date)
      AND (%(to)s::date IS NULL OR c.month <= %(to)s::date)
      AND (%(categories)s::text[] IS NULL OR c.category = ANY(%(categories)s::text[]))
),
contained AS (
    SELECT DISTINCT ON (i.id) i.id AS incident_id, b.id AS block_id
    FROM incident i
    JOIN geo_block b ON b.area_id = %(area)s AND ST_Intersects(b.geom, i.geom)
    ORDER BY i.id, b.id
),
snapped AS (
    -- Candidates come from the GiST index through a lon/lat box that surely holds the snap
    -- distance; the distance itself is measured in metres in the analysis CRS.
    SELECT i.id AS incident_id, b.id AS block_id,
           ST_Distance(ST_Transform(b.geom, %(srid)s), ST_Transform(i.geom, %(srid)s)) AS metres
    FROM incident i
    LEFT JOIN contained c ON c.incident_id = i.id
    JOIN geo_block b
      ON b.area_id = %(area)s
     AND b.geom && ST_Expand(i.geom, %(dlon)s, %(dlat)s)
    WHERE c.incident_id IS NULL
),
nearest_within_snap AS (
    SELECT DISTINCT ON (incident_id) incident_id, block_id
    FROM snapped
    WHERE metres <= %(snap)s
    ORDER BY incident_id, metres, block_id
)
SELECT incident_id, block_id, 'inside' AS how FROM contained
UNION ALL
SELECT incident_id, block_id, 'snapped' FROM nearest_within_snap
"""


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


def crime_assignment(
    *,
    area: Area,
    date_from: date | None = None,
    date_to: date | None = None,
    categories: list[str] | None = None,
    snap_distance_m: float | None = None,
) -> Assignment:
    snap = settings.TRYGG_SNAP_DISTANCE_M if snap_distance_m is None else snap_distance_m
    dlon, dlat = _degrees_holding(snap, area)
    params = {
        "dlon": dlon,
        "dlat": dlat,
        "area": area.pk,
        "from": date_from,
        "to": date_to,
        "categories": categories or None,
        "srid": area.analysis_srid,
        "snap": snap,
    }
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
