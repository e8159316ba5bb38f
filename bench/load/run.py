"""Load without loss: 50 tablets syncing through lost answers and dropped connections while
4 planners pull vector tiles, all on loopback, then the database is checked row by row.

Starts its own gunicorn on 127.0.0.1 (first free port of 8100-8110) against the database of
DATABASE_URL (your `.env`), in a benchmark area of its own (`bench-load`) that it resets on every
run. Each simulated tablet is a participant with its own token on one of five walks; it syncs its
observations in batches and, by a seeded coin, before a batch:

- opens a raw socket, sends part of the request (headers or body cut short) and closes it;
- sends the whole request on a raw socket and closes it before reading the answer (the server
  stores the batch, the tablet never hears of it);
- gives up waiting after a few milliseconds (a client-side timeout, the answer is lost);
- sends it on two connections at once, the second copy shuffled (a retry timer firing while the
  first attempt is still open);

and then sends the batch again until it is acknowledged (in a shuffled order half the time, so a
retry can meet the first attempt still running in another worker). Now and then it re-sends a
batch already acknowledged, which must come back as all duplicates with the same ids. Meanwhile
planners pull tiles of every layer at zooms 13-17, half the time with the ETag they already hold.

Checks (exit status 1 if any fails): no 5xx, neither seen by a client nor in the server's access
log, and no server error in its log; exactly tablets × observations rows stored for the
benchmark walks; no client_id twice; every generated client_id stored, on its tablet's walk, with
the id the server acknowledged. Bounded: a fixed number of attempts per batch, a cap on tile
requests, and a hard time limit after which it stops, reports failure and, if it must, exits.

    .venv/bin/python bench/load/run.py [--tablets 50] [--per-tablet 200] [--batch 20]
        [--planners 4] [--workers 2] [--seed 8] [--time-limit 600]
"""

import argparse
import json
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.gis.geos import LineString, Point  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench.sync.run import (  # noqa: E402
    EAST,
    NORTH,
    SOUTH,
    WEST,
    grid_area_create,
    observations,
    percentile,
    server_env,
)
from geo.models import Membership  # noqa: E402
from layers.categories import CrimeCategory  # noqa: E402
from layers.models import CrimeIncident, Lamp  # noqa: E402
from walks.models import Walk  # noqa: E402

SLUG = "bench-load"
PORTS = range(8100, 8111)
WALKS = 5
TILE_LAYERS = ["blocks", "observations", "walks", "lamps", "crime"]
TILE_ZOOMS = [13, 14, 15, 16, 17]
MAX_ATTEMPTS = 8  # per batch; a batch still unacknowledged after these is a failure
MAX_TILE_REQUESTS = 50_000
# Per batch: chance of a connection dropped mid-request, of a request sent whole on a socket
# closed before the answer, of a client-side timeout, of the batch sent twice at once (a retry
# timer firing while the first attempt is still open), and of re-sending an acknowledged batch.
P_DROP, P_UNREAD, P_TIMEOUT, P_TWICE, P_RESEND = 0.10, 0.10, 0.10, 0.10, 0.15


@dataclass
class Tally:
    """What the threads saw; every list and counter is only touched under `lock`."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sync_ms: list = field(default_factory=list)
    sync_server_ms: list = field(default_factory=list)  # the view's own time (Server-Timing)
    tile_ms: list = field(default_factory=list)
    events: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)  # "sync 200", "tile 304", …
    acked: dict = field(default_factory=dict)  # client_id → id the server acknowledged
    failures: list = field(default_factory=list)

    def add(self, **kwargs):
        with self.lock:
            for name, value in kwargs.items():
                if name in ("events", "statuses"):
                    getattr(self, name).update(value)
                elif name == "failures":
                    self.failures.append(value)
                else:
                    getattr(self, name).append(value)


def user_with_token(username):
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username, password=uuid.uuid4().hex)
    return user, Token.objects.get_or_create(user=user)[0].key


def reset_area(tablets, planners, seed):
    """The benchmark area with blocks, lamps, crime, five walks; (walk per tablet, tokens)."""
    area = grid_area_create(SLUG, "Load benchmark")
    rng = random.Random(seed)

    def spot():
        return Point(rng.uniform(WEST, EAST), rng.uniform(SOUTH, NORTH), srid=4326)

    Lamp.objects.bulk_create(
        Lamp(area=area, geom=spot(), status=rng.choice(["working", "broken", "dim"]))
        for _ in range(500)
    )
    CrimeIncident.objects.bulk_create(
        CrimeIncident(
            area=area,
            geom=spot(),
            month=date(2026, rng.randint(1, 10), 1),
            category=rng.choice(CrimeCategory.values),
            original_category="bench",
            source_dataset="bench-load",
            source_key=f"bench:{i}",
            precision="exact",
        )
        for i in range(3000)
    )
    starts = datetime.now(UTC) - timedelta(hours=2)
    walks = []
    for w in range(WALKS):
        lat = SOUTH + (w + 1) * (NORTH - SOUTH) / (WALKS + 1)
        route = LineString((WEST + 0.002, lat), (EAST - 0.002, lat), srid=4326)
        walks.append(
            Walk.objects.create(area=area, name=f"Load walk {w + 1}", route=route, starts_at=starts)
        )
    tablet_walk, tablet_tokens = [], []
    for t in range(tablets):
        user, token = user_with_token(f"bench-load-tablet-{t:02d}")
        Membership.objects.create(user=user, area=area, role="participant")
        walk = walks[t % WALKS]
        walk.participants.add(user)
        tablet_walk.append((walk.pk, user.pk))
        tablet_tokens.append(token)
    planner_tokens = []
    for p in range(planners):
        user, token = user_with_token(f"bench-load-planner-{p}")
        Membership.objects.create(user=user, area=area, role="planner")
        planner_tokens.append(token)
    return walks, tablet_walk, tablet_tokens, planner_tokens


def free_port():
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def start_server(port, workers, logs: Path):
    env = server_env()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
            "--access-logfile",
            str(logs / "access.log"),
            "--access-logformat",
            "%(s)s %(m)s %(U)s %(L)s",
            "--error-logfile",
            str(logs / "error.log"),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(logs / "stderr.log", "w"),
        start_new_session=True,
    )
    for _ in range(120):  # at most a minute or two on a busy machine
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                return server
        except requests.RequestException:
            pass
        if server.poll() is not None:
            break
        time.sleep(0.5)
    stop_server(server)
    raise SystemExit("the benchmark server did not start")


def stop_server(server):
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


class Tablet:
    """One tablet: syncs its batches in order, through the mishaps its seeded coin picks."""

    def __init__(self, *, number, port, walk_id, token, items, batch, seed, tally, stop, deadline):
        self.number, self.port, self.walk_id, self.token = number, port, walk_id, token
        self.path = f"/api/walks/{walk_id}/observations/sync"
        self.url = f"http://127.0.0.1:{port}{self.path}"
        self.batches = [items[i : i + batch] for i in range(0, len(items), batch)]
        self.rng = random.Random(seed)
        self.tally, self.stop, self.deadline = tally, stop, deadline
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"
        self.acknowledged = []

    def remaining(self):
        return self.deadline - time.monotonic()

    def run(self):
        try:
            for batch in self.batches:
                if self.stop.is_set():
                    return
                mishap = self.rng.random()
                if mishap < P_DROP:
                    self.dropped(batch, whole=False)
                elif mishap < P_DROP + P_UNREAD:
                    self.dropped(batch, whole=True)
                elif mishap < P_DROP + P_UNREAD + P_TIMEOUT:
                    self.timed_out(batch)
                elif mishap < P_DROP + P_UNREAD + P_TIMEOUT + P_TWICE:
                    self.twice(batch)
                retried = mishap < P_DROP + P_UNREAD + P_TIMEOUT + P_TWICE
                if not self.deliver(batch, shuffle=retried):
                    return
                self.acknowledged.append(batch)
                if self.rng.random() < P_RESEND:
                    self.tally.add(events={"re-sent acknowledged batch": 1})
                    again = self.rng.choice(self.acknowledged)
                    if not self.deliver(again, shuffle=self.rng.random() < 0.5, resend=True):
                        return
        except Exception as error:  # a bug in the benchmark must fail it, not hang it
            self.tally.add(failures=f"tablet {self.number}: {error!r}")

    def body(self, batch):
        return json.dumps({"observations": batch}).encode()

    def dropped(self, batch, *, whole):
        """Send part or all of a request on a raw socket and close it without reading."""
        body = self.body(batch)
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Token {self.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        request = head + body
        if whole:
            cut, event = len(request), "closed before the answer"
        elif self.rng.random() < 0.3:
            cut, event = self.rng.randrange(1, len(head)), "dropped in the headers"
        else:
            cut, event = len(head) + self.rng.randrange(0, len(body)), "dropped in the body"
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as raw:
            raw.sendall(request[:cut])
        self.tally.add(events={event: 1})

    def timed_out(self, batch):
        """Send the batch but stop waiting after a few milliseconds: the answer is lost."""
        try:
            response = self.session.post(
                self.url,
                data=self.body(batch),
                timeout=(10, self.rng.uniform(0.005, 0.1)),
                headers={"Content-Type": "application/json"},
            )
        except requests.Timeout:
            self.tally.add(events={"client-side timeout": 1})
            return
        except requests.ConnectionError:
            self.tally.add(events={"connection error": 1})
            return
        # Answered in time after all: the acknowledgement counts like any other.
        self.tally.add(statuses={f"sync {response.status_code}": 1})
        if response.status_code == 200:
            self.check(batch, response.json(), resend=False)

    def twice(self, batch):
        """Send the batch on two connections at once, the second copy in another order."""
        orders = [list(batch), list(batch)]
        self.rng.shuffle(orders[1])
        answers = [None, None]
        timeout = (10, max(1, min(120, self.remaining())))

        def send(slot):
            try:
                answers[slot] = requests.post(
                    self.url,
                    data=self.body(orders[slot]),
                    timeout=timeout,
                    headers={
                        "Authorization": f"Token {self.token}",
                        "Content-Type": "application/json",
                    },
                )
            except requests.RequestException as error:
                answers[slot] = error

        threads = [threading.Thread(target=send, args=(slot,)) for slot in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.tally.add(events={"sent twice at once": 1})
        for items, answer in zip(orders, answers, strict=True):
            if isinstance(answer, Exception):
                self.tally.add(events={f"sync {type(answer).__name__}": 1})
                continue
            self.tally.add(statuses={f"sync {answer.status_code}": 1})
            if answer.status_code == 200:
                self.check(items, answer.json(), resend=False)
            elif answer.status_code < 500:
                self.tally.add(failures=f"tablet {self.number}: {answer.status_code}")

    def deliver(self, batch, *, shuffle, resend=False):
        """Send the batch until it is acknowledged; False if it never is."""
        items = list(batch)
        if shuffle:
            self.rng.shuffle(items)
        for attempt in range(MAX_ATTEMPTS):
            if self.stop.is_set() or self.remaining() <= 0:
                return False
            started = time.perf_counter()
            try:
                response = self.session.post(
                    self.url,
                    data=self.body(items),
                    timeout=(10, min(120, self.remaining())),
                    headers={"Content-Type": "application/json"},
                )
            except requests.RequestException as error:
                self.tally.add(events={f"sync {type(error).__name__}": 1})
                time.sleep(0.2 * (attempt + 1))
                continue
            elapsed = (time.perf_counter() - started) * 1000
            self.tally.add(statuses={f"sync {response.status_code}": 1})
            if response.status_code == 200:
                server_ms = float(response.headers["Server-Timing"].split("dur=")[1])
                self.tally.add(sync_ms=elapsed, sync_server_ms=server_ms)
                return self.check(items, response.json(), resend=resend)
            if response.status_code < 500:
                self.tally.add(
                    failures=f"tablet {self.number}: {response.status_code} {response.text[:200]}"
                )
                return False
            time.sleep(0.2 * (attempt + 1))
        self.tally.add(failures=f"tablet {self.number}: a batch never acknowledged")
        return False

    def check(self, items, answer, *, resend):
        """Every item acknowledged as created or duplicate, with one id per client_id forever."""
        results = answer.get("results", [])
        problems = []
        if [r.get("client_id") for r in results] != [i["client_id"] for i in items]:
            problems.append("results do not match the items")
        with self.tally.lock:
            for result in results:
                cid, status, pk = result.get("client_id"), result.get("status"), result.get("id")
                if status not in ("created", "duplicate") or pk is None:
                    problems.append(f"{cid}: {status} {result.get('errors')}")
                elif resend and status != "duplicate":
                    problems.append(f"{cid}: re-sent acknowledged item came back {status}")
                elif self.tally.acked.setdefault(cid, pk) != pk:
                    problems.append(
                        f"{cid}: acknowledged as {pk}, earlier as {self.tally.acked[cid]}"
                    )
                self.tally.statuses[f"item {status}"] += 1
        for problem in problems[:3]:
            self.tally.add(failures=f"tablet {self.number}: {problem}")
        return not problems


def tile_window(z, half=1):
    """The tiles a planner's map shows at zoom z: at most 3 × 3 around the area's centre, so
    planners come back to tiles they hold and If-None-Match can answer 304."""
    n = 1 << z

    def xy(lon, lat):
        x = (lon + 180) / 360 * n
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return int(x), int(y)

    (x0, y1), (x1, y0) = xy(WEST, SOUTH), xy(EAST, NORTH)
    cx, cy = xy((WEST + EAST) / 2, (SOUTH + NORTH) / 2)
    return max(x0, cx - half), min(x1, cx + half), max(y0, cy - half), min(y1, cy + half)


def planner(*, number, port, slug, token, seed, tally, tablets_done, stop, budget):
    """Pull random tiles of the area until the tablets are done; If-None-Match half the time."""
    rng = random.Random(seed)
    session = requests.Session()
    session.headers.update({"Authorization": f"Token {token}", "Accept-Encoding": "gzip"})
    etags = {}
    ranges = {z: tile_window(z) for z in TILE_ZOOMS}
    try:
        while not (tablets_done.is_set() or stop.is_set()) and budget.acquire(blocking=False):
            layer, z = rng.choice(TILE_LAYERS), rng.choice(TILE_ZOOMS)
            x0, x1, y0, y1 = ranges[z]
            x, y = rng.randint(x0, x1), rng.randint(y0, y1)
            url = f"http://127.0.0.1:{port}/tiles/{slug}/{layer}/{z}/{x}/{y}.mvt"
            headers = {}
            if url in etags and rng.random() < 0.5:
                headers["If-None-Match"] = etags[url]
            started = time.perf_counter()
            try:
                response = session.get(url, headers=headers, timeout=(10, 120))
            except requests.RequestException as error:
                tally.add(events={f"tile {type(error).__name__}": 1})
                continue
            elapsed = (time.perf_counter() - started) * 1000
            tally.add(tile_ms=elapsed, statuses={f"tile {response.status_code}": 1})
            if response.status_code not in (200, 204, 304):
                tally.add(failures=f"planner {number}: {url} {response.status_code}")
            elif response.status_code == 304 and "If-None-Match" not in headers:
                tally.add(failures=f"planner {number}: 304 without a validator for {url}")
            if "ETag" in response.headers:
                etags[url] = response.headers["ETag"]
    except Exception as error:
        tally.add(failures=f"planner {number}: {error!r}")


def server_log_problems(logs: Path) -> tuple[Counter, list[float], list[str]]:
    """Statuses the server logged for every request (answers nobody read included), the time
    it spent on each tile (ms, from the moment a worker took the request), and the lines of its
    error logs that report a server fault."""
    statuses, tile_ms = Counter(), []
    for line in (logs / "access.log").read_text().splitlines():
        status, _method, path, seconds = line.split(" ")
        statuses[status] += 1
        if path.startswith("/tiles/"):
            tile_ms.append(float(seconds) * 1000)
    faults = []
    for name in ("error.log", "stderr.log"):
        for line in (logs / name).read_text().splitlines():
            if any(s in line for s in ("Traceback", "Internal Server Error", "WORKER TIMEOUT")):
                faults.append(f"{name}: {line.strip()[:200]}")
    return statuses, tile_ms, faults


def database_checks(walks, tablet_walk, generated, acked):
    """The rows as stored: (name, passed, detail) per check."""
    walk_ids = [w.pk for w in walks]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT client_id::text, id, walk_id, author_id FROM walks_observation"
            " WHERE walk_id = ANY(%s)",
            [walk_ids],
        )
        rows = cursor.fetchall()
        cursor.execute(
            "SELECT count(*) FROM (SELECT client_id FROM walks_observation"
            " WHERE walk_id = ANY(%s) GROUP BY client_id HAVING count(*) > 1) twice",
            [walk_ids],
        )
        [twice] = cursor.fetchone()
    expected = sum(len(items) for items in generated)
    stored = {cid: (pk, walk_id, author) for cid, pk, walk_id, author in rows}
    all_ids = {item["client_id"] for items in generated for item in items}
    lost = all_ids - stored.keys()
    foreign = stored.keys() - all_ids
    misplaced = sum(
        1
        for (walk_id, author), items in zip(tablet_walk, generated, strict=True)
        for item in items
        if item["client_id"] in stored and stored[item["client_id"]][1:] != (walk_id, author)
    )
    wrong_ack = sum(1 for cid, pk in acked.items() if cid not in stored or stored[cid][0] != pk)
    unacked = all_ids - acked.keys()
    return [
        (f"exactly {expected:,} observations stored", len(rows) == expected, f"{len(rows):,}"),
        ("no client_id stored twice", twice == 0, f"{twice} twice"),
        ("none lost (every generated client_id stored)", not lost, f"{len(lost)} missing"),
        ("nothing stored that no tablet generated", not foreign, f"{len(foreign)} extra"),
        ("each on its tablet's walk, by its tablet's user", not misplaced, f"{misplaced} not"),
        ("every item acknowledged", not unacked, f"{len(unacked)} never acknowledged"),
        ("stored ids are the acknowledged ids", not wrong_ack, f"{wrong_ack} differ"),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tablets", type=int, default=50)
    parser.add_argument("--per-tablet", type=int, default=200)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--planners", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=600, help="seconds, all included")
    args = parser.parse_args()
    deadline = time.monotonic() + args.time_limit
    stop = threading.Event()
    # The soft limit stops the threads between requests; the hard one ends the process even if
    # a request hangs (after stopping the server it started, by its pid).
    soft = threading.Timer(args.time_limit, stop.set)
    soft.daemon = True
    soft.start()
    server = None

    def hard_stop():
        print(f"hard time limit: still running {args.time_limit + 60:.0f} s after the start")
        if server is not None:
            server.kill()
        os._exit(3)

    hard = threading.Timer(args.time_limit + 60, hard_stop)
    hard.daemon = True
    hard.start()

    walks, tablet_walk, tablet_tokens, planner_tokens = reset_area(
        args.tablets, args.planners, args.seed
    )
    generated = [
        observations(args.per_tablet, seed=args.seed * 1_000_003 + t) for t in range(args.tablets)
    ]
    logs = Path(tempfile.mkdtemp(prefix="trygg-bench-load-"))
    port = free_port()
    server = start_server(port, args.workers, logs)
    tally = Tally()
    tablets_done = threading.Event()
    budget = threading.Semaphore(MAX_TILE_REQUESTS)
    print(
        f"load benchmark: {args.tablets} tablets × {args.per_tablet} observations in batches of "
        f"{args.batch}, {args.planners} planners pulling tiles, gunicorn with {args.workers} "
        f"workers on 127.0.0.1:{port}, {os.cpu_count()} CPUs, seed {args.seed}"
    )
    try:
        tablets = [
            Tablet(
                number=t,
                port=port,
                walk_id=tablet_walk[t][0],
                token=tablet_tokens[t],
                items=generated[t],
                batch=args.batch,
                seed=args.seed * 7919 + t,
                tally=tally,
                stop=stop,
                deadline=deadline,
            )
            for t in range(args.tablets)
        ]
        tablet_threads = [threading.Thread(target=t.run, daemon=True) for t in tablets]
        planner_threads = [
            threading.Thread(
                target=planner,
                daemon=True,
                kwargs=dict(
                    number=p,
                    port=port,
                    slug=SLUG,
                    token=planner_tokens[p],
                    seed=args.seed * 104729 + p,
                    tally=tally,
                    tablets_done=tablets_done,
                    stop=stop,
                    budget=budget,
                ),
            )
            for p in range(args.planners)
        ]
        started = time.perf_counter()
        for thread in planner_threads + tablet_threads:
            thread.start()
        for thread in tablet_threads:
            thread.join(max(0, deadline - time.monotonic()))
        wall = time.perf_counter() - started
        tablets_done.set()
        for thread in planner_threads:
            thread.join(max(0, deadline - time.monotonic()))
        timed_out = stop.is_set() or any(t.is_alive() for t in tablet_threads + planner_threads)
    finally:
        stop.set()
        stop_server(server)
    soft.cancel()

    logged, tile_server_ms, faults = server_log_problems(logs)
    client_5xx = sum(n for key, n in tally.statuses.items() if key.split()[-1].startswith("5"))
    logged_5xx = sum(n for status, n in logged.items() if status.startswith("5"))
    stored_checks = database_checks(walks, tablet_walk, generated, dict(tally.acked))
    hard.cancel()

    total = args.tablets * args.per_tablet
    tiles = sum(n for key, n in tally.statuses.items() if key.startswith("tile "))
    print(f"\nmishaps and retries: {dict(sorted(tally.events.items()))}")
    print(f"answers seen by clients: {dict(sorted(tally.statuses.items()))}")
    print(f"statuses in the server's access log: {dict(sorted(logged.items()))}")
    print(f"wall time of the sync phase: {wall:.1f} s")
    for label, values in (
        ("sync batch", tally.sync_ms),
        ("  of it in the view", tally.sync_server_ms),
        ("tile", tally.tile_ms),
        ("  of it in a worker", tile_server_ms),
    ):
        if len(values) >= 2:
            print(
                f"  {label:20s} {len(values):6,} answered   p50 {percentile(values, 50):7.1f} ms"
                f"   p95 {percentile(values, 95):7.1f} ms   max {max(values):7.1f} ms"
            )
    print(f"  throughput: {total / wall:,.0f} observations/s, {tiles / wall:,.1f} tiles/s")

    checks = [
        ("finished within the time limit", not timed_out, f"limit {args.time_limit:.0f} s"),
        ("no 5xx seen by a client", client_5xx == 0, f"{client_5xx}"),
        ("no 5xx in the server's access log", logged_5xx == 0, f"{logged_5xx}"),
        ("no server error logged", not faults, f"{len(faults)} lines"),
        ("no unexpected answer or failed thread", not tally.failures, f"{len(tally.failures)}"),
        *stored_checks,
    ]
    print("\nchecks:")
    for name, passed, detail in checks:
        print(f"  [{'ok' if passed else 'FAIL'}] {name} ({detail})")
    for failure in tally.failures[:10]:
        print(f"  failure: {failure}")
    for fault in faults[:10]:
        print(f"  server: {fault}")
    failed = [name for name, passed, _ in checks if not passed]
    print(f"server logs: {logs}")
    print("RESULT:", "FAIL" if failed else "all checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
