"""The background task that executes a queued analysis run (django-tasks, db_worker)."""

from django_tasks import task

from layers.models import AnalysisRun, RunStatus


@task()
def analysis_execute(run_id: int) -> str:
    from layers.analysis.runs import analysis_run

    run = AnalysisRun.objects.select_related("area").get(pk=run_id)
    if run.status != RunStatus.QUEUED:
        return run.status  # a retried delivery of a run already taken
    return analysis_run(area=run.area, parameters=run.parameters, run=run).status
