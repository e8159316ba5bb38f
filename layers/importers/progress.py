"""Import progress written on its own database connection.

The import itself runs in one transaction, so nothing it writes is visible before it commits;
the status endpoint must see progress while it runs. The main transaction never touches the job
row until it finishes, so this connection never waits on a lock. The same UPDATE tells the import
whether an analyst asked to stop it (layers.jobs.progress_store raises JobStopped), and stores
the rows read so far (`rows`), which the imports page shows while the import runs: at each
report, not per row.
"""

import time

import psycopg
from django.db import connection

from layers.jobs import progress_store
from layers.models import ImportJob


class JobProgress:
    def __init__(self, job_id: int, every_seconds: float = 1.0, also=None, rows=None):
        self.job_id = job_id
        self.rows = rows  # () -> the rows read so far
        self.every = every_seconds
        self.also = also
        self.last = 0.0
        self._conn = None

    def __call__(self, done: int, total: int) -> None:
        if self.also:
            self.also(done, total)
        now = time.monotonic()
        if now - self.last < self.every and done < total:
            return
        self.last = now
        fraction = min(done / total, 1.0) if total else 0.0
        if self._conn is None:
            params = connection.get_connection_params()
            self._conn = psycopg.connect(**params, autocommit=True)
        with self._conn.cursor() as cursor:
            counts = {"read": self.rows()} if self.rows else {}
            progress_store(cursor, ImportJob, self.job_id, round(fraction * 0.9, 4), **counts)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
