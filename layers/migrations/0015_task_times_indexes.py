"""Indexes on when django-tasks' worker took and finished each task, for layers.jobs'
`unclaimed` (geo.checks.worker_seen_at asks for the latest of each, every few seconds while a
data page is open). Without them each ask read the whole table of tasks, which keeps a row for
every task run since the last `prune_db_task_results` (or ever, where it is not run): some 20 ms
at 100,000 rows, and growing; with them, well under a millisecond.

The table is django-tasks' database backend's, and its model (DBTaskResult) indexes neither
column. Its migrations are not ours to change, and a model of ours cannot declare an index on
another app's table, so the indexes are plain SQL here, where the query that needs them lives.
IF NOT EXISTS keeps a database that has them already (made by hand) migrating."""

from django.db import migrations

TABLE = "django_tasks_database_dbtaskresult"
INDEXES = {
    "layers_task_started_at_idx": "started_at",
    "layers_task_finished_at_idx": "finished_at",
}


class Migration(migrations.Migration):
    dependencies = [
        ("layers", "0014_job_progress_at"),
        ("django_tasks_database", "0004_dbtaskresult_started_at"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} ({column})",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, column in INDEXES.items()
    ]
