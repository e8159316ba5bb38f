"""Asking for a hotspot analysis: `analysis_queue` checks a request and hands the run to the
background worker, which computes it with layers.analysis.runs (docs/methods.md describes every
step). This side stays light: web workers import it, and never the scientific stack the
computation needs (esda, libpysal, scipy: some 200 MB and a second per worker).
"""

import shutil
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from geo.models import Area
from geo.services import audit_record, data_version_bump
from layers.analysis.parameters import Parameters, parameters_parse
from layers.models import AnalysisRun, CrimeIncident, RunStatus, crime_matching

RASTER_NAMES = ("crime_density", "insecurity", "perception_gap")


def analysis_queue(*, area: Area, data: dict, user=None) -> AnalysisRun:
    """Validate the parameters, store a queued run and hand it to the background worker."""
    from layers.analysis.tasks import analysis_execute

    parameters = parameters_parse(data)
    analysis_check(area=area, parameters=parameters)
    run = AnalysisRun.objects.create(
        area=area,
        created_by=user if user and user.is_authenticated else None,
        parameters=parameters.as_json(),
        seed=parameters.seed,
    )
    transaction.on_commit(lambda: analysis_execute.enqueue(run.pk))
    return run


def analysis_check(*, area: Area, parameters: Parameters) -> None:
    """Refuse at once what could only fail later in the worker."""
    if not area.blocks.exists():
        raise ValidationError({"area": "The area has no blocks to analyse; import blocks first."})
    if parameters.variable == "rate" and not area.blocks.filter(population__gt=0).exists():
        raise ValidationError(
            {"variable": "No block of the area has a population, so a rate cannot be computed."}
        )
    if not _crime_in(area, parameters):
        # Every block would be "not significant" and the run, the latest, would blank everyone's
        # map: a period or category chosen by mistake is refused instead.
        raise ValidationError(
            {
                "from": "No recorded crime of the area falls in this period and these categories;"
                " choose another period or import crime for it first."
            }
        )


def _crime_in(area: Area, parameters: Parameters) -> bool:
    return crime_matching(
        CrimeIncident.objects.filter(area=area),
        month_from=parameters.month_from,
        month_to=parameters.month_to,
        categories=parameters.categories,
    ).exists()


def analysis_delete(*, run: AnalysisRun, user) -> None:
    """Delete a run with its per-block results and rasters: one started by mistake (the wrong
    period) would otherwise be the latest and colour everyone's map. A run still queued or
    running is refused, since its worker would store results for it afterwards. The map, its
    tiles and the exports fall back to the previous run at once."""
    if run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        raise ValidationError(
            {"status": "The analysis is still running; delete it once it has ended."}
        )
    rasters = Path(settings.MEDIA_ROOT) / "analyses" / str(run.pk)
    with transaction.atomic():
        audit_record(
            user=user,
            area=run.area,
            action="analysis.delete",
            detail={"run": run.pk, "status": run.status, "parameters": run.parameters},
        )
        run.delete()  # its block results and raster rows go with it
        data_version_bump(area=run.area, layers=["analysis", "blocks"])
        transaction.on_commit(lambda: shutil.rmtree(rasters, ignore_errors=True))
