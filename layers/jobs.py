"""Whether a running background job (an import, an analysis) still has a process working on it.

The process running a job holds a PostgreSQL advisory lock keyed by the job on its own session
for as long as it works. If the process dies (killed, out of memory, the machine restarted), its
connection ends and PostgreSQL releases the lock. So a job that says `running` while nobody
holds its lock has lost its worker: reading its status ends it as failed, instead of showing it
running for ever. No timeout to tune: a long phase with no progress is not mistaken for death.
A worker alive but stuck keeps its lock; each progress report stamps `progress_at`, and a job
silent for longer than any phase takes reads `stalled` (layers/models.py), which only changes
what the imports page says.

A queued job has no lock to read: no worker has it yet. The worker looks for a task every
second, so a job queued for longer than QUEUE_SILENCE_LIMIT while no worker was at work (none
held a job's lock, none took or finished a task meanwhile) has no worker to take it: none runs,
most likely. The job reads `unclaimed`, which, too, only changes what the page says.

An analyst stops a job (the wrong file, the wrong period) with `job_stop`. A queued job ends
`stopped` at once, and the worker finds it so and never starts it (`job_start` takes only a
queued job). A running one learns of the stop where it reports progress (`progress_store`: an
import at most once a second on its own connection while it reads, an analysis after each
stage) and raises JobStopped, which unwinds its transaction; its last check (`job_stop_check`)
locks its row just before it commits, so a stop either lands before the commit or is answered
"ended already". A running one whose worker has died (nobody holds its lock) can report no
more: it ends `stopped` at once too, as the reading of its status would end it.

An analysis reads its inputs (blocks, crime, findings, survey results) in many statements, and
takes their fingerprint before and after (layers/analysis/runs.py). The second take and the
storing of the results share one transaction under the area's inputs lock (`inputs_lock_store`,
shared, never waited for), which whatever changes the inputs in bulk takes too, up to its commit
(`inputs_lock_write`): imports of crime, blocks and survey results, and the deletes of a crime
import or a survey round. None of them then commits between that check and the results' commit;
without the lock one could, and a run marked done after an import had finished would lack its
rows. A writer takes the lock after every statement of its own that may wait for another writer
(another import's hold on the crime partition, say), never before one: holding it while waiting
for a writer that waits for it would deadlock. A crime import takes it before its first load's
swap, which locks the crime table the analysis's check reads; its other statements after it wait
for no other writer. Findings synced from walks and blocks edited in the admin do not take it:
one committing in the gap leaves a run whose stored fingerprint still matches what it read (its
first take preceded every read), only finished a moment after the change, as any run finishing
just before one would be; a sync must not fail for an analysis, nor an analysis for each sync.
"""

from contextlib import contextmanager, suppress
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from geo.checks import worker_seen_at
from geo.services import audit_record
from layers.models import AnalysisRun, ImportJob, RunStatus

# The first half of the two-integer advisory lock key, one per kind of job.
LOCK_SPACE = {ImportJob: 7301, AnalysisRun: 7302}
# Stored in English, as every job's error (the API's clients read it so); the pages show it in
# their language (layers/templates/layers/job_status.html).
ORPHANED = gettext_noop(
    "The process running this job stopped before it finished; nothing was stored. Start it again."
)
# The worker (`manage.py db_worker`) looks for a queued task every second (its --interval); a
# job queued this long while no worker was at work has no worker to take it.
QUEUE_SILENCE_LIMIT = timedelta(minutes=2)
RECENT = 20  # the imports, and the analyses, an area lists (its data page, its jobs API)
# The first half of the key of an area's inputs lock (transaction-level: it ends with the commit).
INPUTS_LOCK_SPACE = 7303


def _key(job) -> tuple[int, int]:
    return LOCK_SPACE[type(job)], job.pk


@contextmanager
def job_held(job):
    """Hold `job`'s lock while the block runs (take it before marking the job running)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", _key(job))
    try:
        yield job
    finally:
        # Never mask the job's own error: a lock that cannot be released here (the session is
        # gone, or in a failed transaction) ends with the session, and the job is over anyway.
        with suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", _key(job))


def _worker_gone(job) -> bool:
    """Whether no process holds running `job`'s lock: its worker died.

    Must not be called from the session that runs the job (advisory locks are re-entrant within
    a session): status reads and stops come from web requests, the jobs run in the worker or a
    command.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", _key(job))
        unheld = cursor.fetchone()[0]
        if unheld:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", _key(job))
    return unheld


def job_orphan_end(job):
    """End `job` as failed if it says running but no process holds its lock; returns the job."""
    if job.status != RunStatus.RUNNING:
        return job
    if _worker_gone(job):
        # Asked to stop, it is stopped: its worker died before it could say so, and nothing
        # was stored either way.
        ended = (
            {"status": RunStatus.STOPPED}
            if job.stop_requested_at
            else {"status": RunStatus.FAILED, "error": ORPHANED}
        )
        type(job).objects.filter(pk=job.pk, status=RunStatus.RUNNING).update(
            finished_at=timezone.now(), **ended
        )
        job.refresh_from_db()
    return job


def jobs_listed(jobs) -> list:
    """The RECENT latest of `jobs` (an area's imports or analyses), as a list shows them: a job
    whose worker died reads ended from the start, and the workers are looked at once for all
    those waiting long (`unclaimed`), not once for each."""
    listed = [job_orphan_end(job) for job in jobs[:RECENT]]
    now = timezone.now()
    waiting = [job for job in listed if _waited_long(job, now)]
    unclaimed = bool(waiting) and not worker_at_work(since=now - QUEUE_SILENCE_LIMIT)
    for job in waiting:
        job.unclaimed = unclaimed
    return listed


def job_unclaimed(job) -> bool:
    """Queued for longer than QUEUE_SILENCE_LIMIT while no worker was at work: no worker runs,
    most likely. One busy with a long job is at work (it holds that job's lock), and the job
    only waits its turn."""
    now = timezone.now()
    return _waited_long(job, now) and not worker_at_work(since=now - QUEUE_SILENCE_LIMIT)


def _waited_long(job, now) -> bool:
    return job.status == RunStatus.QUEUED and now - job.created_at > QUEUE_SILENCE_LIMIT


def worker_at_work(*, since) -> bool:
    """Whether a worker holds a job's lock now, or took or finished a task since `since` (it
    writes both on django-tasks' row of the task: a job it then found stopped counts too)."""
    with connection.cursor() as cursor:
        # Advisory locks are the whole cluster's: only those of this database count.
        cursor.execute(
            "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND objsubid = 2 AND classid::bigint = ANY(%s))",
            [list(LOCK_SPACE.values())],
        )
        if cursor.fetchone()[0]:
            return True
    seen = worker_seen_at()
    return seen is not None and seen >= since


def inputs_lock_write(area_id: int) -> None:
    """Hold the area's analysis inputs for writing until the transaction ends, after the
    writer's own statements that may wait for another writer (the module's docstring). Waits
    for an analysis storing its results (about a second), and for another writer into the area
    until that commits."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", (INPUTS_LOCK_SPACE, area_id))


def inputs_lock_store(area_id: int) -> bool:
    """Hold the area's analysis inputs unchanged until the transaction ends, for an analysis to
    check its fingerprint and store its results; False, at once, while a writer holds them.
    Not waiting: a crime import can hold them for minutes, and once a writer commits the check
    fails anyway. Shared, so analyses storing at the same time do not wait for each other."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock_shared(%s, %s)", (INPUTS_LOCK_SPACE, area_id)
        )
        return cursor.fetchone()[0]


class JobStopped(Exception):  # noqa: N818 -- a stop asked for, not an error
    """Raised in a running job an analyst asked to stop, to unwind all it did."""


def job_start(job) -> bool:
    """Mark `job` running if it is still queued; False (and `job` read again) if a stop ended
    it meanwhile. Conditional, so a stop and the worker cannot both take a queued job."""
    now = timezone.now()
    started = (
        type(job)
        .objects.filter(pk=job.pk, status=RunStatus.QUEUED)
        .update(status=RunStatus.RUNNING, started_at=now, progress=0.0, progress_at=now, error="")
    )
    if not started:
        job.refresh_from_db()
        return False
    job.status, job.started_at, job.error = RunStatus.RUNNING, now, ""
    job.progress, job.progress_at = 0.0, now
    return True


def progress_store(cursor, model, job_id: int, fraction: float, **counts: int) -> None:
    """Store a running job's progress on `cursor`, and when (a worker still reporting is not
    stuck, BackgroundJob.stalled), with `counts` so far (an import's rows `read`); JobStopped if
    it was asked to stop."""
    values = {"progress": fraction, "progress_at": timezone.now(), **counts}
    assignments = ", ".join(f"{field} = %s" for field in values)  # fields named by the code
    cursor.execute(
        f"UPDATE {model._meta.db_table} SET {assignments}"  # noqa: S608 -- a model's table
        " WHERE id = %s AND status = %s RETURNING stop_requested_at",
        (*values.values(), job_id, RunStatus.RUNNING),
    )
    row = cursor.fetchone()
    if row is not None and row[0] is not None:
        raise JobStopped()


def job_stop_check(job) -> None:
    """The last check, inside the job's transaction just before it commits: lock its row, so a
    stop asked from now on waits for the commit and finds the job ended; JobStopped if one was
    asked before."""
    asked = (
        type(job)
        .objects.select_for_update()
        .filter(pk=job.pk)
        .values_list("stop_requested_at", flat=True)
        .get()
    )
    if asked is not None:
        raise JobStopped()


def job_stopped_end(job, **cleared):
    """End a running job the worker has stopped, its work rolled back, with `cleared` (counts it
    stored with its progress); returns it read again."""
    type(job).objects.filter(pk=job.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.STOPPED, finished_at=timezone.now(), **cleared
    )
    job.refresh_from_db()
    return job


def job_stop(*, job, user):
    """Stop a queued or running import or analysis for `user` (an analyst of its area), with an
    audit entry; returns the job. ValidationError (answered 409) once it has ended. Asking again
    while it stops changes nothing.

    Callers pass the job as found, not ended by job_orphan_end: one whose worker died ends here
    `stopped`, as asked, rather than failed before the stop is seen."""
    with transaction.atomic():
        # The job's row only: the area joined for the audit entry stays unlocked, or the stop
        # would wait for any work in the area that holds its row (every row inserted with a
        # key to it does), such as another import committing.
        jobs = type(job).objects.select_for_update(of=("self",)).select_related("area")
        job = jobs.get(pk=job.pk)
        if job.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            raise ValidationError({"status": _ended(job)})
        if job.stop_requested_at is not None:
            return job
        action, detail = _stop_audit(job)
        now = timezone.now()
        job.stop_requested_at = now
        job.stopped_by = user if user is not None and user.is_authenticated else None
        fields = ["stop_requested_at", "stopped_by"]
        # No process has it (queued), or none will report again (its worker died): it ends here.
        if job.status == RunStatus.QUEUED or _worker_gone(job):
            job.status, job.finished_at = RunStatus.STOPPED, now
            fields += ["status", "finished_at"]
        job.save(update_fields=fields)
        audit_record(user=user, area=job.area, action=action, detail=detail)
    return job


def _stop_audit(job) -> tuple[str, dict]:
    if isinstance(job, ImportJob):
        return "import.stop", {"import": job.pk, "file_name": job.file_name, "status": job.status}
    return "analysis.stop", {"run": job.pk, "status": job.status, "parameters": job.parameters}


def _ended(job) -> str:
    status = job.get_status_display().lower()
    if isinstance(job, ImportJob):
        return _("The import has ended already (%(status)s): there is nothing to stop.") % {
            "status": status
        }
    return _("The analysis has ended already (%(status)s): there is nothing to stop.") % {
        "status": status
    }
