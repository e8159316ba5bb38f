"""Asking for a hotspot analysis: `analysis_queue` checks a request and hands the run to the
background worker, which computes it with layers.analysis.runs (docs/methods.md describes every
step). This side stays light: web workers import it, and never the scientific stack the
computation needs (esda, libpysal, scipy: some 200 MB and a second per worker).
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from geo.models import Area
from layers.analysis.parameters import Parameters, parameters_parse
from layers.models import AnalysisRun

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
