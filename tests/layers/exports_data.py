"""A small, explicit world for the export and OGC API tests, inside the `area` fixture's four
quadrant blocks (SW, SE, NW, NE around 13.009 E, 55.605 N)."""

from datetime import UTC, date, datetime

import pytest
from django.contrib.gis.geos import LineString, Point, Polygon

from layers.assignment import crime_blocks_store
from layers.models import AnalysisRun, BlockResult, CrimeIncident, Lamp, RunStatus
from tests.factories import make_user
from walks.models import Observation, ObservationKind, Photo, Walk


def kind(code):
    return ObservationKind.objects.get(code=code, area__isnull=True)


def crime(area, lon, lat, key, *, category="burglary", month=date(2025, 3, 1)):
    return CrimeIncident.objects.create(
        area=area,
        geom=Point(lon, lat, srid=4326),
        month=month,
        category=category,
        original_category=category.title(),
        source_dataset="test",
        source_id=key,
        source_key=f"test:{key}",
        precision="exact",
    )


@pytest.fixture(name="world")
def world_fixture(area):
    """Two walks (one without a route), four observations (one a clockwise polygon, one a
    sightline), two lamps, crime (SW 5, SE 2, NW 0, NE 1) and three analysis runs."""
    night = Walk.objects.create(
        area=area,
        name="Night walk",
        route=LineString((13.0011111111, 55.6011111111), (13.0081111111, 55.6081111111), srid=4326),
        starts_at=datetime(2025, 6, 1, 20, 0, tzinfo=UTC),
        ends_at=datetime(2025, 6, 1, 22, 0, tzinfo=UTC),
        light="night",
        status="done",
    )
    night.participants.add(make_user("alice-andersson"), make_user("bo-berg"))
    unrouted = Walk.objects.create(
        area=area, name="No route", starts_at=datetime(2025, 7, 1, 10, 0, tzinfo=UTC)
    )
    obs = {}

    def observe(name, walk, code, geom, when, **fields):
        obs[name] = Observation.objects.create(
            walk=walk, kind=kind(code), geom=geom, captured_at=when, author=None, **fields
        )

    observe(
        "lamp_out",
        night,
        "lighting_defect",
        Point(13.00123456789, 55.60198765432, srid=4326),
        datetime(2025, 6, 1, 20, 15, tzinfo=UTC),
        severity=4,
        feeling=2,
        note="Lamp out by the underpass",
        accuracy_m=4.5,
    )
    # Exterior ring drawn clockwise, as a tablet may: exports must rewind it.
    observe(
        "dark_corner",
        night,
        "unsafe_spot",
        Polygon(
            (
                (13.012, 55.607),
                (13.012, 55.608),
                (13.013, 55.608),
                (13.013, 55.607),
                (13.012, 55.607),
            ),
            srid=4326,
        ),
        datetime(2025, 6, 1, 21, 0, tzinfo=UTC),
        feeling=1,
    )
    observe(
        "hedge",
        night,
        "blocked_sightline",
        LineString((13.002, 55.602), (13.003, 55.602), srid=4326),
        datetime(2025, 6, 1, 21, 30, tzinfo=UTC),
        severity=3,
    )
    observe(
        "square",
        unrouted,
        "safe_place",
        Point(13.004, 55.608, srid=4326),
        datetime(2025, 7, 1, 10, 30, tzinfo=UTC),
        feeling=5,
    )
    Photo.objects.create(
        observation=obs["lamp_out"], image="p.jpg", thumbnail="t.jpg", width=1, height=1, sha256="a"
    )
    Lamp.objects.create(
        area=area, geom=Point(13.001, 55.601, srid=4326), status="broken", lumen=900
    )
    Lamp.objects.create(
        area=area, geom=Point(13.010, 55.606, srid=4326), height_m=6.0, source_id="L2"
    )
    for i in range(5):
        crime(area, 13.002 + i * 0.0005, 55.602, f"sw{i}", month=date(2025, 1 + i, 1))
    crime(area, 13.012, 55.602, "se0", category="robbery")
    crime(area, 13.013, 55.602, "se1", category="robbery")
    crime(area, 13.012, 55.608, "ne0")
    crime_blocks_store(area=area)  # as every crime import does
    blocks = {b.code: b for b in area.blocks.all()}
    older = AnalysisRun.objects.create(
        area=area, status=RunStatus.DONE, finished_at=datetime(2025, 8, 1, tzinfo=UTC)
    )
    latest = AnalysisRun.objects.create(
        area=area, status=RunStatus.DONE, finished_at=datetime(2025, 9, 1, tzinfo=UTC)
    )
    AnalysisRun.objects.create(area=area, status=RunStatus.FAILED)
    counts = {"SW": 5, "SE": 2, "NW": 0, "NE": 1}
    for code, block in blocks.items():
        BlockResult.objects.create(run=older, block=block, crime_count=99, comparison_class="old")
        BlockResult.objects.create(
            run=latest,
            block=block,
            crime_count=counts[code],
            crime_value=float(counts[code]),
            crime_gi_z=2.5 if code == "SW" else -0.5,
            crime_gi_p=0.012 if code == "SW" else 0.6,
            crime_gi_bin=2 if code == "SW" else 0,
            insecurity_index=0.8 if code in ("SW", "NE") else None,
            comparison_class="both_high" if code == "SW" else "neither",
        )
    return {"walks": {"night": night, "unrouted": unrouted}, "obs": obs, "latest": latest}
