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
from django.http import Http404
from django.utils.translation import gettext as _

from geo.models import Area
from geo.services import audit_record, data_version_bump
from layers.analysis.parameters import Parameters, parameters_parse
from layers.jobs import job_orphan_end
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


def analysis_queue_again(*, run: AnalysisRun, user=None) -> tuple[AnalysisRun, bool]:
    """Queue a new run with `run`'s parameters, its seed included; with False instead, the run
    of those parameters already queued or running. A double click or a retried POST thus asks
    once: a second identical run would only give the same results twice, later. Two such
    requests at once take turns, so the second finds the first's run: each locks every ended run
    of those parameters, in one order, not only its own (a run again that failed too offers
    "Run again" as well, and its row is another)."""
    under_way = (RunStatus.QUEUED, RunStatus.RUNNING)
    with transaction.atomic():
        of_them = AnalysisRun.objects.filter(area=run.area_id, parameters=run.parameters)
        ended = of_them.exclude(status__in=under_way).select_for_update().order_by("pk")
        if run.pk not in list(ended.values_list("pk", flat=True)):
            raise Http404(_("No such analysis."))
        same = of_them.filter(status__in=under_way).order_by("-created_at", "-id")
        for other in same:
            # One whose worker died is not under way: it ends failed here, and another is queued.
            if job_orphan_end(other).status in under_way:
                return other, False
        return analysis_queue(area=run.area, data=run.parameters, user=user), True


def analysis_check(*, area: Area, parameters: Parameters) -> None:
    """Refuse at once what could only fail later in the worker."""
    if not area.blocks.exists():
        raise ValidationError(
            {"area": _("The area has no blocks to analyse; import blocks first.")}
        )
    if parameters.variable == "rate" and not area.blocks.filter(population__gt=0).exists():
        raise ValidationError(
            {"variable": _("No block of the area has a population, so a rate cannot be computed.")}
        )
    if not _crime_in(area, parameters):
        # Every block would be "not significant" and the run, the latest, would blank everyone's
        # map: a period or category chosen by mistake is refused instead.
        raise ValidationError(
            {
                "from": _(
                    "No recorded crime of the area falls in this period and these categories;"
                    " choose another period or import crime for it first."
                )
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
            {"status": _("The analysis is still running; delete it once it has ended.")}
        )
    with transaction.atomic():
        audit_record(
            user=user,
            area=run.area,
            action="analysis.delete",
            detail={"run": run.pk, "status": run.status, "parameters": run.parameters},
        )
        run.delete()  # its block results and raster rows go with it, its files after the commit
        data_version_bump(area=run.area, layers=["analysis", "blocks"])


def analysis_folder(run_id: int) -> Path:
    """Where a run's rasters are written, relative to MEDIA_ROOT."""
    return Path("analyses") / str(run_id)


def analysis_files_delete(sender, instance, using, **kwargs) -> None:
    """post_delete of a run, however it is deleted (analysis_delete, the admin deleting its
    area, a shell): its rasters go once the deletion commits, and stay if it rolls back.
    Left to analysis_delete, the folders of runs deleted any other way stayed in media/ for good.

    A raster being sent or read for a tile at that moment is not cut short: the process has it
    open, and a removed file lives on until it is closed. Requests that come after find no run,
    or no file, and answer 404."""
    folder = Path(settings.MEDIA_ROOT) / analysis_folder(instance.pk)
    transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True), using=using)


def analysis_pin(*, run: AnalysisRun, user) -> None:
    """Show this finished run on everyone's map, tiles, exports and walk reports until another
    is pinned or this one is unpinned: new runs (a month's, a category's) then no longer
    replace it."""
    with transaction.atomic():
        _lock_shown(run.area)
        # Read again under the lock: the caller's copy may be of a run another analyst deleted
        # meanwhile, and pinning it would record a pin of nothing.
        status = AnalysisRun.objects.filter(pk=run.pk).values_list("status", flat=True).first()
        if status is None:
            raise Http404(_("No such analysis."))
        if status != RunStatus.DONE:
            raise ValidationError(
                {"status": _("Only a finished analysis can be shown on the map.")}
            )
        # One pinned run per area (a constraint): the previous one is unpinned first.
        AnalysisRun.objects.filter(area=run.area, pinned=True).exclude(pk=run.pk).update(
            pinned=False
        )
        AnalysisRun.objects.filter(pk=run.pk).update(pinned=True)
        run.pinned = True
        _shown_changed(run.area, user, "analysis.pin", {"run": run.pk})


def analysis_unpin(*, area: Area, user) -> None:
    """Let the map follow the latest finished run again."""
    with transaction.atomic():
        _lock_shown(area)
        unpinned = list(
            AnalysisRun.objects.filter(area=area, pinned=True).values_list("pk", flat=True)
        )
        if unpinned:
            AnalysisRun.objects.filter(pk__in=unpinned).update(pinned=False)
            _shown_changed(area, user, "analysis.unpin", {"run": unpinned[0]})


def _lock_shown(area: Area) -> None:
    # Two analysts choosing at once take turns, rather than the second one failing on the
    # one-pinned-run constraint.
    list(Area.objects.select_for_update().filter(pk=area.pk).values_list("pk", flat=True))


def _shown_changed(area: Area, user, action: str, detail: dict) -> None:
    # What everyone's map shows changed: the blocks' tiles and the rasters get new ETags.
    audit_record(user=user, area=area, action=action, detail=detail)
    data_version_bump(area=area, layers=["analysis", "blocks"])
