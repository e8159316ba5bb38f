"""A pg_dump / pg_restore round trip keeps every count and geometry (docs/backup.md)."""

import os
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from fixtures.digest import DIGEST_QUERIES, area_digest
from fixtures.loader import demo_load
from geo.models import Area

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def pg_tool(name: str) -> str:
    path = PG_BIN / name
    return str(path) if path.exists() else shutil.which(name)


def libpq_env(settings: dict) -> dict:
    return {
        **os.environ,
        "PGHOST": settings["HOST"] or "127.0.0.1",
        "PGPORT": str(settings["PORT"] or 5432),
        "PGUSER": settings["USER"],
        "PGPASSWORD": settings["PASSWORD"],
    }


@pytest.mark.django_db(transaction=True)
def test_dump_and_restore_keep_every_count_and_geometry(tmp_path):
    demo_load(scale=0.05, seed=11, progress=False)
    area_id = Area.objects.get(slug="demo").pk
    before = area_digest(area_id)

    settings = connection.settings_dict
    env = libpq_env(settings)
    dump = tmp_path / "trygg.dump"
    restored = f"{settings['NAME']}_restored"
    subprocess.run(
        [pg_tool("pg_dump"), "-Fc", "-f", str(dump), settings["NAME"]], env=env, check=True
    )
    subprocess.run([pg_tool("dropdb"), "--if-exists", restored], env=env, check=True)
    subprocess.run([pg_tool("createdb"), restored], env=env, check=True)
    try:
        subprocess.run(
            [pg_tool("pg_restore"), "--no-owner", "-d", restored, str(dump)], env=env, check=True
        )
        after = {}
        with psycopg.connect(
            dbname=restored,
            host=env["PGHOST"],
            port=env["PGPORT"],
            user=env["PGUSER"],
            password=env["PGPASSWORD"],
        ) as db:
            for layer, query in DIGEST_QUERIES.items():
                after[layer] = db.execute(query, {"area": area_id}).fetchone()
    finally:
        subprocess.run([pg_tool("dropdb"), "--if-exists", restored], env=env, check=True)
    assert after == before
    assert before["crime"][0] == 1500 and before["blocks"][0] > 50
