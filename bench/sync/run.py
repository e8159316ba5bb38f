"""Sync benchmark: 10,000 observations in batches of 100 from 4 concurrent clients on loopback.

Starts its own gunicorn on 127.0.0.1 against the database of DATABASE_URL (your `.env`), in a
benchmark area of its own that it resets on every run, then reports the server's time per batch
(from the Server-Timing header the sync view sets), the round trip seen by the clients,
observations stored per second, and checks that exactly 10,000 are stored, also after every
batch has been sent a second time.

    .venv/bin/python bench/sync/run.py [--observations 10000] [--batch 100] [--clients 4]
                                       [--workers N]
"""

import argparse
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from queue import Empty, Queue

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.gis.geos import MultiPolygon, Polygon  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from geo.models import Area, Block, Membership  # noqa: E402
from walks.models import Observation, Walk  # noqa: E402

SLUG = "bench-sync"
# A 2 km × 2 km area in Malmö split into a 10 × 10 grid of blocks.
WEST, SOUTH, EAST, NORTH = 12.99, 55.59, 13.022, 55.608
KINDS = ["unsafe_spot", "lighting_defect", "neglect", "vandalism", "hiding_place", "safe_place"]


def grid_area_create(slug, name):
    """A fresh area `slug` (any old one deleted with everything in it): the 2 km box, 100 blocks."""
    Area.objects.filter(slug=slug).delete()
    boundary = MultiPolygon(Polygon.from_bbox((WEST, SOUTH, EAST, NORTH)), srid=4326)
    area = Area.objects.create(slug=slug, name=name, boundary=boundary)
    dx, dy = (EAST - WEST) / 10, (NORTH - SOUTH) / 10
    Block.objects.bulk_create(
        Block(
            area=area,
            code=f"B{i}{j}",
            geom=MultiPolygon(
                Polygon.from_bbox(
                    (WEST + i * dx, SOUTH + j * dy, WEST + (i + 1) * dx, SOUTH + (j + 1) * dy)
                ),
                srid=4326,
            ),
        )
        for i in range(10)
        for j in range(10)
    )
    return area


def reset_area():
    area = grid_area_create(SLUG, "Sync benchmark")
    User = get_user_model()
    walker = User.objects.filter(username="bench-sync-walker").first()
    if walker is None:
        walker = User.objects.create_user("bench-sync-walker", password=uuid.uuid4().hex)
    Membership.objects.create(user=walker, area=area, role="participant")
    walk = Walk.objects.create(
        area=area, name="Benchmark walk", starts_at=datetime.now(UTC) - timedelta(hours=2)
    )
    walk.participants.add(walker)
    token, _ = Token.objects.get_or_create(user=walker)
    return walk, token.key


def observations(n, seed=20261122):
    rng = random.Random(seed)
    now = datetime.now(UTC)

    def position():
        return [
            round(rng.uniform(WEST + 0.001, EAST - 0.001), 7),
            round(rng.uniform(SOUTH + 0.001, NORTH - 0.001), 7),
        ]

    items = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.8:
            kind, geometry = rng.choice(KINDS), {"type": "Point", "coordinates": position()}
        elif roll < 0.95:
            start = position()
            end = [start[0] + rng.uniform(-4e-4, 4e-4), start[1] + rng.uniform(-3e-4, 3e-4)]
            kind, geometry = (
                "blocked_sightline",
                {"type": "LineString", "coordinates": [start, end]},
            )
        else:
            x, y = position()
            ring = [[x, y], [x + 3e-4, y], [x + 3e-4, y + 2e-4], [x, y + 2e-4], [x, y]]
            kind, geometry = "unsafe_spot", {"type": "Polygon", "coordinates": [ring]}
        items.append(
            {
                "client_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "kind": kind,
                "geometry": geometry,
                "severity": rng.randint(1, 5),
                "feeling": rng.randint(1, 5),
                "note": f"bench observation {i}",
                "captured_at": (now - timedelta(seconds=n - i)).isoformat(),
                "accuracy_m": round(rng.uniform(3, 30), 1),
            }
        )
    return items


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env():
    """Production settings for a gunicorn on loopback: plain HTTP (as behind a TLS proxy) and a
    throwaway secret key long enough for the production check."""
    return dict(
        os.environ,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        SECURE_SSL_REDIRECT="0",
        SECRET_KEY=secrets.token_urlsafe(48),
    )


def start_server(port, workers):
    env = server_env()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(60):  # at most a few minutes on a busy machine
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    server.terminate()
    raise SystemExit("the benchmark server did not start")


def send_all(url, token, batches, clients):
    """Send the batches from `clients` threads; (server ms, round trip ms, statuses) per batch."""
    work: Queue = Queue()
    for batch in batches:
        work.put(batch)
    timings, statuses, errors = [], [], []
    lock = threading.Lock()

    def client():
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        while True:
            try:
                batch = work.get_nowait()
            except Empty:
                return
            started = time.perf_counter()
            response = session.post(url, json={"observations": batch}, timeout=60)
            round_trip = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                with lock:
                    errors.append((response.status_code, response.text[:300]))
                continue
            server_ms = float(response.headers["Server-Timing"].split("dur=")[1])
            with lock:
                timings.append((server_ms, round_trip))
                statuses.extend(r["status"] for r in response.json()["results"])

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"{len(errors)} batches failed, first: {errors[0]}")
    return timings, statuses


def percentile(values, p):
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def report(label, timings, statuses, wall):
    server = [s for s, _ in timings]
    trip = [r for _, r in timings]
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    print(
        f"{label}: {len(timings)} batches, {counts}, wall {wall:.2f} s\n"
        f"  server time per batch  p50 {percentile(server, 50):6.1f} ms   "
        f"p95 {percentile(server, 95):6.1f} ms   max {max(server):6.1f} ms\n"
        f"  client round trip      p50 {percentile(trip, 50):6.1f} ms   "
        f"p95 {percentile(trip, 95):6.1f} ms\n"
        f"  observations per second {len(statuses) / wall:8.0f}"
    )
    return percentile(server, 95)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--observations", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="gunicorn worker processes (default: one per CPU; more only queue for the CPU)",
    )
    args = parser.parse_args()

    walk, token = reset_area()
    items = observations(args.observations)
    batches = [items[i : i + args.batch] for i in range(0, len(items), args.batch)]
    port = free_port()
    server = start_server(port, args.workers)
    url = f"http://127.0.0.1:{port}/api/walks/{walk.pk}/observations/sync"
    try:
        # Warm each worker's imports and GDAL transforms outside the measurement.
        warm = observations(args.workers * 2, seed=1)
        send_all(url, token, [[w] for w in warm], args.clients)
        Observation.objects.filter(walk=walk).delete()

        print(
            f"sync benchmark: {args.observations:,} observations, batches of {args.batch}, "
            f"{args.clients} clients, gunicorn with {args.workers} workers on 127.0.0.1, "
            f"{os.cpu_count()} CPUs"
        )
        started = time.perf_counter()
        timings, statuses = send_all(url, token, batches, args.clients)
        p95 = report("first sync", timings, statuses, time.perf_counter() - started)
        stored = Observation.objects.filter(walk=walk).count()

        # Every batch again, as tablets retrying after a lost answer: nothing may be added.
        started = time.perf_counter()
        retry_timings, retry_statuses = send_all(url, token, batches, args.clients)
        report("full retry", retry_timings, retry_statuses, time.perf_counter() - started)
        after_retry = Observation.objects.filter(walk=walk).count()
    finally:
        server.terminate()
        server.wait(timeout=20)

    print(f"stored after sync: {stored:,}; after retry: {after_retry:,}")
    ok = stored == after_retry == args.observations
    ok = ok and statuses.count("created") == args.observations
    ok = ok and retry_statuses.count("duplicate") == args.observations
    print(
        f"exactly {args.observations:,} stored: {'yes' if ok else 'NO'}; "
        f"p95 target 150 ms per batch: {'met' if p95 <= 150 else 'missed'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
