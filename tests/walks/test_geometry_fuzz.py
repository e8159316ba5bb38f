"""Hypothesis: random and degenerate GeoJSON never crashes validation, and whatever is stored is
a valid geometry."""

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.walks.helpers import item, make_walk, sync
from walks.validation import Rejected, shape_from_geojson

scalars = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.text(max_size=3),
    st.none(),
    st.booleans(),
)
positions = st.lists(scalars, max_size=4)
anything = st.recursive(
    scalars | positions, lambda inner: st.lists(inner, max_size=5), max_leaves=20
)
geometries = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["Point", "LineString", "Polygon", "MultiPoint", "Bogus", None]
            ),
            "coordinates": anything,
        }
    ),
    anything,
)


@settings(max_examples=400, deadline=None)
@given(geometries)
def test_random_geojson_is_parsed_or_rejected_with_a_reason(raw):
    try:
        shape = shape_from_geojson(raw)
    except Rejected as rejection:
        assert str(rejection.message).strip()
    else:
        assert shape.geom_type in ("Point", "LineString", "Polygon")


# Degenerate shapes near the test area: repeated points, zero-length lines, slivers, bow ties.
near = st.tuples(
    st.sampled_from([13.004, 13.005, 13.006, 13.0050000001]),
    st.sampled_from([55.604, 55.605, 55.606, 55.6050000001]),
).map(list)
degenerate = st.one_of(
    st.builds(lambda p: {"type": "Point", "coordinates": p}, near),
    st.builds(lambda ps: {"type": "LineString", "coordinates": ps}, st.lists(near, max_size=5)),
    st.builds(
        lambda ps: {"type": "Polygon", "coordinates": [ps + ps[:1]]},
        st.lists(near, min_size=0, max_size=6),
    ),
)
KIND_FOR = {"Point": "unsafe_spot", "LineString": "blocked_sightline", "Polygon": "neglect"}


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(degenerate, min_size=1, max_size=8))
def test_degenerate_geometries_never_fail_the_sync_and_only_valid_ones_are_stored(
    client_for, member, area, shapes
):
    participant = member("participant")
    walk = make_walk(area, [participant])
    items = [item(kind=KIND_FOR[shape["type"]], geometry=shape) for shape in shapes]
    response = sync(client_for(participant), walk, items)
    assert response.status_code == 200, response.content[:300]
    statuses = {result["status"] for result in response.json()["results"]}
    assert statuses <= {"created", "rejected"}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM walks_observation WHERE walk_id = %s AND NOT ST_IsValid(geom)",
            [walk.pk],
        )
        assert cursor.fetchone()[0] == 0
