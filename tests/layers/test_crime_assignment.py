import pytest
from django.contrib.gis.geos import Point

from layers.assignment import crime_assignment
from layers.models import CrimeIncident

pytestmark = pytest.mark.django_db


def incident(area, lon, lat, key, category="burglary", month="2025-01-01"):
    return CrimeIncident.objects.create(
        area=area,
        geom=Point(lon, lat, srid=4326),
        month=month,
        category=category,
        original_category=category,
        source_dataset="test",
        source_key=key,
        precision="exact",
    )


def test_each_incident_is_counted_exactly_once(area):
    blocks = {b.code: b.pk for b in area.blocks.all()}
    inside_sw = incident(area, 13.002, 55.602, "a")
    on_shared_edge = incident(area, 13.009, 55.602, "b")  # SW/SE boundary: covered by both
    just_outside_ne = incident(area, 13.0182, 55.6095, "c")  # ~13 m east of the NE block
    far_away = incident(area, 13.05, 55.65, "d")
    result = crime_assignment(area=area)
    assert (result.inside, result.snapped, result.unassigned) == (2, 1, 1)
    assert result.block_of[inside_sw.pk] == blocks["SW"]
    assert result.block_of[on_shared_edge.pk] == min(blocks["SW"], blocks["SE"])
    assert result.block_of[just_outside_ne.pk] == blocks["NE"]
    assert far_away.pk not in result.block_of
    assert sum(result.per_block.values()) == 3


def test_snap_distance_and_filters_apply(area):
    incident(area, 13.0182, 55.6095, "c")
    incident(area, 13.002, 55.602, "a", category="robbery", month="2025-03-01")
    assert crime_assignment(area=area, snap_distance_m=5).unassigned == 1
    only_robbery = crime_assignment(area=area, categories=["robbery"])
    assert (only_robbery.inside, only_robbery.snapped, only_robbery.unassigned) == (1, 0, 0)
    from datetime import date

    march = crime_assignment(area=area, date_from=date(2025, 2, 1))
    assert march.inside == 1 and march.snapped == 0


def test_stored_blocks_match_the_assignment_and_follow_new_blocks(area, monkeypatch):
    from layers.assignment import crime_blocks_store
    from tests.factories import square

    monkeypatch.setattr("layers.assignment.STORE_CHUNK", 2)  # several chunks for four incidents

    for key, (lon, lat) in enumerate(
        [(13.002, 55.602), (13.009, 55.602), (13.0182, 55.6095), (13.05, 55.65)]
    ):
        incident(area, lon, lat, str(key))
    counts = crime_blocks_store(area=area)
    expected = crime_assignment(area=area).block_of
    stored = dict(CrimeIncident.objects.filter(block__isnull=False).values_list("id", "block_id"))
    assert stored == expected
    assert counts == {"inside": 2, "snapped": 1, "unassigned": 1}
    # A new block where the stray incident lies takes it on the next store.
    far = area.blocks.create(code="FAR", geom=square(13.049, 55.649, 13.051, 55.651))
    crime_blocks_store(area=area)
    assert CrimeIncident.objects.get(source_key="3").block_id == far.pk
