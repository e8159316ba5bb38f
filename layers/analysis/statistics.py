"""Local and area-wide statistics of a run (formulas in docs/methods.md).

esda computes the statistics themselves (Gi*, bivariate local Moran, Lee's L); inference by
conditional permutation uses `permutation.py`, seeded, so a run can be repeated exactly.
"""

import warnings
from dataclasses import dataclass

import numpy as np
from esda import G_Local, Moran_Local_BV
from esda.lee import Spatial_Pearson
from scipy import sparse, stats

from layers.analysis.permutation import neighbour_draws, neighbour_sum_ranks, two_sided_p
from layers.analysis.weights import Weights

LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))  # ArcGIS confidence bins: 99, 95, 90 %


@dataclass
class GiStar:
    z: np.ndarray  # NaN where undefined (constant variable, block without neighbours)
    p: np.ndarray  # analytic, two-sided
    p_sim: np.ndarray  # conditional permutation, two-sided; NaN without permutations
    bin: np.ndarray  # −3 … 3, 0 not significant; the sign is the sign of z


def benjamini_hochberg_cutoff(p: np.ndarray, alpha: float) -> float:
    """The largest p-value rejected at false discovery rate `alpha` (0 if none is).

    Benjamini & Hochberg (1995): with p sorted ascending, reject p(1) … p(k) for the largest k
    with p(k) ≤ k α / m.
    """
    p = np.sort(np.asarray(p, dtype=float)[np.isfinite(p)])
    if len(p) == 0:
        return 0.0
    passing = np.flatnonzero(p <= np.arange(1, len(p) + 1) * alpha / len(p))
    return float(p[passing[-1]]) if len(passing) else 0.0


def confidence_bins(z: np.ndarray, p: np.ndarray, *, fdr: bool = False) -> np.ndarray:
    """ArcGIS's Gi_Bin: ±3 at 99 %, ±2 at 95 %, ±1 at 90 % confidence, else 0.

    With `fdr`, each level's critical p-value is the Benjamini–Hochberg cutoff at that level
    instead, as ArcGIS's "Apply False Discovery Rate (FDR) Correction" does.
    """
    bins = np.zeros(len(z), dtype=np.int64)
    valid = np.isfinite(z) & np.isfinite(p)
    for level, alpha in reversed(LEVELS):
        cutoff = benjamini_hochberg_cutoff(p[valid], alpha) if fdr else alpha
        significant = valid & (p <= cutoff) if fdr else valid & (p <= cutoff)
        bins[significant] = level * np.sign(z[significant]).astype(np.int64)
    return bins


def _draws_for(weights: Weights, permutations: int, seed: int) -> np.ndarray | None:
    n = weights.adjacency.shape[0]
    if permutations <= 0 or n < 2:
        return None
    return neighbour_draws(
        n=n, max_k=int(weights.cardinality.max(initial=0)), permutations=permutations, seed=seed
    )


def gi_star(
    values: np.ndarray, weights: Weights, *, permutations: int, seed: int, fdr: bool = False
) -> GiStar:
    """Getis–Ord Gi* with binary weights and the block itself included (star=True)."""
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    cardinality = weights.cardinality
    nan = np.full(n, np.nan)
    if n < 3 or values.std() == 0 or values.sum() == 0:
        return GiStar(nan, nan.copy(), nan.copy(), np.zeros(n, dtype=np.int64))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = G_Local(
            values, weights.graph(), transform="B", star=True, permutations=0, island_weight=0
        )
    z = np.asarray(result.Zs, dtype=np.float64)
    z[cardinality == 0] = np.nan
    p = 2.0 * stats.norm.sf(np.abs(z))
    p_sim = nan.copy()
    draws = _draws_for(weights, permutations, seed)
    if draws is not None:
        observed = weights.adjacency @ values
        at_least, at_most = neighbour_sum_ranks(values, cardinality, observed, draws)
        p_sim = two_sided_p(at_least, at_most, permutations)
        p_sim[cardinality == 0] = np.nan
    return GiStar(z, p, p_sim, confidence_bins(z, p, fdr=fdr))


@dataclass
class Bivariate:
    moran_i: np.ndarray
    moran_p: np.ndarray
    classes: list[str]
    spearman_rho: float | None
    spearman_p: float | None
    lee_l: float | None


def _standardised(values: np.ndarray) -> np.ndarray:
    sd = values.std()
    return (values - values.mean()) / sd if sd > 0 else np.zeros_like(values)


def comparison_classes(crime: np.ndarray, insecurity: np.ndarray) -> list[str]:
    """The quadrant of each block in the (standardised crime, standardised insecurity) plane."""
    crime_high = _standardised(crime) > 0
    fear_high = _standardised(insecurity) > 0
    return [
        ("both_high" if f else "crime_exceeds_fear")
        if c
        else ("fear_exceeds_crime" if f else "both_low")
        for c, f in zip(crime_high, fear_high, strict=True)
    ]


def bivariate(
    insecurity: np.ndarray, crime: np.ndarray, weights: Weights, *, permutations: int, seed: int
) -> Bivariate:
    """Insecurity here against crime around here, over blocks that have both."""
    insecurity = np.asarray(insecurity, dtype=np.float64)
    crime = np.asarray(crime, dtype=np.float64)
    n = len(crime)
    nan = np.full(n, np.nan)
    classes = comparison_classes(crime, insecurity)
    if n < 3 or crime.std() == 0 or insecurity.std() == 0:
        return Bivariate(nan, nan.copy(), classes, None, None, None)
    cardinality = weights.cardinality
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        local = Moran_Local_BV(
            insecurity, crime, weights.graph(), transformation="r", permutations=0
        )
    moran_i = np.asarray(local.Is, dtype=np.float64)
    moran_i[cardinality == 0] = np.nan
    moran_p = nan.copy()
    draws = _draws_for(weights, permutations, seed)
    if draws is not None:
        z_crime = _standardised(crime)
        observed = weights.adjacency @ z_crime
        at_least, at_most = neighbour_sum_ranks(z_crime, cardinality, observed, draws)
        moran_p = two_sided_p(at_least, at_most, permutations)
        # With insecurity at its mean the statistic is 0 whatever the neighbours are.
        moran_p[_standardised(insecurity) == 0] = 1.0
        moran_p[cardinality == 0] = np.nan
    rho, rho_p = stats.spearmanr(crime, insecurity)
    return Bivariate(
        moran_i, moran_p, classes, float(rho), float(rho_p), lee_l(insecurity, crime, weights)
    )


def lee_l(x: np.ndarray, y: np.ndarray, weights: Weights) -> float | None:
    """Lee's (2001) L between x and y with row-standardised weights."""
    row_sums = np.asarray(weights.adjacency.sum(axis=1)).ravel()
    if (row_sums == 0).all():
        return None
    inverse = np.divide(1.0, row_sums, out=np.zeros_like(row_sums), where=row_sums > 0)
    standardised = sparse.diags(inverse) @ weights.adjacency
    estimator = Spatial_Pearson(connectivity=standardised, permutations=0)
    estimator.fit(x.reshape(-1, 1), y.reshape(-1, 1))
    return float(estimator.association_[0, 1])
