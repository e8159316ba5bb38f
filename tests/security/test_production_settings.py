import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_web_server import database_url, free_port

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "trygg.example.org",
}


def clean_environment(**extra) -> dict:
    # Browser tests allow async-unsafe ORM calls in this process; production never does.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**env, **extra}


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean_environment(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_production_values():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_a_short_secret_key():
    result = manage("check", **{**PRODUCTION, "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters" in result.stderr


def test_production_settings_are_secure():
    code = (
        "import django, os; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, "
        "s.SECURE_SSL_REDIRECT)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean_environment(**PRODUCTION, DJANGO_SETTINGS_MODULE="config.settings"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["True", "True", "True", "True"], result.stderr


# Requests made in a process with the given environment: (path, extra WSGI headers) each.
PROBE = """
import json, sys, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="trygg.example.org")
for path, headers in json.loads(sys.argv[1]):
    answer = client.get(path, **headers)
    hsts = answer.get("Strict-Transport-Security", "-")
    print(answer.status_code, answer.get("Location", "-"), hsts)
    print(answer.content.decode() if path == "/healthz" else "-")
"""


def probe(requests: list, **env) -> tuple[list[list[str]], str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(requests)],
        cwd=ROOT,
        env=clean_environment(**PRODUCTION, DJANGO_SETTINGS_MODULE="config.settings", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    return [[*lines[i].split(), lines[i + 1]] for i in range(0, len(lines), 2)], result.stderr


@pytest.mark.django_db
def test_behind_a_tls_proxy_pages_are_https_and_only_the_health_check_is_also_http():
    """docs/operations.md: the proxy terminates TLS and says so in X-Forwarded-Proto."""
    https = {"HTTP_X_FORWARDED_PROTO": "https"}
    requests = [("/accounts/login/", https), ("/accounts/login/", {}), ("/healthz", {})]
    answers, _ = probe(requests, DATABASE_URL=database_url(), SECURE_PROXY_SSL_HEADER="1")
    secure, plain, health = answers
    assert secure[:3] == ["200", "-", "max-age=31536000;"]
    assert plain[:2] == ["301", "https://trygg.example.org/accounts/login/"]
    assert health[0] == "200" and json.loads(health[3])["database"] == "ok"


def test_the_health_check_tells_a_dead_database_apart_in_one_log_line():
    nothing_listens = f"postgis://trygg:secret-pw@127.0.0.1:{free_port()}/trygg"
    [health], log = probe([("/healthz", {})], DATABASE_URL=nothing_listens)
    assert health[0] == "503" and json.loads(health[3]) == {"database": "unavailable"}
    assert "the database cannot be reached" in log
    assert "Traceback" not in log and "secret-pw" not in log
