"""System checks: Trygg needs PostGIS, and a recent enough one; what /healthz reports."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import connection
from django.db.models import Count, Max, Min
from django.db.utils import DatabaseError, OperationalError
from django.utils import timezone

# Imports of a million rows and analyses of the largest areas take seconds to a minute or two
# (docs/scaling.md): a task that waited this long for the background worker found none free.
TASK_LATE = timedelta(minutes=10)


def postgis_version() -> str | None:
    """The installed PostGIS library version (e.g. '3.3.2'), or None when PostGIS is absent."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
        row = cursor.fetchone()
        if row is None:
            return None
        cursor.execute("SELECT PostGIS_Lib_Version()")
        return cursor.fetchone()[0]


def task_queue_state() -> dict:
    """How the background worker keeps up: the tasks waiting for it, whether one has waited
    longer than TASK_LATE (no worker runs, or it is stuck on a task, or too few run), and when
    a worker last took or finished a task (long ago: none runs; lately: too few, or stuck)."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.ready().aggregate(count=Count("pk"), oldest=Min("enqueued_at"))
    late = waiting["oldest"] is not None and timezone.now() - waiting["oldest"] > TASK_LATE
    return {
        "worker": "late" if late else "ok",
        "tasks_waiting": waiting["count"],
        "worker_seen_at": worker_seen_at(),
    }


def worker_seen_at() -> datetime | None:
    """When a background worker last took a task or finished one (django-tasks stamps both on
    the task's row), or None if none ever did. The data page's jobs API asks it every few
    seconds (layers.jobs, `unclaimed`): each column has an index of ours for it (layers
    migration 0015), or every ask would read the whole table of tasks ever run."""
    from django_tasks_db.models import DBTaskResult

    seen = DBTaskResult.objects.aggregate(taken=Max("started_at"), finished=Max("finished_at"))
    return max((at for at in seen.values() if at is not None), default=None)


@register(Tags.database)
def check_postgis(app_configs=None, databases=None, **kwargs):
    if not databases or "default" not in databases:
        return []
    try:
        version = postgis_version()
    except (OperationalError, DatabaseError) as error:
        return [Error(f"Cannot reach the database: {error}", id="trygg.E001")]
    if version is None:
        return [
            Error(
                "The PostGIS extension is not installed in the database.",
                hint="Install Debian's postgresql-15-postgis-3 and run "
                "'CREATE EXTENSION postgis;' in the database (scripts/bootstrap.sh does both).",
                id="trygg.E002",
            )
        ]
    found = tuple(int(part) for part in version.split(".")[:2])
    if found < settings.TRYGG_MIN_POSTGIS:
        wanted = ".".join(map(str, settings.TRYGG_MIN_POSTGIS))
        return [
            Error(
                f"PostGIS {version} is too old; Trygg needs {wanted} or newer "
                "(ST_AsMVT, make_valid).",
                hint="Upgrade the postgis package and run 'ALTER EXTENSION postgis UPDATE;'.",
                id="trygg.E003",
            )
        ]
    return []
