"""A job queued while no worker runs says so. The worker looks for a task every second; a job
queued for longer than QUEUE_SILENCE_LIMIT while no worker was at work (none holds a job's lock,
none took or finished a task meanwhile) reads `unclaimed`. A worker busy with another job, or
one seen lately, leaves it waiting its turn. Only the words change, never the job."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from geo.models import Role
from layers.jobs import QUEUE_SILENCE_LIMIT
from layers.models import AnalysisRun, ImportJob
from tests.layers.job_helpers import page_row, queued, running, worker_holding

pytestmark = pytest.mark.django_db

PAGE = "/areas/testarea/data/"
LONG = QUEUE_SILENCE_LIMIT + timedelta(minutes=1)


def a_task(**times):
    """django-tasks' row of a task a worker took (`started_at`) and maybe finished."""
    return DBTaskResult.objects.create(
        task_path="layers.tasks.import_job_task", backend_name="default",
        args_kwargs={"args": [1], "kwargs": {}}, status="SUCCESSFUL", **times,
    )  # fmt: skip


@pytest.mark.parametrize(("model", "url"), [(ImportJob, "imports"), (AnalysisRun, "analyses")])
def test_the_api_says_a_job_queued_for_long_with_no_worker_at_work_is_unclaimed(
    client_for, member, area, model, url
):
    analyst = client_for(member(Role.ANALYST))
    for waited, unclaimed in ((QUEUE_SILENCE_LIMIT - timedelta(minutes=1), False), (LONG, True)):
        job = queued(model, area, waited)
        body = analyst.get(f"/api/{url}/{job.pk}/").json()
        assert (body["status"], body["unclaimed"]) == ("queued", unclaimed)
    # Ended (stopped while it waited): not unclaimed, however long ago it was queued.
    model.objects.filter(pk=job.pk).update(status="stopped")
    assert analyst.get(f"/api/{url}/{job.pk}/").json()["unclaimed"] is False


def test_a_worker_at_work_leaves_a_queued_job_waiting_its_turn(client_for, member, area):
    analyst = client_for(member(Role.ANALYST))
    waiting = queued(ImportJob, area, timedelta(minutes=30))

    def unclaimed() -> bool:
        return analyst.get(f"/api/imports/{waiting.pk}/").json()["unclaimed"]

    # A worker busy with a long analysis holds its lock: the import waits for it.
    busy = running(AnalysisRun, area, timedelta(seconds=10))
    with worker_holding(busy):
        assert not unclaimed()
    AnalysisRun.objects.filter(pk=busy.pk).update(status="done")
    assert unclaimed()
    # Seen long ago only: none runs now, most likely.
    a_task(started_at=timezone.now() - timedelta(hours=2), finished_at=timezone.now() - LONG)
    assert unclaimed()
    # A worker that finished a task, or took one, within the limit is about.
    finished = a_task(started_at=timezone.now() - timedelta(hours=1), finished_at=timezone.now())
    assert not unclaimed()
    finished.delete()
    a_task(started_at=timezone.now())
    assert not unclaimed()
    waiting.refresh_from_db()
    assert waiting.status == "queued"  # the words change, never the job


def test_the_page_asks_whether_the_worker_runs(client, member, area):
    client.force_login(member(Role.ANALYST))
    forgotten = queued(ImportJob, area, timedelta(minutes=20))
    fresh = queued(AnalysisRun, area, timedelta(seconds=30))
    page = client.get(PAGE).content.decode()
    since = timezone.localtime(forgotten.created_at).strftime("%H:%M")
    row = page_row(page, forgotten)
    assert (
        f'<span class="state stalled">Queued since {since} — no worker has taken it; is the task'
        " worker running?</span>"
    ) in row
    assert 'class="progress"' not in row  # queued: no progress to show yet
    fresh_row = page_row(page, fresh)
    assert '<span class="state">Queued</span>' in fresh_row
    # And the words the page's script writes when a job it follows has waited that long.
    assert (
        '"unclaimed": "Queued since %(time)s \\u2014 no worker has taken it; is the task worker'
        ' running?"'
    ) in page
