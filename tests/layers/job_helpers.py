"""A background job's worker, as the tests stand in for it."""

from contextlib import contextmanager

from layers.jobs import LOCK_SPACE
from layers.partitions import side_connection


@contextmanager
def worker_holding(job):
    """A live worker on `job`: its lock held on a session of its own, as layers.jobs.job_held
    does, so a status read leaves a running job running (a job nobody holds ends failed)."""
    with side_connection() as worker:
        worker.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_SPACE[type(job)], job.pk])
        yield worker
