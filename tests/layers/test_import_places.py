"""Placing an import's points by distinct coordinate pair gives what placing every point does."""

import numpy as np
import pytest
import shapely

from layers.assignment import BlockIndex
from layers.importers.crimeload import Places

# Two blocks side by side in Malmö, 100 m apart, and an area boundary around the western one.
WEST = shapely.box(13.000, 55.600, 13.002, 55.601)
EAST = shapely.box(13.0036, 55.600, 13.0056, 55.601)
BOUNDARY = shapely.box(12.999, 55.599, 13.003, 55.602)


def direct(blocks, x, y):
    block_id, inside = blocks.place(shapely.points(x, y))
    return block_id, inside, ~shapely.intersects_xy(BOUNDARY, x, y)


@pytest.mark.parametrize("limit", [1000, 100])  # all pairs kept; the first batch overflows
def test_places_match_placing_every_point_across_batches(limit):
    rng = np.random.default_rng(7)
    blocks = BlockIndex(np.array([11, 12]), np.array([WEST, EAST]), 3006, 25.0)
    shapely.prepare(BOUNDARY)
    snap_points = np.column_stack(
        [rng.uniform(12.998, 13.007, 300), rng.uniform(55.5995, 55.6015, 300)]
    )
    places = Places(blocks, BOUNDARY, limit=limit)
    for _ in range(6):
        pick = rng.integers(0, len(snap_points), 500)
        x, y = snap_points[pick, 0].copy(), snap_points[pick, 1].copy()
        x[:3] = [13.001, -0.0, 13.0046]  # inside west, a signed zero, inside east
        y[:3] = [55.6005, 55.6005, 55.6005]
        got = places.place(x, y)
        want = direct(blocks, x, y)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)
    if limit == 100:
        assert not len(places.known)
        return
    assert len(places.known) == len(np.unique(snap_points[:, 0] + 1j * snap_points[:, 1])) + 3
    assert set(np.unique(places.block_id)) == {-1, 11, 12}
    assert places.inside.any() and places.outside.any()
