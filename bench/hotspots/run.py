"""Hotspot benchmark: a full Trygg analysis run with per-stage times, against the same analysis
done the plain way (geopandas spatial joins + esda's own permutation inference) in the same run.

    .venv/bin/python bench/hotspots/run.py [--area demo] [--side 122 --incidents 300000]
        [--permutations 999] [--repeat 2]

Without --area (or if that area does not exist) a synthetic neighbourhood of side² blocks of
100 m and the given number of incidents is generated once (slug bench-hotspots-<side>).
"""

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import geopandas  # noqa: E402
import numpy as np  # noqa: E402
import pandas  # noqa: E402
import shapely  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from scipy import ndimage, stats  # noqa: E402

from geo.models import Area  # noqa: E402
from layers.analysis import rasters  # noqa: E402
from layers.analysis.insecurity import block_insecurity, survey_shares  # noqa: E402
from layers.analysis.runs import analysis_run  # noqa: E402
from layers.analysis.sql import Evidence, surveys_fetch  # noqa: E402
from layers.models import AnalysisRun, BlockResult  # noqa: E402


def _frame(sql_text: str, params: dict, srid: int, columns: list[str]) -> geopandas.GeoDataFrame:
    with connection.cursor() as cursor:
        cursor.execute(sql_text, params)
        rows = cursor.fetchall()
    data = pandas.DataFrame([r[:-1] for r in rows], columns=columns)
    geometry = shapely.from_wkb([bytes(r[-1]) for r in rows])
    return geopandas.GeoDataFrame(data, geometry=geometry, crs=4326).to_crs(srid)


def baseline(area: Area, permutations: int, seed: int) -> dict[str, float]:
    """The analysis as an analyst would write it in a notebook."""
    from esda import G_Local, Moran_Local_BV
    from esda.lee import Spatial_Pearson
    from libpysal.weights import fuzzy_contiguity, w_subset

    times: dict[str, float] = {}
    srid = area.analysis_srid
    clock = time.perf_counter()

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        times[name] = now - clock
        clock = now

    blocks = _frame(
        "SELECT id, code, population, ST_AsBinary(geom) FROM geo_block WHERE area_id = %(a)s"
        " ORDER BY id",
        {"a": area.pk},
        srid,
        ["id", "code", "population"],
    )
    lap("blocks")
    points = _frame(
        "SELECT id, ST_AsBinary(geom) FROM layers_crimeincident WHERE area_id = %(a)s",
        {"a": area.pk},
        srid,
        ["id"],
    )
    joined = geopandas.sjoin(points, blocks[["id", "geometry"]], predicate="intersects")
    joined = joined.sort_values(["id_left", "id_right"]).drop_duplicates("id_left")
    rest = points[~points["id"].isin(joined["id_left"])]
    snapped = geopandas.sjoin_nearest(
        rest, blocks[["id", "geometry"]], max_distance=settings.TRYGG_SNAP_DISTANCE_M
    ).drop_duplicates("id_left")
    assigned = pandas.concat([joined["id_right"], snapped["id_right"]])
    counts = assigned.value_counts().reindex(blocks["id"], fill_value=0).to_numpy(dtype=float)
    lap("crime")
    observations = _frame(
        "SELECT o.id, k.positive, o.severity, o.feeling, ST_AsBinary(o.geom)"
        " FROM walks_observation o JOIN walks_walk w ON w.id = o.walk_id"
        " JOIN walks_observationkind k ON k.id = o.kind_id WHERE w.area_id = %(a)s",
        {"a": area.pk},
        srid,
        ["id", "positive", "severity", "feeling"],
    )
    near = geopandas.sjoin(
        observations, blocks[["id", "geometry"]], predicate="dwithin", distance=25.0
    )
    negative = near[~near["positive"]]
    rated = near[near["feeling"].notna()]
    evidence = Evidence(
        negative=negative.groupby("id_right").size().to_dict(),
        negative_weight=(negative["severity"].fillna(3) / 5)
        .groupby(negative["id_right"])
        .sum()
        .to_dict(),
        positive=near[near["positive"]].groupby("id_right").size().to_dict(),
        ratings=rated.groupby("id_right").size().to_dict(),
        feeling_unsafe=((5 - rated["feeling"]) / 4).groupby(rated["id_right"]).mean().to_dict(),
    )
    shares = survey_shares(surveys_fetch(area=area), year_from=None, year_to=None)
    weights = {"observations": 1.0, "feeling": 1.0, "survey": 1.0}
    insecurity = np.array(
        [
            np.nan
            if (
                b := block_insecurity(i, evidence, shares, weights=weights, positive_weight=0.5)
            ).index
            is None
            else b.index
            for i in blocks["id"]
        ]
    )
    lap("insecurity")
    # Queen contiguity across streets, as Trygg's default (contiguity_m = 25).
    w = fuzzy_contiguity(blocks, buffering=True, buffer=12.5)
    lap("weights")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        G_Local(counts, w, transform="B", star=True, permutations=permutations, seed=seed)
        lap("gi_crime")
        have = np.flatnonzero(np.isfinite(insecurity))
        w_have = w_subset(w, [w.id_order[i] for i in have])
        G_Local(
            insecurity[have], w_have, transform="B", star=True, permutations=permutations, seed=seed
        )
        lap("gi_insecurity")
        Moran_Local_BV(insecurity[have], counts[have], w_have, permutations=permutations, seed=seed)
        stats.spearmanr(counts[have], insecurity[have])
        w_have.transform = "r"
        Spatial_Pearson(connectivity=w_have.sparse, permutations=0).fit(
            insecurity[have].reshape(-1, 1), counts[have].reshape(-1, 1)
        )
        lap("bivariate")
    xy = shapely.get_coordinates(pandas.concat([joined, snapped]).geometry.to_numpy())
    bandwidth = rasters.bandwidth_rule(xy)
    grid = rasters.grid_for(tuple(blocks.total_bounds), cell=10.0, bandwidth=bandwidth)
    out = Path(settings.MEDIA_ROOT) / "bench-baseline"
    for name, (pts, wts) in {
        "crime_density": (xy, None),
        "insecurity": (
            shapely.get_coordinates(observations.geometry.representative_point().to_numpy()),
            np.where(observations["positive"], -0.5, observations["severity"].fillna(3) / 5),
        ),
    }.items():
        rows, columns = grid.indices(pts)
        histogram = np.zeros((grid.height, grid.width))
        np.add.at(histogram, (rows, columns), 1.0 if wts is None else wts)
        surface = ndimage.gaussian_filter(histogram, bandwidth / grid.cell, mode="constant")
        surface = (surface * 1e6 / grid.cell**2).astype(np.float32)
        rasters.cog_write(out / f"{name}.tif", surface, grid, srid=srid)
    lap("rasters")
    run = AnalysisRun.objects.create(area=area, parameters={"baseline": True})
    BlockResult.objects.bulk_create(
        [
            BlockResult(
                run=run,
                block_id=int(b),
                crime_count=int(c),
                insecurity_index=None if np.isnan(i) else float(i),
            )
            for b, c, i in zip(blocks["id"], counts, insecurity, strict=True)
        ],
        batch_size=2000,
    )
    run.delete()
    lap("store")
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--area")
    parser.add_argument("--side", type=int, default=122)
    parser.add_argument("--incidents", type=int, default=300_000)
    parser.add_argument("--observations", type=int, default=3_000)
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--repeat", type=int, default=2)
    options = parser.parse_args()
    area = Area.objects.filter(slug=options.area).first() if options.area else None
    if area is None:
        from bench.hotspots.synthetic import synthetic_area

        slug = f"bench-hotspots-{options.side}"
        area = Area.objects.filter(slug=slug).first()
        if area is None or area.crime_incidents.count() != options.incidents:
            print(f"generating {slug} …", flush=True)
            area = synthetic_area(
                slug=slug,
                blocks_per_side=options.side,
                incidents=options.incidents,
                observations=options.observations,
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE geo_block; ANALYZE layers_crimeincident; ANALYZE walks_observation")
    blocks, incidents = area.blocks.count(), area.crime_incidents.count()
    print(
        f"area {area.slug}: {blocks} blocks, {incidents} incidents, "
        f"{options.permutations} permutations, {os.cpu_count()} cores"
    )
    ours, plain = [], []
    for attempt in range(options.repeat):
        started = time.perf_counter()
        run = analysis_run(area=area, parameters={"permutations": options.permutations})
        ours.append(time.perf_counter() - started)
        timings = run.timings
        run.delete()
        print(f"trygg run {ours[-1]:.2f} s: {timings}", flush=True)
        started = time.perf_counter()
        base = baseline(area, options.permutations, seed=1)
        plain.append(time.perf_counter() - started)
        print(f"\nattempt {attempt + 1}: trygg {ours[-1]:.2f} s, baseline {plain[-1]:.2f} s")
        print(f"  {'stage':<14}{'trygg s':>9}{'baseline s':>12}")
        for stage in timings:
            theirs = base.get(stage)
            print(
                f"  {stage:<14}{timings[stage]:>9.2f}{'' if theirs is None else f'{theirs:>12.2f}'}"
            )
    best, base_best = min(ours), min(plain)
    median_ratio = statistics.median(plain) / statistics.median(ours)
    print(
        f"\nbest of {options.repeat}: trygg {best:.2f} s, baseline {base_best:.2f} s, "
        f"speed-up {base_best / best:.2f}x (median {median_ratio:.2f}x)"
    )


if __name__ == "__main__":
    main()
