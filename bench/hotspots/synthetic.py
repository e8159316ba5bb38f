"""A synthetic neighbourhood for the hotspot benchmark: a grid of square blocks, clustered crime
incidents, walk observations and survey results, written straight into PostGIS.

Used until/unless `load_demo --scale 10` data is present; deterministic for a seed.
"""

import io
from datetime import UTC, datetime

import numpy as np
from django.contrib.gis.geos import Polygon
from django.db import connection, transaction
from pyproj import Transformer

from geo.models import Area, Block
from layers.categories import CrimeCategory
from layers.models import CrimeIncident, SurveyResult, source_key_of
from walks.models import Observation, ObservationKind, Walk

SRID = 32633  # UTM 33N, Malmö
ORIGIN = (374_000.0, 6_163_000.0)


def synthetic_area(
    *, slug: str, blocks_per_side: int, incidents: int, observations: int, seed: int = 7
) -> Area:
    """(Re)create the area `slug` with blocks_per_side² blocks of 100 m and the given counts."""
    rng = np.random.default_rng(seed)
    size = 100.0
    to_wgs = Transformer.from_crs(SRID, 4326, always_xy=True)
    x0, y0 = ORIGIN
    side = blocks_per_side * size
    with transaction.atomic():
        Area.objects.filter(slug=slug).delete()
        lon0, lat0 = to_wgs.transform(x0, y0)
        lon1, lat1 = to_wgs.transform(x0 + side, y0 + side)
        area = Area.objects.create(
            slug=slug,
            name=f"Synthetic {blocks_per_side}x{blocks_per_side}",
            boundary=_multi(Polygon.from_bbox((lon0, lat0, lon1, lat1))),
            analysis_srid=SRID,
        )
        with connection.cursor() as cursor:
            # Blocks are built in PostGIS so 15,000 of them take a second, not a minute.
            cursor.execute(
                """
                INSERT INTO geo_block (area_id, code, name, geom, population)
                SELECT %(area)s, format('B%%s-%%s', i, j), '',
                       ST_Multi(ST_Transform(ST_MakeEnvelope(
                           %(x0)s + i * %(size)s, %(y0)s + j * %(size)s,
                           %(x0)s + (i + 1) * %(size)s, %(y0)s + (j + 1) * %(size)s, %(srid)s),
                           4326)),
                       CASE WHEN (i + j) %% 7 = 0 THEN NULL ELSE 50 + (i * j) %% 300 END
                FROM generate_series(0, %(n)s - 1) i, generate_series(0, %(n)s - 1) j
                """,
                {
                    "area": area.pk,
                    "x0": x0,
                    "y0": y0,
                    "size": size,
                    "srid": SRID,
                    "n": blocks_per_side,
                },
            )
        # Crime: a third uniform, the rest around a few hot spots.
        hot = rng.uniform(0.15 * side, 0.85 * side, size=(6, 2))
        uniform = incidents // 3
        xy = np.vstack(
            [
                rng.uniform(0, side, size=(uniform, 2)),
                hot[rng.integers(0, len(hot), incidents - uniform)]
                + rng.normal(0, side / 25, size=(incidents - uniform, 2)),
            ]
        )
        xy = np.clip(xy, -30, side + 30) + (x0, y0)
        lon, lat = to_wgs.transform(xy[:, 0], xy[:, 1])
        categories = np.array(CrimeCategory.values)[rng.integers(0, 14, incidents)]
        months = rng.integers(1, 13, incidents)
        buffer = io.StringIO()
        for n in range(incidents):
            buffer.write(
                f"{area.pk}\tSRID=4326;POINT({lon[n]:.7f} {lat[n]:.7f})\t2025-{months[n]:02d}-01"
                f"\t{categories[n]}\t{categories[n]}\tsynthetic\t\t{source_key_of(f'syn:{n}')}\texact\t\n"
            )
        buffer.seek(0)
        with connection.cursor() as cursor:
            with cursor.copy(
                "COPY layers_crimeincident (area_id, geom, month, category, original_category,"
                " source_dataset, source_id, source_key, precision, reported_block_code)"
                " FROM STDIN"
            ) as copy:
                copy.write(buffer.read())
        # Observations: near the first three hot spots people feel unsafe; elsewhere at random.
        kinds = {k.code: k for k in ObservationKind.objects.filter(area__isnull=True)}
        walk = Walk.objects.create(
            area=area, name="Synthetic walk", starts_at=datetime(2025, 5, 1, 20, tzinfo=UTC)
        )
        from django.contrib.gis.geos import Point

        rows = []
        for n in range(observations):
            if n % 4 == 0:
                x, y = rng.uniform(0, side, 2)
            else:
                x, y = hot[n % 3] + rng.normal(0, side / 20, 2)
            lon_o, lat_o = to_wgs.transform(x0 + x, y0 + y)
            positive = n % 9 == 0
            rows.append(
                Observation(
                    walk=walk,
                    kind=kinds["safe_place" if positive else "unsafe_spot"],
                    geom=Point(lon_o, lat_o, srid=4326),
                    severity=None if positive else int(rng.integers(1, 6)),
                    feeling=int(rng.integers(3, 6) if positive else rng.integers(1, 4)),
                    captured_at=datetime(2025, 5, 1, 20, tzinfo=UTC),
                )
            )
        Observation.objects.bulk_create(rows, batch_size=2000)
        blocks = list(Block.objects.filter(area=area).values_list("pk", flat=True)[::11])
        SurveyResult.objects.bulk_create(
            SurveyResult(
                block_id=pk,
                period="2025",
                respondents=int(rng.integers(5, 60)),
                share_unsafe=float(rng.uniform(0, 0.6)),
            )
            for pk in blocks
        )
    assert CrimeIncident.objects.filter(area=area).count() == incidents
    return area


def _multi(polygon):
    from django.contrib.gis.geos import MultiPolygon

    return MultiPolygon(polygon, srid=4326)
