"""The area's jobs API (GET /api/areas/{slug}/jobs/): its latest imports and analyses, newest
first, and where each stands; the analysts of the area only. The data page follows its jobs
with it and sees those started elsewhere (another analyst, another tab)."""

from datetime import timedelta

import pytest

from geo.models import Role
from layers.jobs import RECENT
from layers.models import AnalysisRun, ImportJob
from tests.factories import make_area, make_user
from tests.layers.job_helpers import queued, running, worker_holding

pytestmark = pytest.mark.django_db

URL = "/api/areas/testarea/jobs/"


def test_it_lists_the_areas_latest_imports_and_analyses_and_where_each_stands(
    client_for, member, area
):
    older = queued(ImportJob, area, timedelta(minutes=1), file_name="older.csv")
    newer = running(ImportJob, area, timedelta(seconds=5), file_name="newer.csv")
    run = running(AnalysisRun, area, timedelta(seconds=5), stop_requested_at=newer.started_at)
    queued(ImportJob, make_area("elsewhere"), timedelta(0))  # another area's
    with worker_holding(newer), worker_holding(run):
        body = client_for(member(Role.ANALYST)).get(URL).json()
    assert [job["id"] for job in body["imports"]] == [newer.pk, older.pk]
    assert [job["id"] for job in body["analyses"]] == [run.pk]
    listed = body["imports"][0]
    assert (listed["status"], listed["progress"], listed["stalled"], listed["unclaimed"]) == (
        "running", 0.45, False, False,
    )  # fmt: skip
    assert listed["url"] == f"http://testserver/api/imports/{newer.pk}/"
    assert "rejected_rows" not in listed  # its state, not its report
    assert body["analyses"][0]["stop_requested_at"] is not None
    assert body["analyses"][0]["url"] == f"http://testserver/api/analyses/{run.pk}/"


def test_it_lists_what_the_page_lists_and_a_dead_workers_job_ended(client_for, member, area):
    jobs = [queued(ImportJob, area, timedelta(minutes=n)) for n in range(RECENT + 1)]
    orphan = running(AnalysisRun, area, timedelta(minutes=1))  # nobody holds it: it died
    body = client_for(member(Role.ANALYST)).get(URL).json()
    assert [job["id"] for job in body["imports"]] == [job.pk for job in jobs[:RECENT]]
    assert (body["analyses"][0]["id"], body["analyses"][0]["status"]) == (orphan.pk, "failed")


def test_it_names_the_analysis_the_map_shows(client_for, member, area):
    from django.utils import timezone

    analyst = client_for(member(Role.ANALYST))
    assert analyst.get(URL).json()["on_the_map"] is None  # none has finished
    earlier, latest = (
        AnalysisRun.objects.create(area=area, status="done", finished_at=timezone.now() - ago)
        for ago in (timedelta(hours=1), timedelta(0))
    )
    assert analyst.get(URL).json()["on_the_map"] == {"id": latest.pk, "pinned": False}
    AnalysisRun.objects.filter(pk=earlier.pk).update(pinned=True)  # chosen by an analyst
    assert analyst.get(URL).json()["on_the_map"] == {"id": earlier.pk, "pinned": True}


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 401), ("outsider", 404), ("participant", 403), ("planner", 403), ("coordinator", 403)],
)
def test_only_the_areas_analysts_list_its_jobs(client_for, member, area, role, status):
    user = None if role is None else make_user() if role == "outsider" else member(role)
    assert client_for(user).get(URL).status_code == status


def test_the_workers_are_looked_at_once_for_all_the_jobs_waiting(
    client_for, member, area, django_assert_max_num_queries
):
    for n in range(RECENT):
        queued(ImportJob, area, timedelta(minutes=10 + n))
        queued(AnalysisRun, area, timedelta(minutes=10 + n))
    analyst = client_for(member(Role.ANALYST))
    # The user and token, the area and its roles, the two lists, the workers once for each, and
    # the analysis the map shows.
    with django_assert_max_num_queries(10):
        body = analyst.get(URL).json()
    assert all(job["unclaimed"] for job in body["imports"] + body["analyses"])
