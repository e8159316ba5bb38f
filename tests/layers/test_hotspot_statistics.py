"""The statistics against values computed independently: by hand, by esda's published examples
and by a direct loop over the same permutation draws."""

import math

import numpy as np
import pytest
import shapely
from scipy import sparse

from layers.analysis.permutation import neighbour_draws, neighbour_sum_ranks, two_sided_p
from layers.analysis.statistics import (
    benjamini_hochberg_cutoff,
    bivariate,
    comparison_classes,
    confidence_bins,
    gi_star,
)
from layers.analysis.weights import Weights, weights_build


def lattice(rows, columns, size=100.0):
    return shapely.box(
        *np.array(
            [
                [c * size, r * size, (c + 1) * size, (r + 1) * size]
                for r in range(rows)
                for c in range(columns)
            ]
        ).T
    )


def hand_gi_star(x, neighbours):
    """Ord & Getis (1995) Gi* with binary weights w_ij = 1 for j in N(i) ∪ {i}, term by term."""
    n = len(x)
    mean = sum(x) / n
    s = math.sqrt(sum(v * v for v in x) / n - mean * mean)
    z = []
    for i in range(n):
        members = [i, *neighbours[i]]
        w_sum = len(members)
        numerator = sum(x[j] for j in members) - mean * w_sum
        denominator = s * math.sqrt((n * w_sum - w_sum**2) / (n - 1))
        z.append(numerator / denominator)
    return z


def test_gi_star_z_matches_hand_computation_on_a_4x4_lattice():
    weights = weights_build(lattice(4, 4), kind="queen")
    x = [1.0, 2.0, 9.0, 5.0, 0.0, 4.0, 8.0, 6.0, 1.0, 3.0, 7.0, 2.0, 0.0, 1.0, 2.0, 0.0]
    neighbours = [list(weights.adjacency[i].indices) for i in range(16)]
    assert sorted(neighbours[5]) == [0, 1, 2, 4, 6, 8, 9, 10]
    assert sorted(neighbours[0]) == [1, 4, 5]
    result = gi_star(np.array(x), weights, permutations=0, seed=1)
    np.testing.assert_allclose(result.z, hand_gi_star(x, neighbours), rtol=1e-10)
    # Two-sided analytic p from the normal distribution.
    assert result.p[2] == pytest.approx(math.erfc(abs(result.z[2]) / math.sqrt(2)))


def test_gi_star_matches_esdas_published_example():
    # esda's G_Local docstring: six points, distance band 15, binary weights, star=True.
    points = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
    squares = np.array([shapely.box(x - 0.01, y - 0.01, x + 0.01, y + 0.01) for x, y in points])
    weights = weights_build(squares, kind="distance", distance_m=15)
    y = np.array([2, 3, 3.2, 5, 8, 7])
    result = gi_star(y, weights, permutations=0, seed=1)
    published = [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331]
    np.testing.assert_allclose(result.z, published, atol=1e-8)


def test_permutation_counts_equal_a_direct_loop_over_the_same_draws():
    rng = np.random.default_rng(3)
    n = 60
    values = rng.poisson(3, n).astype(float)
    cardinality = rng.integers(1, 7, n)
    observed = rng.poisson(3 * cardinality).astype(float)
    draws = neighbour_draws(n=n, max_k=6, permutations=99, seed=5)
    at_least, at_most = neighbour_sum_ranks(values, cardinality, observed, draws)
    for i in range(n):
        sums = np.array(
            [values[[d for d in row if d != i][: cardinality[i]]].sum() for row in draws]
        )
        assert at_least[i] == (sums >= observed[i]).sum()
        assert at_most[i] == (sums <= observed[i]).sum()
    assert two_sided_p(np.array([0]), np.array([99]), 99)[0] == pytest.approx(2 / 100)
    assert two_sided_p(np.array([99]), np.array([99]), 99)[0] == 1.0


def test_permutation_p_values_agree_with_esda_and_repeat_with_the_seed():
    import warnings

    from esda import G_Local

    weights = weights_build(lattice(12, 12), kind="queen")
    rng = np.random.default_rng(1)
    y = rng.poisson(5, 144).astype(float)
    y[:30] += 8  # a hot corner
    ours = gi_star(y, weights, permutations=999, seed=7)
    again = gi_star(y, weights, permutations=999, seed=7)
    np.testing.assert_array_equal(ours.p_sim, again.p_sim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = G_Local(y, weights.graph(), transform="B", star=True, permutations=999, seed=7)
    esda_two_sided = np.minimum(1, 2 * theirs.p_sim)
    # Different draws, same test: Monte Carlo error of p near 0.05 with 999 draws is ~0.007.
    assert np.abs(esda_two_sided - ours.p_sim).max() < 0.1
    assert ((esda_two_sided <= 0.05) == (ours.p_sim <= 0.05)).mean() > 0.9


def test_confidence_bins_follow_arcgis_levels_and_fdr_is_stricter():
    z = np.array([3.0, -2.2, 1.7, 0.5, -2.7, np.nan])
    p = np.array([0.002, 0.03, 0.09, 0.6, 0.007, np.nan])
    assert confidence_bins(z, p).tolist() == [3, -2, 1, 0, -3, 0]
    # BH at 5 %: sorted p 0.002, 0.007, 0.03, 0.09, 0.6 against k·0.05/5 = 0.01, 0.02, 0.03, …
    assert benjamini_hochberg_cutoff(p, 0.05) == 0.03
    assert benjamini_hochberg_cutoff(p, 0.01) == 0.002  # p(1) ≤ 1 · 0.01/5
    assert benjamini_hochberg_cutoff(p, 0.001) == 0.0
    fdr_bins = confidence_bins(z, p, fdr=True)
    assert fdr_bins.tolist() == [3, -2, 0, 0, -2, 0]


def test_benjamini_hochberg_takes_the_largest_passing_rank():
    # Step-up: 0.04 fails at rank 2 (0.025) but 0.045 passes at rank 4 (0.05), so all four pass.
    assert benjamini_hochberg_cutoff(np.array([0.001, 0.04, 0.042, 0.045]), 0.05) == 0.045


def test_the_four_classes_come_from_standardised_crime_and_insecurity():
    crime = np.array([10.0, 0.0, 10.0, 0.0])
    insecurity = np.array([0.9, 0.9, 0.1, 0.1])
    assert comparison_classes(crime, insecurity) == [
        "both_high",
        "fear_exceeds_crime",
        "crime_exceeds_fear",
        "both_low",
    ]


def test_bivariate_moran_and_area_wide_figures():
    weights = weights_build(lattice(6, 6), kind="queen")
    crime = np.arange(36, dtype=float) % 6  # rises west to east
    insecurity = crime / 5 + np.linspace(0, 0.01, 36)
    result = bivariate(insecurity, crime, weights, permutations=199, seed=3)
    assert result.spearman_rho > 0.95
    assert result.lee_l > 0.5
    # The statistic is esda's: (n − 1) z_x,i · (row-standardised lag of z_y)_i / Σ z_x².
    zx = (insecurity - insecurity.mean()) / insecurity.std()
    zy = (crime - crime.mean()) / crime.std()
    lag = (weights.adjacency @ zy) / weights.cardinality
    np.testing.assert_allclose(result.moran_i, 35 * zx * lag / (zx @ zx), rtol=1e-10)
    assert np.all((result.moran_p > 0) & (result.moran_p <= 1))
    # The west and east edges (extreme values among like neighbours) stand out; draws differ
    # by seed but the statistic does not.
    assert (result.moran_p < 0.05).sum() >= 6
    assert (
        result.moran_p.tolist()
        == bivariate(insecurity, crime, weights, permutations=199, seed=3).moran_p.tolist()
    )


def test_islands_are_linked_to_their_nearest_block_and_reported():
    geoms = np.append(lattice(2, 2), shapely.box(1000, 0, 1100, 100))
    weights = weights_build(geoms, kind="queen")
    assert weights.islands == [4]
    assert weights.adjacency[4].indices.tolist() == [1]  # the nearest centroid: (150, 50)
    assert 4 in weights.adjacency[1].indices


def test_default_distance_band_gives_every_block_a_neighbour():
    geoms = np.append(lattice(2, 2), shapely.box(500, 0, 600, 100))
    weights = weights_build(geoms, kind="distance")
    assert weights.distance_m == pytest.approx(400, rel=1e-6)
    assert (weights.cardinality > 0).all() and weights.islands == []


def test_subset_weights_keep_only_links_among_the_subset():
    adjacency = sparse.csr_matrix(np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]], dtype=float))
    sub = Weights(adjacency, "queen").subset(np.array([1, 2]))
    assert sub.cardinality.tolist() == [0, 0]


def test_blocks_across_a_street_touch_within_the_contiguity_tolerance():
    # Three 30 m blocks in a row, 8 m streets between them; the third is 46 m from the first.
    geoms = np.array([shapely.box(x, 0, x + 30, 30) for x in (0, 38, 76)])
    strict = weights_build(geoms, kind="queen")
    assert strict.islands == [0, 1, 2]  # nothing touches, all linked to a nearest block
    across = weights_build(geoms, kind="queen", contiguity_m=25)
    assert across.islands == []
    assert [sorted(across.adjacency[i].indices) for i in range(3)] == [[1], [0, 2], [1]]


def test_weights_that_leave_most_blocks_alone_are_refused_with_the_reason():
    # Blocks 10 m apart across streets: strict contiguity (contiguity_m 0) touched none, and the
    # run went on with each block linked only to its nearest, as "done".
    apart = np.array(
        [
            shapely.box(c * 110, r * 110, c * 110 + 100, r * 110 + 100)
            for r in range(3)
            for c in range(3)
        ]
    )
    with pytest.raises(ValueError, match="9 of 9 blocks have no neighbour"):
        weights_build(apart, kind="queen", contiguity_m=0)
    assert weights_build(apart, kind="queen", contiguity_m=25).islands == []
