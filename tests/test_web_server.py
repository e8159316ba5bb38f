"""The web server `make run` starts (uWSGI with config/uwsgi.ini) keeps connections alive and
hands back whole answers. Its router reads `http-keepalive = true` as 0 and then closes every
connection after one answer, which no Django test client would notice."""

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from geo.models import Role
from tests.factories import make_area, make_member
from tests.tiles.data import WHOLE_AREA
from tests.tiles.layered import fill_every_layer

ROOT = Path(__file__).resolve().parents[1]
UWSGI = Path(sys.executable).parent / "uwsgi"
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    """The test database, so the server needs nothing the suite did not make."""
    db = connection.settings_dict
    user, password = quote(db["USER"], safe=""), quote(db["PASSWORD"], safe="")
    return f"postgis://{user}:{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def get(conn: http.client.HTTPConnection, path: str) -> tuple[http.client.HTTPResponse, bytes]:
    conn.request("GET", path)
    response = conn.getresponse()
    return response, response.read()


@pytest.fixture
def server_port(db):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        # The suite's own key, so sessions the tests sign in are the server's too.
        "SECRET_KEY": settings.SECRET_KEY,
        "WEB_WORKERS": "2",
        "WEB_THREADS": "2",
    }
    command = [str(UWSGI), "--ini", "config/uwsgi.ini", "--http", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [*command, "--disable-logging"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                if get(conn, "/healthz")[0].status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"uWSGI did not answer within {START_SECONDS} s")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_one_connection_carries_many_answers_whole(server_port):
    conn = http.client.HTTPConnection("127.0.0.1", server_port, timeout=10)
    response, body = get(conn, "/healthz")
    assert response.status == 200 and b'"database": "ok"' in body
    sock = conn.sock
    # A large answer (the OpenAPI schema, some hundred kB) between small ones, so the router
    # relays it over several reads.
    response, schema = get(conn, "/api/schema/")
    assert response.status == 200
    assert len(schema) == int(response.getheader("Content-Length")) > 50_000
    for _ in range(3):
        response, body = get(conn, "/healthz")
        assert response.status == 200 and not response.will_close
    assert conn.sock is sock, "the server closed the connection between answers"


@pytest.mark.django_db(transaction=True)
def test_a_signed_in_browser_gets_its_tiles_and_a_visitor_none(server_port):
    """The map's own requests: a session cookie, served by the tile statement itself."""
    area = make_area("testarea")
    fill_every_layer(area)
    browser = Client()
    browser.force_login(make_member(area, Role.PLANNER))
    cookie = f"sessionid={browser.cookies['sessionid'].value}"
    path = "/tiles/testarea/lamps/{}/{}/{}.mvt".format(*WHOLE_AREA)
    conn = http.client.HTTPConnection("127.0.0.1", server_port, timeout=10)
    for headers, status in [({"Cookie": cookie}, 200), ({}, 404), ({"Cookie": "sessionid=x"}, 404)]:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        assert response.status == status
        if status == 200:
            assert response.getheader("Content-Type") == "application/vnd.mapbox-vector-tile"
            assert response.getheader("Cache-Control") == "private, no-cache"
