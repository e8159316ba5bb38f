"""Upgrades (docs/operations.md): a new database needs `migrate` and nothing else, every app's
migrations go back to zero and forward again, and the models match the migrations."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from tests.security.test_backup_restore import libpq_env, pg_tool
from tests.test_web_server import database_url

ROOT = Path(__file__).resolve().parents[2]
# Back in the order the apps depend on each other: walks and layers on geo, geo on accounts.
BACK_TO_ZERO = ("walks", "layers", "geo", "accounts")


@pytest.fixture
def scratch_database():
    """An empty PostGIS database of its own, dropped afterwards; yields its DATABASE_URL."""
    settings = connection.settings_dict
    env = libpq_env(settings)
    name = f"{settings['NAME']}_upgrade"
    subprocess.run([pg_tool("dropdb"), "--if-exists", name], env=env, check=True)
    subprocess.run([pg_tool("createdb"), name], env=env, check=True)
    try:
        with psycopg.connect(dbname=name, **libpq_params(env), autocommit=True) as db:
            db.execute("CREATE EXTENSION postgis")
        yield database_url().rsplit("/", 1)[0] + f"/{name}"
    finally:
        subprocess.run([pg_tool("dropdb"), "--if-exists", name], env=env, check=True)


def libpq_params(env: dict) -> dict:
    return {
        "host": env["PGHOST"],
        "port": env["PGPORT"],
        "user": env["PGUSER"],
        "password": env["PGPASSWORD"],
    }


def manage(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args, "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env | {"DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
    )


def tables(url: str) -> set[str]:
    dbname = url.rsplit("/", 1)[1]
    with psycopg.connect(dbname=dbname, **libpq_params(libpq_env(connection.settings_dict))) as db:
        rows = db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {name for (name,) in rows}


@pytest.mark.django_db
def test_migrate_alone_makes_every_table_sign_in_needs(scratch_database):
    result = manage(scratch_database, "migrate")
    assert result.returncode == 0, result.stderr
    # The login throttle's shared cache: without it every sign-in was a 500.
    assert {"trygg_cache", "accounts_session", "walks_observationkind"} <= tables(scratch_database)


@pytest.mark.django_db
def test_every_app_migrates_back_to_zero_and_forward_again(scratch_database):
    assert manage(scratch_database, "migrate").returncode == 0
    for app in BACK_TO_ZERO:
        result = manage(scratch_database, "migrate", app, "zero")
        assert result.returncode == 0, f"{app}: {result.stderr}"
    assert not {"walks_walk", "layers_crimeincident", "geo_area"} & tables(scratch_database)
    result = manage(scratch_database, "migrate")
    assert result.returncode == 0, result.stderr
    assert {"walks_walk", "layers_crimeincident", "geo_area"} <= tables(scratch_database)


@pytest.mark.django_db
def test_the_models_match_the_migrations():
    # Exits (SystemExit 1) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
