"""Whether a running background job (an import, an analysis) still has a process working on it.

The process running a job holds a PostgreSQL advisory lock keyed by the job on its own session
for as long as it works. If the process dies (killed, out of memory, the machine restarted), its
connection ends and PostgreSQL releases the lock. So a job that says `running` while nobody
holds its lock has lost its worker: reading its status ends it as failed, instead of showing it
running for ever. No timeout to tune: a long phase with no progress is not mistaken for death.
"""

from contextlib import contextmanager, suppress

from django.db import DatabaseError, connection
from django.utils import timezone

from layers.models import AnalysisRun, ImportJob, RunStatus

# The first half of the two-integer advisory lock key, one per kind of job.
LOCK_SPACE = {ImportJob: 7301, AnalysisRun: 7302}
ORPHANED = (
    "The process running this job stopped before it finished; nothing was stored. Start it again."
)


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


def job_orphan_end(job):
    """End `job` as failed if it says running but no process holds its lock; returns the job.

    Must not be called from the session that runs the job (advisory locks are re-entrant within
    a session): status reads come from web requests, the jobs run in the worker or a command.
    """
    if job.status != RunStatus.RUNNING:
        return job
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", _key(job))
        unheld = cursor.fetchone()[0]
        if unheld:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", _key(job))
    if unheld:
        type(job).objects.filter(pk=job.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=ORPHANED
        )
        job.refresh_from_db()
    return job
