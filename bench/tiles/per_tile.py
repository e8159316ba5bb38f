"""What a tile costs beyond its statement, tile by tile, for full and for empty (204) tiles.

The headline figure of run.py (cold time per tile over the floor) mixes full and empty tiles
and measures the two minutes apart. This takes each tile of a layer's list in turn and runs its
statement and then its request right after each other, over a kept connection and a bare socket
(no HTTP library's own time), so that the two see the same machine. Prints, per answer status,
the median statement time and the median served time beyond it.

    .venv/bin/python bench/tiles/per_tile.py [--rounds 15] [--layers lamps observations]

Needs what run.py needs (the demo at scale 10), except tipg. Starts Trygg's server on a
loopback port and stops it at the end; the rounds bound every loop.
"""

import argparse
import contextlib
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
import run as bench  # noqa: E402  (the tile list, the statements, the server's start)
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402

PORT = bench.TRYGG_PORT + 20


class BareClient:
    """GET over one kept-alive socket, reading the answer by its Content-Length."""

    def __init__(self, port, headers):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.head = "".join(f"{k}: {v}\r\n" for k, v in ({"Host": "127.0.0.1"} | headers).items())

    def get(self, path):
        self.sock.sendall(f"GET {path} HTTP/1.1\r\n{self.head}\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += self.recv()
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        fields = dict(line.lower().split(": ", 1) for line in lines[1:])
        while len(body) < int(fields.get("content-length", "0")):
            body += self.recv()
        return int(lines[0].split()[1])

    def recv(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="passes over each tile list")
    parser.add_argument("--layers", nargs="+", default=["lamps", "observations"])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    lon, lat = bench.busiest_point()
    planner = get_user_model().objects.get(username="demo-planner")
    sent, requester = bench.credentials(planner, "token")
    server = bench.start_trygg(args.workers, PORT)
    try:
        bench.wait_for(PORT, "/healthz")
        options = dict(settings.DATABASES["default"].get("OPTIONS", {}))
        options.pop("server_side_binding", None)
        with contextlib.closing(
            psycopg.connect(bench.libpq_dsn(), autocommit=True, **options)
        ) as db:
            for layer in args.layers:
                measure(
                    layer,
                    lon,
                    lat,
                    db,
                    BareClient(PORT, {"Accept-Encoding": "gzip"} | sent),
                    requester,
                    args.rounds,
                )
    finally:
        bench.stop([server])


def measure(layer, lon, lat, db, client, requester, rounds):
    spans = {z: bench.SPAN[z] for z in range(12, 18)}
    tiles = [(layer, *tile) for tile in bench.tile_list(lon, lat, spans)]
    cursor = db.cursor()

    def statement(tile):
        bench.run_statement(cursor, tile, requester)

    status = {}
    for _ in range(8):  # both sides warm and their statements prepared before anything is timed
        for tile in tiles:
            statement(tile)
            status[tile] = client.get(bench.tile_path(tile))
    floor, beyond = {}, {}
    for _ in range(rounds):
        for tile in tiles:
            started = time.perf_counter()
            statement(tile)
            ran = time.perf_counter()
            client.get(bench.tile_path(tile))
            served = time.perf_counter()
            floor.setdefault(status[tile], []).append(ran - started)
            beyond.setdefault(status[tile], []).append((served - ran) - (ran - started))
    for code in sorted(floor):
        count = sum(1 for tile in tiles if status[tile] == code)
        ran_ms = statistics.median(floor[code]) * 1000
        beyond_ms = statistics.median(beyond[code]) * 1000
        print(
            f"{layer:13} {code}: {count:3} tiles, statement {ran_ms:.3f} ms,"
            f" served beyond it {beyond_ms:.3f} ms ({(ran_ms + beyond_ms) / ran_ms:.2f}×)"
        )


if __name__ == "__main__":
    main()
