"""System checks: Trygg needs PostGIS, and a recent enough one."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import connection
from django.db.utils import DatabaseError, OperationalError


def postgis_version() -> str | None:
    """The installed PostGIS library version (e.g. '3.3.2'), or None when PostGIS is absent."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
        row = cursor.fetchone()
        if row is None:
            return None
        cursor.execute("SELECT PostGIS_Lib_Version()")
        return cursor.fetchone()[0]


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
