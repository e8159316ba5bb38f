"""Computing a hotspot analysis: `analysis_run` computes and stores one run, in the background
worker (layers.analysis.tasks) or from a command (docs/methods.md describes every step)."""

import shutil
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import shapely
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop
from pyproj import Transformer

from geo.models import Area
from geo.services import data_version_bump
from layers.analysis import rasters, sql
from layers.analysis.insecurity import block_insecurity, survey_shares
from layers.analysis.parameters import Parameters, parameters_parse
from layers.analysis.services import analysis_check, analysis_folder
from layers.analysis.statistics import bivariate, gi_star
from layers.analysis.weights import weights_build
from layers.assignment import crime_assignment_totals
from layers.jobs import (
    JobStopped,
    inputs_lock_store,
    job_held,
    job_start,
    job_stop_check,
    job_stopped_end,
    progress_store,
)
from layers.models import AnalysisRaster, AnalysisRun, RunStatus

Progress = Callable[[str, float], None]


def _month_after(month: date | None) -> date | None:
    if month is None:
        return None
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _optional(value) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


class _Stages:
    """Times each stage and reports progress to the run row and an optional callback."""

    WEIGHTS = {
        "fingerprint": 5,
        "blocks": 5,
        "crime": 30,
        "insecurity": 5,
        "weights": 10,
        "gi_crime": 5,
        "gi_insecurity": 5,
        "bivariate": 5,
        "rasters": 20,
        "store": 10,
    }

    def __init__(self, run: AnalysisRun, progress: Progress | None):
        self.run, self.progress, self.timings, self.done = run, progress, {}, 0

    def __call__(self, name: str):
        stages = self

        class Stage:
            def __enter__(self):
                self.started = time.perf_counter()

            def __exit__(self, kind, *_):
                if kind is None:
                    stages.timings[name] = round(time.perf_counter() - self.started, 4)
                    stages.done += stages.WEIGHTS[name]
                    fraction = stages.done / sum(stages.WEIGHTS.values())
                    # Where a run learns that an analyst asked to stop it (JobStopped).
                    with connection.cursor() as cursor:
                        progress_store(cursor, AnalysisRun, stages.run.pk, fraction)
                    if stages.progress:
                        stages.progress(name, fraction)

        return Stage()


def analysis_run(
    *,
    area: Area,
    parameters: Parameters | dict | None = None,
    created_by=None,
    run: AnalysisRun | None = None,
    progress: Progress | None = None,
) -> AnalysisRun:
    """Compute and store one analysis of `area`; a failure is stored on the run and re-raised.
    A run an analyst stopped (layers.jobs.job_stop) ends `stopped` with nothing stored, and
    one stopped before it started is not computed."""
    if not isinstance(parameters, Parameters):
        parameters = parameters_parse(parameters or {})
    if run is None:
        analysis_check(area=area, parameters=parameters)
        run = AnalysisRun.objects.create(
            area=area, created_by=created_by, parameters=parameters.as_json(), seed=parameters.seed
        )
    with job_held(run):  # so a status read can tell a dead worker from a slow one
        if not job_start(run):
            return run
        try:
            analysis_check(area=area, parameters=parameters)  # the data may have changed since
            _compute_and_store(run, area, parameters, _Stages(run, progress))
        except JobStopped:
            _unstored_rasters_remove(run)
            return job_stopped_end(run)
        except Exception as error:
            _unstored_rasters_remove(run)
            AnalysisRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED, error=str(error)[:2000], finished_at=timezone.now()
            )
            run.refresh_from_db()
            raise
    return run


def _unstored_rasters_remove(run: AnalysisRun) -> None:
    """The raster files of a run that stopped or failed before its results were stored: they
    are written first and recorded with the results in one transaction at the end, so no row
    refers to them and nothing else would ever remove them."""
    if not AnalysisRaster.objects.filter(run=run).exists():
        shutil.rmtree(Path(settings.MEDIA_ROOT) / analysis_folder(run.pk), ignore_errors=True)


def _compute_and_store(run: AnalysisRun, area: Area, parameters: Parameters, stage: _Stages):
    month_from, month_to = parameters.month_from, parameters.month_to
    until = _month_after(month_to)
    # Taken before the data is read and checked again in the transaction that stores the
    # results (_store): the run reads in several statements, and an import or a sync committing
    # in between would give results whose fingerprint claims data they do not include. Twice on
    # purpose, then (about 5% of a run each: 28 ms of 0.6 s for the demo area): taking it once
    # would need every read in one REPEATABLE READ snapshot, while each stage's progress must
    # commit as it goes.
    with stage("fingerprint"):
        fingerprint = sql.inputs_fingerprint(area=area, parameters=run.parameters)
    with stage("blocks"):
        blocks = sql.blocks_fetch(area=area)
        n = len(blocks.ids)
        position = {block_id: i for i, block_id in enumerate(blocks.ids.tolist())}

    with stage("crime"):
        totals = crime_assignment_totals(
            area=area,
            date_from=month_from,
            date_to=month_to,
            categories=list(parameters.categories) or None,
            snap_distance_m=parameters.snap_distance_m,
        )
        if not totals.per_block:
            # Crime in the area's table but none in or near a block (a period whose incidents
            # all lie outside): every block would come out empty, and this run, the latest,
            # would blank everyone's map.
            raise ValueError(
                gettext_noop(
                    "The crime of this period and these categories lies in or near no block"
                    " (within the snap distance), so there is nothing to compare; choose another"
                    " period."
                )
            )
        counts = np.zeros(n)
        for block_id, count in totals.per_block.items():
            counts[position[block_id]] = count
        crime_value = _crime_values(counts, blocks, parameters.variable)

    with stage("insecurity"):
        per_block = _insecurity_per_block(area, blocks, parameters, until)
        insecurity = np.array(
            [np.nan if b.index is None else b.index for b in per_block], dtype=float
        )

    with stage("weights"):
        weights = weights_build(
            blocks.geoms,
            kind=parameters.weights,
            distance_m=parameters.distance_m,
            k=parameters.k,
            contiguity_m=parameters.contiguity_m,
        )

    with stage("gi_crime"):
        crime_gi = _local_gi(crime_value, weights, parameters, seed_offset=0)
    with stage("gi_insecurity"):
        insecurity_gi = _local_gi(insecurity, weights, parameters, seed_offset=1)

    with stage("bivariate"):
        both = np.flatnonzero(np.isfinite(crime_value) & np.isfinite(insecurity))
        moran_i, moran_p, classes, area_wide = _bivariate_local(
            insecurity, crime_value, both, weights, parameters
        )

    with stage("rasters"):
        raster_paths, raster_figures = _rasters(run, area, blocks, totals, parameters, until)

    with stage("store"):
        rows = [  # in sql.RESULT_COLUMNS order
            (
                int(blocks.ids[i]),
                int(counts[i]),
                _optional(crime_value[i]),
                _optional(crime_gi[0][i]),
                _optional(crime_gi[1][i]),
                _optional(crime_gi[2][i]),
                _bin(crime_gi[3][i]),
                per_block[i].index,
                _optional(insecurity_gi[0][i]),
                _optional(insecurity_gi[1][i]),
                _optional(insecurity_gi[2][i]),
                _bin(insecurity_gi[3][i]),
                per_block[i].observations,
                per_block[i].feeling,
                per_block[i].survey,
                per_block[i].negative,
                per_block[i].positive,
                classes[i],
                _optional(moran_i[i]),
                _optional(moran_p[i]),
            )
            for i in range(n)
        ]
        figures = {
            "blocks": n,
            "incidents_inside": totals.inside,
            "incidents_snapped": totals.snapped,
            "incidents_unassigned": totals.unassigned,
            "blocks_with_insecurity": int(np.isfinite(insecurity).sum()),
            "blocks_compared": len(both),
            "weights": _weights_figures(weights, parameters, blocks),
            **area_wide,
            "crime_gi_bins": _bin_counts(crime_gi[3]),
            "insecurity_gi_bins": _bin_counts(insecurity_gi[3]),
            "classes": dict(Counter(c for c in classes if c)),
            **raster_figures,
        }
        _store(run, area, rows, raster_paths, figures, fingerprint, stage.timings)
    # The store stage's own time is known only once it has finished.
    run.timings = dict(stage.timings)
    AnalysisRun.objects.filter(pk=run.pk).update(timings=run.timings)


def _insecurity_per_block(area: Area, blocks, parameters: Parameters, until) -> list:
    """Each block's perceived insecurity (with its evidence) from the findings near it and the
    survey results of the period."""
    month_from, month_to = parameters.month_from, parameters.month_to
    evidence = sql.evidence_fetch(
        area=area,
        date_from=month_from,
        until=until,
        distance_m=parameters.observation_distance_m,
    )
    shares = survey_shares(
        sql.surveys_fetch(area=area),
        year_from=month_from.year if month_from else None,
        year_to=month_to.year if month_to else None,
    )
    return [
        block_insecurity(
            block_id,
            evidence,
            shares,
            weights=parameters.insecurity_weights,
            positive_weight=parameters.positive_weight,
        )
        for block_id in blocks.ids.tolist()
    ]


def _weights_figures(weights, parameters: Parameters, blocks) -> dict:
    return {
        "kind": weights.kind,
        "distance_m": weights.distance_m,
        "k": weights.k,
        "contiguity_m": parameters.contiguity_m if weights.kind == "queen" else None,
        "mean_neighbours": float(weights.cardinality.mean()) if len(blocks.ids) else 0.0,
        "islands": [blocks.codes[i] for i in weights.islands],
    }


def _store(run: AnalysisRun, area: Area, rows, raster_paths, figures, fingerprint, timings):
    """Replace the run's results with these and mark it done, in one transaction: a reader
    sees the previous results or all of the new ones."""
    with transaction.atomic():
        _inputs_unchanged(run, area, fingerprint)
        job_stop_check(run)
        run.block_results.all().delete()
        run.rasters.all().delete()
        sql.block_results_copy(run_id=run.pk, rows=rows)
        AnalysisRaster.objects.bulk_create(
            AnalysisRaster(run=run, name=name, path=path) for name, path in raster_paths.items()
        )
        run.status, run.progress = RunStatus.DONE, 1.0
        run.figures, run.data_fingerprint = figures, fingerprint
        run.finished_at = timezone.now()
        run.timings = timings
        run.save()
        data_version_bump(area=area, layers=["analysis", "blocks"])


def _inputs_unchanged(run: AnalysisRun, area: Area, fingerprint: str) -> None:
    """The check, in the storing transaction, that the run's inputs are those its reads began
    with; ValueError if not. Under the area's inputs lock (layers/jobs.py), which an import or a
    delete of data takes before it commits: none commits between this check and the results'
    commit, which would leave a run marked done after an import had finished, without its rows.
    One storing now fails the run at once rather than keep it waiting (for minutes, a large
    crime import): the check would fail once it commits anyway."""
    if not inputs_lock_store(area.pk):
        raise ValueError(
            gettext_noop(
                "An import or a delete is changing the area's data; start the analysis again once"
                " it has finished, to include it."
            )
        )
    if sql.inputs_fingerprint(area=area, parameters=run.parameters) != fingerprint:
        raise ValueError(
            gettext_noop(
                "The area's data changed while the analysis ran (an import, new blocks or new"
                " findings); start the analysis again to include it."
            )
        )


def _crime_values(counts: np.ndarray, blocks, variable: str) -> np.ndarray:
    """The crime measure analysed per block: the count, per km², or per 1,000 residents (NaN
    where the population is unknown)."""
    if variable == "count":
        return counts.copy()
    if variable == "density":
        return counts / (shapely.area(blocks.geoms) / 1e6)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(blocks.population > 0, counts / blocks.population * 1000, np.nan)


def _local_gi(values: np.ndarray, weights, parameters: Parameters, *, seed_offset: int):
    """Gi* (z, p, p_sim, bin) per block over the blocks with a value; NaN for the others."""
    present = np.flatnonzero(np.isfinite(values))
    z, p, p_sim, bins = (np.full(len(values), np.nan) for _ in range(4))
    if len(present):
        result = gi_star(
            values[present],
            weights.subset(present),
            permutations=parameters.permutations,
            seed=parameters.seed + seed_offset,
            fdr=parameters.fdr,
        )
        z[present], p[present], p_sim[present] = result.z, result.p, result.p_sim
        bins[present] = np.where(np.isfinite(result.z), result.bin, np.nan)
    return z, p, p_sim, bins


def _bivariate_local(insecurity, crime_value, both: np.ndarray, weights, parameters: Parameters):
    """(local bivariate Moran's I, its p, comparison class per block, area-wide figures) over
    the blocks `both` with both measures; NaN and no class for the others."""
    n = len(crime_value)
    moran_i, moran_p = np.full(n, np.nan), np.full(n, np.nan)
    classes = [""] * n
    area_wide: dict = {"spearman_rho": None, "spearman_p": None, "lee_l": None}
    if len(both):
        result = bivariate(
            insecurity[both],
            crime_value[both],
            weights.subset(both),
            permutations=parameters.permutations,
            seed=parameters.seed + 2,
        )
        moran_i[both], moran_p[both] = result.moran_i, result.moran_p
        for i, cls in zip(both.tolist(), result.classes, strict=True):
            classes[i] = cls
        area_wide = {
            "spearman_rho": _optional(result.spearman_rho),
            "spearman_p": _optional(result.spearman_p),
            "lee_l": _optional(result.lee_l),
        }
    return moran_i, moran_p, classes, area_wide


def _bin(value) -> int | None:
    return None if np.isnan(value) else int(value)


def _bin_counts(bins: np.ndarray) -> dict[str, int]:
    finite = bins[np.isfinite(bins)].astype(int)
    return {str(level): int((finite == level).sum()) for level in range(-3, 4)}


def _rasters(run, area, blocks, totals, parameters: Parameters, until):
    srid = area.analysis_srid
    if totals.points_wkb:
        lonlat = shapely.get_coordinates(shapely.from_wkb(totals.points_wkb))
        x, y = Transformer.from_crs(4326, srid, always_xy=True).transform(
            lonlat[:, 0], lonlat[:, 1]
        )
        crime_points = np.column_stack([x, y])
    else:
        crime_points = np.empty((0, 2))
    obs_points, positive, severity = sql.observation_points(
        area=area, date_from=parameters.month_from, until=until
    )
    bandwidth = (
        parameters.bandwidth_m
        or rasters.bandwidth_rule(crime_points)
        or rasters.bandwidth_rule(obs_points)
        or 100.0
    )
    bandwidth = max(bandwidth, 2 * parameters.cell_m)
    grid = rasters.grid_for(
        tuple(shapely.total_bounds(blocks.geoms)), cell=parameters.cell_m, bandwidth=bandwidth
    )
    crime = rasters.kernel_density(crime_points, None, grid, bandwidth)
    obs_weights = np.where(positive, -parameters.positive_weight, severity / 5.0)
    fear = rasters.kernel_density(obs_points, obs_weights, grid, bandwidth)
    np.maximum(fear, 0, out=fear)
    gap = rasters.perception_gap(fear, crime, grid)
    relative = analysis_folder(run.pk)
    paths = {}
    for name, array, nodata in (
        ("crime_density", crime, None),
        ("insecurity", fear, None),
        ("perception_gap", gap, float("nan")),
    ):
        rasters.cog_write(
            Path(settings.MEDIA_ROOT) / relative / f"{name}.tif",
            array,
            grid,
            srid=srid,
            nodata=nodata,
        )
        paths[name] = str(relative / f"{name}.tif")
    figures = {
        "bandwidth_m": round(float(bandwidth), 3),
        "cell_m": parameters.cell_m,
        "raster_size": [grid.width, grid.height],
        "crime_density_total": float(crime.sum(dtype=np.float64) * grid.cell**2 / 1e6),
    }
    return paths, figures
