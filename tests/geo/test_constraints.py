import uuid

import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from geo.models import Block, Membership
from tests.factories import make_user
from walks.models import Observation, ObservationKind, Walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def walk(area):
    return Walk.objects.create(area=area, name="Evening walk", starts_at=timezone.now())


def observation(walk, **fields):
    values = dict(
        walk=walk,
        kind=ObservationKind.objects.get(code="unsafe_spot"),
        geom=Point(13.005, 55.605, srid=4326),
        captured_at=timezone.now(),
        severity=3,
        feeling=2,
    )
    values.update(fields)
    return Observation.objects.create(**values)


@pytest.mark.parametrize("field, value", [("severity", 0), ("severity", 6), ("feeling", 9)])
def test_database_refuses_out_of_range_ratings(walk, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        observation(walk, **{field: value})


def test_database_refuses_a_second_observation_with_the_same_client_id(walk):
    client_id = uuid.uuid4()
    observation(walk, client_id=client_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        observation(walk, client_id=client_id)
    assert Observation.objects.count() == 1


def test_database_refuses_geometry_in_another_srid(walk):
    stored = observation(walk)
    with pytest.raises(DataError, match="SRID"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE walks_observation SET geom = ST_SetSRID(ST_MakePoint(400000, 6160000), 3006)"
            " WHERE id = %s",
            [stored.pk],
        )
    assert Observation.objects.get().geom.equals(stored.geom)


def test_geometry_in_another_srid_is_transformed_on_save(walk):
    stored = observation(walk, geom=Point(375000, 6163000, srid=3006))
    stored.refresh_from_db()
    assert stored.geom.srid == 4326 and 12 < stored.geom.x < 14


def test_database_refuses_a_self_intersecting_block(area):
    bowtie = Polygon(((0, 0), (1, 1), (1, 0), (0, 1), (0, 0)), srid=4326)
    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.create(area=area, code="bad", geom=MultiPolygon(bowtie, srid=4326))


def test_database_refuses_duplicate_block_codes_in_an_area(area):
    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.create(area=area, code="SW", geom=area.blocks.first().geom)


def test_database_refuses_two_roles_for_one_user_in_an_area(area):
    user = make_user()
    Membership.objects.create(user=user, area=area, role="planner")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, area=area, role="analyst")


def test_database_refuses_an_unknown_role(area):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=make_user(), area=area, role="boss")


def test_walk_cannot_end_before_it_starts(area):
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Walk.objects.create(
            area=area,
            name="x",
            starts_at=now,
            ends_at=now - timezone.timedelta(hours=1),
            route=LineString((13.0, 55.6), (13.01, 55.6), srid=4326),
        )


def test_area_gets_its_utm_zone_as_analysis_crs(area):
    assert area.analysis_srid == 32633
