"""Spatial weights between blocks (libpysal), all binary, in the area's analysis CRS.

queen: blocks sharing an edge or a corner, or (as city blocks are parted by streets) whose
boundaries come within a tolerance of each other, 25 m by default. distance: block centroids
within a distance band, by default the smallest distance that gives every block a neighbour.
knn: the k nearest centroids. A block left without a neighbour (an island, e.g. a block across a
river) is linked to its nearest block by centroid distance, and reported.
"""

from dataclasses import dataclass, field

import geopandas
import numpy as np
import shapely
from libpysal.graph import Graph
from scipy import sparse
from scipy.spatial import cKDTree

# A band wider than this (an outlying block forces a huge default band) makes the weights dense
# and the statistics meaningless; the run refuses it rather than run out of memory.
MAX_MEAN_NEIGHBOURS = 100


class WeightsTooDense(ValueError):
    pass


class WeightsTooSparse(ValueError):
    """Most blocks have no neighbour: linking each to its nearest would make the run a
    nearest-neighbour analysis nobody asked for."""


@dataclass
class Weights:
    adjacency: sparse.csr_matrix  # binary, no self-links, rows in block order
    kind: str
    distance_m: float | None = None
    k: int | None = None
    islands: list[int] = field(default_factory=list)  # positions linked to their nearest block

    @property
    def cardinality(self) -> np.ndarray:
        return np.diff(self.adjacency.indptr)

    def subset(self, positions: np.ndarray) -> "Weights":
        """The weights among a subset of blocks (e.g. those with insecurity data)."""
        sub = sparse.csr_matrix(self.adjacency[positions][:, positions])
        return Weights(sub, self.kind, self.distance_m, self.k)

    def graph(self) -> Graph:
        """The same weights as a libpysal Graph with ids 0 … n − 1, for esda."""
        return Graph.from_sparse(self.adjacency)


def _centroids(geoms: np.ndarray) -> np.ndarray:
    return shapely.get_coordinates(shapely.centroid(geoms))


def smallest_connecting_distance(centroids: np.ndarray) -> float:
    """The smallest band (metres) within which every block has at least one neighbour."""
    if len(centroids) < 2:
        return 0.0
    distances, _ = cKDTree(centroids).query(centroids, k=2)
    return float(distances[:, 1].max())


def weights_build(
    geoms: np.ndarray,
    *,
    kind: str = "queen",
    distance_m: float | None = None,
    k: int = 8,
    contiguity_m: float = 0.0,
) -> Weights:
    """geoms: shapely polygons in the analysis CRS, in block order. For queen contiguity, blocks
    whose boundaries come within `contiguity_m` of each other (across a street) touch."""
    n = len(geoms)
    centroids = _centroids(geoms)
    if kind == "queen":
        if contiguity_m > 0:
            # Both blocks grow by half the gap, so they meet when the gap is at most contiguity_m.
            graph = Graph.build_fuzzy_contiguity(
                geopandas.GeoSeries(geoms), buffer=contiguity_m / 2
            )
        else:
            graph = Graph.build_contiguity(geopandas.GeoSeries(geoms), rook=False, strict=False)
        adjacency = _adjacency(graph, n)
    elif kind == "distance":
        if distance_m is None:
            # A hair over the largest nearest-neighbour distance, so rounding cannot drop it.
            distance_m = smallest_connecting_distance(centroids) * (1 + 1e-9) + 1e-6
        tree = cKDTree(centroids)
        links = tree.count_neighbors(tree, distance_m) - n
        if links > MAX_MEAN_NEIGHBOURS * n:
            raise WeightsTooDense(
                f"A distance band of {distance_m:.0f} m gives blocks {links / n:.0f} neighbours on"
                f" average (at most {MAX_MEAN_NEIGHBOURS}); set a smaller distance or use knn."
            )
        graph = Graph.build_distance_band(centroids, distance_m, binary=True)
        adjacency = _adjacency(graph, n)
    elif kind == "knn":
        k = min(k, n - 1)
        graph = Graph.build_knn(centroids, k=k)
        adjacency = _adjacency(graph, n)
    else:
        raise ValueError(f"Unknown weights {kind!r}")
    alone = int((np.diff(adjacency.indptr) == 0).sum())
    if n >= 4 and alone > n / 2:
        hint = {
            "queen": "raise contiguity_m (blocks across a street touch within it)",
            "distance": "raise distance_m",
        }.get(kind, "use other weights")
        raise WeightsTooSparse(
            f"With these weights {alone} of {n} blocks have no neighbour; {hint}."
        )
    adjacency, islands = _link_islands(adjacency, centroids)
    return Weights(adjacency, kind, distance_m, k if kind == "knn" else None, islands)


def _adjacency(graph: Graph, n: int) -> sparse.csr_matrix:
    matrix = sparse.csr_matrix(graph.sparse, dtype=np.float64)
    matrix.setdiag(0)
    matrix.eliminate_zeros()
    matrix.data[:] = 1.0
    if matrix.shape != (n, n):
        raise ValueError("weights do not cover every block")
    return matrix


def _link_islands(adjacency: sparse.csr_matrix, centroids: np.ndarray):
    cardinality = np.diff(adjacency.indptr)
    islands = np.flatnonzero(cardinality == 0)
    if len(islands) == 0 or len(centroids) < 2:
        return adjacency, islands.tolist()
    _, nearest = cKDTree(centroids).query(centroids[islands], k=2)
    partner = nearest[:, 1]
    links = sparse.csr_matrix(
        (np.ones(2 * len(islands)), (np.r_[islands, partner], np.r_[partner, islands])),
        shape=adjacency.shape,
    )
    linked = sparse.csr_matrix(adjacency + links)
    linked.data[:] = 1.0
    return linked, islands.tolist()
