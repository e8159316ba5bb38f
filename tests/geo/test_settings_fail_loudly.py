import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import database_from_url, env_bool, env_int

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "url, message",
    [
        ("sqlite:///db.sqlite3", "must be a postgis:// URL"),
        ("postgis://user:pw@localhost:notaport/db", "not a valid database URL"),
        ("postgis://user:pw@localhost:5432", "names no database"),
    ],
)
def test_bad_database_url_names_the_setting(monkeypatch, url, message):
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ImproperlyConfigured, match=message):
        database_from_url("DATABASE_URL")


def test_bad_boolean_and_integer_settings_name_themselves(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG", False)
    monkeypatch.setenv("TRYGG_MIN_AGGREGATE_COUNT", "three")
    with pytest.raises(ImproperlyConfigured, match="TRYGG_MIN_AGGREGATE_COUNT"):
        env_int("TRYGG_MIN_AGGREGATE_COUNT", 3)


def test_start_up_stops_with_the_setting_name_on_a_malformed_database_url():
    env = {**os.environ, "DATABASE_URL": "mysql://x@y/z"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "DATABASE_URL must be a postgis:// URL" in result.stderr
