"""Conditional permutation inference for local statistics whose value at a block depends on the
sum of its neighbours' values (Gi*, bivariate local Moran with binary or row-standardised weights).

Under conditional randomisation (Anselin 1995) the block keeps its own value and its k neighbours
are replaced by k values drawn without replacement from the other n − 1 blocks. As in esda, one
set of random draws serves every block. A draw is an ordered sequence of k_max + 1 distinct
indices of 0 … n − 1; block i takes the first k indices, skipping itself if it is among them
(then the (k+1)-th takes its place), which is a uniform sample of k of the other blocks.

Because blocks with the same k share the same draw sums except where a draw hit the block itself,
the counts come from one sorted array per k plus a correction for those few hits, instead of
n × permutations × k look-ups. The result is exact for those draws (tests compare it with a
direct loop) and takes milliseconds for 15,000 blocks and 999 permutations.
"""

import numpy as np


def neighbour_draws(*, n: int, max_k: int, permutations: int, seed: int) -> np.ndarray:
    """(permutations, max_k + 1) indices into 0 … n − 1, distinct within a row, reproducible."""
    width = min(max_k + 1, n)
    rng = np.random.default_rng(seed)
    draws = np.empty((permutations, width), dtype=np.int64)
    for row in range(permutations):
        draws[row] = rng.choice(n, size=width, replace=False)
    return draws


def neighbour_sum_ranks(
    values: np.ndarray, cardinality: np.ndarray, observed: np.ndarray, draws: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each block: how many random neighbour sums are ≥ and ≤ its observed neighbour sum.

    values: the variable (n,); cardinality: number of neighbours of each block, itself excluded;
    observed: the block's actual neighbour sum. Blocks without neighbours get ≥ = ≤ = all.
    """
    values = np.asarray(values, dtype=np.float64)
    cardinality = np.asarray(cardinality, dtype=np.int64)
    observed = np.asarray(observed, dtype=np.float64)
    permutations, width = draws.shape
    n = len(values)
    if cardinality.max(initial=0) >= width:
        raise ValueError("draws are narrower than the largest neighbourhood")
    # Neighbour sums computed two ways (sparse product, cumulative sum) differ by rounding only.
    tolerance = 1e-9 * (1.0 + np.abs(values).max(initial=0.0) * max(width, 1))
    sums = np.cumsum(values[draws], axis=1)
    at_least = np.full(n, permutations, dtype=np.int64)
    at_most = np.full(n, permutations, dtype=np.int64)
    for k in np.unique(cardinality[cardinality > 0]):
        sites = np.flatnonzero(cardinality == k)
        ordered = np.sort(sums[:, k - 1])
        at_least[sites] = permutations - np.searchsorted(
            ordered, observed[sites] - tolerance, "left"
        )
        at_most[sites] = np.searchsorted(ordered, observed[sites] + tolerance, "right")
    # Draws that picked a block among its own first k neighbours: swap in the next index.
    rows, columns = np.nonzero(draws >= 0)
    sites = draws[rows, columns]
    k = cardinality[sites]
    hit = columns < k
    rows, sites, k = rows[hit], sites[hit], k[hit]
    wrong = sums[rows, k - 1]
    right = wrong - values[sites] + values[draws[rows, k]]
    target = observed[sites]
    np.add.at(
        at_least,
        sites,
        (right >= target - tolerance).astype(np.int64) - (wrong >= target - tolerance),
    )
    np.add.at(
        at_most,
        sites,
        (right <= target + tolerance).astype(np.int64) - (wrong <= target + tolerance),
    )
    return at_least, at_most


def two_sided_p(at_least: np.ndarray, at_most: np.ndarray, permutations: int) -> np.ndarray:
    """Pseudo p-value for a deviation in either direction: 2 (min(#≥, #≤) + 1) / (P + 1), ≤ 1.

    Ties count on both sides, so a block whose statistic cannot vary (all values equal) gets 1.
    """
    extreme = np.minimum(at_least, at_most)
    return np.minimum(1.0, 2.0 * (extreme + 1.0) / (permutations + 1.0))
