"""A running job says when its worker last reported progress, and one silent for longer than
any phase of an import or analysis is (PROGRESS_SILENCE_LIMIT) reads `stalled`: its worker is
alive, holding the job's lock, but may be stuck. Only the words change, never the job."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from geo.models import Role
from layers.jobs import job_start, progress_store
from layers.models import PROGRESS_SILENCE_LIMIT, AnalysisRun, ImportJob
from tests.layers.job_helpers import page_row, running, worker_holding

pytestmark = pytest.mark.django_db

PAGE = "/areas/testarea/data/"


def test_starting_and_every_progress_report_say_when():
    from tests.factories import make_area

    run = AnalysisRun.objects.create(area=make_area("stamps", blocks=False))
    assert run.progress_at is None
    assert job_start(run)
    run.refresh_from_db()
    assert run.progress_at == run.started_at
    # A report of the same fraction counts too: the worker is still at it.
    for _ in range(2):
        before = run.progress_at
        with connection.cursor() as cursor:
            progress_store(cursor, AnalysisRun, run.pk, 0.0)
        run.refresh_from_db()
        assert run.progress_at > before


@pytest.mark.parametrize(("model", "url"), [(ImportJob, "imports"), (AnalysisRun, "analyses")])
def test_the_api_says_a_running_job_silent_for_long_is_stalled(
    client_for, member, area, model, url
):
    analyst = client_for(member(Role.ANALYST))
    limit = PROGRESS_SILENCE_LIMIT
    for silent, stalled in (
        (limit - timedelta(minutes=1), False),
        (limit + timedelta(minutes=1), True),
    ):
        job = running(model, area, silent)
        with worker_holding(job):
            body = analyst.get(f"/api/{url}/{job.pk}/").json()
        assert (body["status"], body["stalled"]) == ("running", stalled)
        assert body["progress_at"] is not None
    # Ended: not stalled, whatever its last report.
    job.status = "done"
    job.save(update_fields=["status"])
    assert analyst.get(f"/api/{url}/{job.pk}/").json()["stalled"] is False


def test_a_job_from_before_progress_was_stamped_counts_from_its_start(area):
    job = running(AnalysisRun, area, PROGRESS_SILENCE_LIMIT + timedelta(minutes=1))
    job.progress_at = None
    assert job.stalled
    job.started_at = timezone.now()
    assert not job.stalled


def test_the_page_says_since_when_a_stalled_job_has_reported_nothing(client, member, area):
    client.force_login(member(Role.ANALYST))
    stuck = running(ImportJob, area, timedelta(minutes=40))
    slow = running(AnalysisRun, area, timedelta(minutes=2))
    with worker_holding(stuck), worker_holding(slow):
        page = client.get(PAGE).content.decode()
    since = timezone.localtime(stuck.progress_at).strftime("%H:%M")
    assert (
        f'<span class="state stalled">No progress since {since} — the worker may have stopped'
        '</span> <span class="progress">45 %</span>'
    ) in page
    slow_row = page_row(page, slow)
    assert '<span class="state">Running</span>' in slow_row
    # And the words the page's script writes when a job it follows stalls.
    assert '"stalled": "No progress since %(time)s \\u2014 the worker may have stopped"' in page


def test_a_stop_asked_of_a_silent_worker_says_it_waits_for_its_next_report(client, member, area):
    client.force_login(member(Role.ANALYST))
    stuck = running(ImportJob, area, timedelta(minutes=40), stop_requested_at=timezone.now())
    busy = running(AnalysisRun, area, timedelta(seconds=5), stop_requested_at=timezone.now())
    with worker_holding(stuck), worker_holding(busy):  # alive: the stop cannot end them here
        page = client.get(PAGE).content.decode()
    since = timezone.localtime(stuck.progress_at).strftime("%H:%M")
    stuck_row = page_row(page, stuck)
    assert (
        f'<span class="state stalled">Stopping… — the stop waits for the worker\'s next report;'
        f" none since {since}</span>"
    ) in stuck_row
    busy_row = page_row(page, busy)
    assert '<span class="state">Stopping…</span>' in busy_row  # it reports: the stop comes soon
    assert (
        '"stopping_stalled": "Stopping\\u2026 \\u2014 the stop waits for the worker\'s next report;'
        ' none since %(time)s"'
    ) in page
