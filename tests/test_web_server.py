"""The web server `make run` starts (uWSGI with config/uwsgi.ini, through config/serve.py)
keeps connections alive, hands back whole answers, takes uploads however they arrive, serves a
signed-in browser's tiles, and stops on Ctrl-C. Its router reads `http-keepalive = true` as 0
and then closes every connection after one answer, and a worker could hang for good on its way
out; no Django test client would notice either."""

import ctypes
import gzip
import http.client
import json
import os
import platform
import signal
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
from django.utils.module_loading import import_string

from config.serve import listening_socket
from config.serve import main as serve_main
from geo.models import Role
from tests.factories import make_area, make_member
from tests.tiles.data import WHOLE_AREA
from tests.tiles.layered import fill_every_layer

ROOT = Path(__file__).resolve().parents[1]
START_SECONDS = 60
PROBE_CSS = "".join(f".step-{i} {{ margin-left: {i}px; }}\n" for i in range(200)).encode()


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
def server_port(server):
    return server[0]


def start_uwsgi(port: int, output=subprocess.DEVNULL, **settings_env) -> subprocess.Popen:
    """uWSGI started as `make run` starts it, on the test database, in a process group of its
    own so that it can be ended whole; `settings_env` adds to its environment."""
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
        **settings_env,
    }
    command = [sys.executable, "-m", "config.serve", "127.0.0.1", str(port)]
    return subprocess.Popen(
        [*command, "--disable-logging"],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(server: subprocess.Popen, signum=signal.SIGTERM) -> None:
    """Stop the server as a supervisor (SIGTERM) or Ctrl-C (SIGINT to every process) does;
    if it has not ended within 30 s, kill what is left of it and fail."""
    if signum == signal.SIGINT:
        os.killpg(server.pid, signum)
    else:
        server.send_signal(signum)
    try:
        server.communicate(timeout=30)  # reads what it still writes, if it writes to us
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.communicate()
        pytest.fail(f"uWSGI did not stop within 30 s of signal {signum}")


@pytest.fixture
def server(db, tmp_path):
    """(port, master process) of uWSGI started as `make run` starts it, serving the static
    file PROBE_CSS collected by the project's static files storage (a clean clone has no
    collected static files)."""
    (tmp_path / "probe.css").write_bytes(PROBE_CSS)
    storage = import_string(settings.STORAGES["staticfiles"]["BACKEND"])(location=tmp_path)
    list(storage.post_process({"probe.css": (storage, "probe.css")}))
    port = free_port()
    server = start_uwsgi(port, STATIC_ROOT=str(tmp_path))
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
        yield port, server
    finally:
        stop(server)


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


def test_an_upload_sent_with_its_headers_in_one_write_is_answered(server_port):
    """http.client sends a request's headers and a bytes body in one write, so the router's
    first read holds the headers and much of the body; with 512 kB reads, such a request of
    more than 64 kB was refused with a connection reset (config/uwsgi.ini)."""
    conn = http.client.HTTPConnection("127.0.0.1", server_port, timeout=10)
    body = json.dumps({"username": "nobody", "password": "x" * 400_000}).encode()
    conn.request("POST", "/api/auth/token/", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 400 and b"Unable to log in" in response.read()


def test_a_request_refused_before_its_body_was_read_gets_its_answer(server_port):
    """The worker used to close with the body still arriving: the client saw a reset
    connection, not the 404 (config/framing.py)."""
    conn = http.client.HTTPConnection("127.0.0.1", server_port, timeout=30)
    conn.request("POST", "/api/areas/no-such-area/imports/", b"x" * 5_000_000)
    response = conn.getresponse()
    assert response.status == 404 and b"detail" in response.read()


def test_a_client_asking_before_it_sends_a_body_is_told_to_go_on(server_port):
    """curl asks before sending a body of 1 MB or more and waited a second for an answer that
    the router did not give."""
    body = json.dumps({"username": "nobody", "password": "wrong"}).encode()
    with socket.create_connection(("127.0.0.1", server_port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        assert sock.recv(1024).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(body)
        assert sock.recv(1024).startswith(b"HTTP/1.1 400 ")


def test_the_public_socket_hands_its_connections_tcp_nodelay():
    """Without it, an answer longer than the router's buffer waited up to 40 ms on the client's
    delayed acknowledgement (config/serve.py); Linux passes the option on to accepted sockets."""
    with listening_socket("127.0.0.1", 0) as server:
        with socket.create_connection(server.getsockname()), server.accept()[0] as accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_static_files_go_compressed_to_browsers_that_accept_it(server_port):
    conn = http.client.HTTPConnection("127.0.0.1", server_port, timeout=10)
    conn.request("GET", "/static/probe.css", headers={"Accept-Encoding": "gzip, deflate"})
    response = conn.getresponse()
    body = response.read()
    assert response.status == 200 and response.getheader("Content-Encoding") == "gzip"
    assert len(body) < len(PROBE_CSS) / 4 and gzip.decompress(body) == PROBE_CSS
    response, body = get(conn, "/static/probe.css")  # no Accept-Encoding
    assert response.getheader("Content-Encoding") is None and body == PROBE_CSS


def test_answers_without_a_body_leave_the_connection_clean(server_port):
    """A 304 and the answer to a HEAD request carry no body, so the next answer on the same
    connection is read whole. The router used to chunk WhiteNoise's 304s and pass HEAD bodies
    on, and a browser then failed the map's stylesheet (config/framing.py)."""
    conn = http.client.HTTPConnection("127.0.0.1", server_port, timeout=10)
    response, body = get(conn, "/static/probe.css")
    assert response.status == 200 and body == PROBE_CSS
    sock = conn.sock
    conn.request("GET", "/static/probe.css", headers={"If-None-Match": response.getheader("ETag")})
    response = conn.getresponse()
    assert (response.status, response.read()) == (304, b"")
    assert response.getheader("Transfer-Encoding") is None
    for path, status in [("/accounts/login/", 200), ("/no/such/page/", 404)]:
        conn.request("HEAD", path)
        response = conn.getresponse()
        assert (response.status, response.read()) == (status, b"")
        assert int(response.getheader("Content-Length")) > 0  # the length a GET would have
    response, body = get(conn, "/static/probe.css")
    assert response.status == 200 and body == PROBE_CSS
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


# tgkill(2), to signal one thread of another process (Python's pthread_kill cannot).
TGKILL = {"x86_64": 234, "aarch64": 131}.get(platform.machine())


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def threads_taking(pid: int, signum: int) -> list[int]:
    """The threads of a process that do not block `signum`: the kernel may hand it to any.
    None of a process (or thread) that has already ended."""
    taking = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return []
    for task in tasks:
        try:
            status = (task / "status").read_text().splitlines()
        except FileNotFoundError:
            continue
        blocked = next(line for line in status if line.startswith("SigBlk"))
        if not int(blocked.split()[1], 16) >> (signum - 1) & 1:
            taking.append(int(task.name))
    return sorted(taking)


def ended(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True
        except OSError:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(TGKILL is None, reason="tgkill's number is known for x86_64 and aarch64")
def test_ctrl_c_ends_every_process_whichever_thread_takes_it(server):
    """Ctrl-C reaches every process of `make run`, and the kernel hands it to any thread that
    does not block it. OpenBLAS's threads (numpy and scipy load it) took it, ran the C
    library's exit there, and OpenBLAS's exit handler waited for that very thread: the worker
    and the master hung for good. config/uwsgi.ini now leaves no such thread."""
    _, master = server
    libc = ctypes.CDLL(None, use_errno=True)
    processes = children(master.pid)
    assert len(processes) == 3  # two workers and the HTTP router
    for pid in processes:
        # The master may already have stopped a process after its sibling's signal: ended too.
        taking = threads_taking(pid, signal.SIGINT)
        if not taking:
            assert ended(pid, 10), f"process {pid} has no thread that takes SIGINT"
            continue
        last = taking[-1]
        assert libc.syscall(TGKILL, pid, last, signal.SIGINT) == 0
        assert ended(pid, 10), f"process {pid} hung on SIGINT taken by its thread {last}"


def test_ctrl_c_while_the_workers_start_stops_the_server(db):
    """A worker still loading the application has the signal handlers of the master it was
    forked from: Ctrl-C then ran the master's stop in the worker, which lived on, and the
    master's graceful stop waited for it without end (Ctrl-C in the first second of
    `make run`). The stop is now immediate, and a worker that outlives it is killed."""
    server = start_uwsgi(free_port(), output=subprocess.PIPE)
    for line in server.stdout:  # the workers are forked, and now load the application
        if line.startswith(b"spawned uWSGI http"):
            break
    stop(server, signal.SIGINT)


# What the analyses, imports and file exports need, which no page or tile does.
HEAVY = ("scipy", "esda", "libpysal", "sklearn", "pandas", "geopandas", "pyarrow", "pyogrio")
LOADED_BY_WORKER = """
import sys
import config.wsgi
from django.urls import get_resolver

def callbacks(patterns):  # every view module, as the first request imports them
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            callbacks(pattern.url_patterns)
        else:
            pattern.callback

callbacks(get_resolver().url_patterns)
print(" ".join(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def test_a_web_worker_loads_no_analysis_or_file_format_library():
    """Analyses run in the task worker; imports and GeoPackage or DXF exports load their
    libraries when they run. A web worker that imported them all on its first request held
    some 220 MB more (345 against 128 MB) and took 1.6 s to answer it."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", LOADED_BY_WORKER.format(heavy=HEAVY)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.split() == []


def test_a_port_in_use_is_named_in_a_plain_message():
    with listening_socket("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as stopped:
            serve_main("127.0.0.1", str(port))
    assert f"Cannot listen on 127.0.0.1:{port}" in str(stopped.value)
    assert "PORT=8001 make run" in str(stopped.value)


def test_make_run_stops_at_a_port_in_use_before_touching_anything():
    """scripts/run.sh asks first: a second `make run` once migrated and collected static files
    under the running server (new scripts beside old Python) before it found the port taken."""
    run = (ROOT / "scripts/run.sh").read_text()
    assert run.index("config.serve --check") < run.index("manage.py migrate")
    assert run.index("config.serve --check") < run.index("collectstatic")

    def check(port):
        command = [sys.executable, "-m", "config.serve", "--check", "127.0.0.1", str(port)]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)

    with listening_socket("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        busy = check(port)
    assert busy.returncode == 1 and "Is Trygg already running there?" in busy.stderr
    assert check(port).returncode == 0
