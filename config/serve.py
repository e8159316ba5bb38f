"""Start the web server: uWSGI with config/uwsgi.ini on HOST:PORT, on a listening socket bound
here with TCP_NODELAY, which the connections it accepts inherit (Linux).

    .venv/bin/python -m config.serve HOST PORT [more uWSGI options]
    .venv/bin/python -m config.serve --check HOST PORT   (is the port free? as `make run` asks)

Why not `uwsgi --http HOST:PORT`: uWSGI's HTTP router writes an answer to the client in pieces
of its buffer's size, and without TCP_NODELAY the kernel holds each piece's short last segment
until the client acknowledges the one before, which a client delays by up to 40 ms. Every answer
longer than the buffer then stalled (a 150 kB tile: 55 answers a second on one connection,
3,000 with TCP_NODELAY). A larger buffer only moved the stall, and the router refuses a request
whose first read holds more than it can pass on (config/uwsgi.ini, `http-buffer-size`).

This process becomes uWSGI (exec): Ctrl-C and signals reach the server as before.
"""

import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UWSGI = Path(sys.executable).parent / "uwsgi"


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = socket.create_server((host, port), family=family, backlog=1024)
    server.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    server.set_inheritable(True)
    return server


def bound(host: str, port: str) -> socket.socket:
    try:
        return listening_socket(host, int(port))
    except OSError as error:
        raise SystemExit(
            f"Cannot listen on {host}:{port}: {error.strerror}. Is Trygg already running there?"
            " Stop it, or choose another port: PORT=8001 make run"
        ) from None


def check(host: str, port: str) -> None:
    """Fail now if the port is taken: `make run` asks before it migrates and collects static
    files, which would otherwise change the files a running server is serving."""
    bound(host, port).close()


def main(host: str, port: str, *options: str) -> None:
    server = bound(host, port)
    # The router hands requests to the workers over a Unix socket in the abstract namespace
    # (no file to leave behind; named after this process, which becomes uWSGI's master) rather
    # than the loopback TCP socket uWSGI makes by itself: 0.05-0.1 ms less a request, about
    # 7 % of a small tile (docs/benchmarks.md).
    workers = f"@trygg-{os.getpid()}"
    command = [str(UWSGI), "--ini", str(ROOT / "config/uwsgi.ini")]
    command += ["--http", f"fd://{server.fileno()}", "--socket", workers, "--http-to", workers]
    os.execv(command[0], [*command, *options])


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    if sys.argv[1] == "--check":
        check(*sys.argv[2:4])
    else:
        main(*sys.argv[1:])
