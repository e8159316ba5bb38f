"""Tile benchmark: Trygg's tiles against the raw SQL floor and against tipg, on loopback.

Needs the demo at scale 10 in the checkout's database (`manage.py load_demo --scale 10`) and
tipg in bench/.venv-tipg (see docs/benchmarks.md, Tiles). Starts Trygg's uWSGI and tipg itself, on
loopback ports, and stops them at the end. Every loop is bounded by the fixed tile list.

    .venv/bin/python bench/tiles/run.py [--repeat 3] [--workers N] [--only crime:planner]

Measured per case (one layer, or `map`: every vector layer the planner map shows, asked for
tile by tile as the map asks for them), at concurrency 1 and 8:
- floor: the tile statement itself over one psycopg connection per thread (no HTTP, no Django);
- cold: GET without a validator, the tile is built by PostgreSQL and gzipped by Django;
- warm: GET with the tile's ETag in If-None-Match → 304 after one small statement;
- tipg: tipg's own tile endpoint for the same table and tiles (buffer 64, same attributes).
Cold and warm are measured twice: with a Python client (as the floor and tipg are), and with
wrk, a C client whose own cost per request is negligible, for `--wrk-seconds` each. Then
`--paired-rounds` rounds of a floor pass and a 1 s cold wrk run each give cold ÷ floor measured
a second apart (median and range).
"""

import argparse
import contextlib
import http.client
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from tiles.auth import Requester  # noqa: E402
from tiles.filters import TileFilters  # noqa: E402
from tiles.sql import STATEMENTS  # noqa: E402
from tiles.views import tile_params  # noqa: E402

TRYGG_PORT, TIPG_PORT = 18004, 18014
# z → half-width of the square of tiles around the busiest point: 1 → 2×2, 2 → 4×4 tiles.
SPAN = {12: 1, 13: 1, 14: 1, 15: 2, 16: 2, 17: 2}
MAP_LAYERS = ("blocks", "crime", "observations", "walks", "lamps")
# case, layers, user, credential, tipg table and properties (the attributes Trygg's tile
# carries), zooms. A token is what QGIS and scripts send; the planner map sends its session
# cookie. A case of several layers asks for each tile of the list in every one of them, in turn.
CASES = [
    ("blocks", ("blocks",), "demo-planner", "token", "public.geo_block", "code", range(12, 18)),
    ("lamps", ("lamps",), "demo-planner", "token", "public.layers_lamp", "status", range(12, 18)),
    (
        "observations",
        ("observations",),
        "demo-planner",
        "token",
        "public.walks_observation",
        "severity,feeling",
        range(12, 18),
    ),
    (
        "crime",
        ("crime",),
        "demo-analyst",
        "token",
        "public.layers_crimeincident",
        "category,month",
        range(15, 18),
    ),
    # Planners get crime aggregated per block at every zoom (incidents carry their block).
    ("crime", ("crime",), "demo-planner", "token", None, None, range(12, 18)),
    # The planner map's own requests (tipg was measured above).
    ("lamps", ("lamps",), "demo-planner", "session", None, None, range(12, 18)),
    ("blocks", ("blocks",), "demo-planner", "session", None, None, range(12, 18)),
    # What the planner map asks for at each place and zoom: every vector layer of its style.
    ("map", MAP_LAYERS, "demo-planner", "session", None, None, range(12, 18)),
]


def tile_xy(lon, lat, z):
    n = 1 << z
    x = (lon + 180) / 360 * n
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int(x), int(y)


def busiest_point():
    """The centre of the block with the most incidents inside it (fixed by the demo's seed)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ST_X(c), ST_Y(c) FROM (
                SELECT ST_Centroid(b.geom) AS c, count(*) AS n
                FROM geo_block b
                JOIN geo_area a ON a.id = b.area_id AND a.slug = 'demo'
                JOIN layers_crimeincident i ON i.area_id = a.id AND ST_Intersects(b.geom, i.geom)
                GROUP BY b.id ORDER BY n DESC, b.id LIMIT 1) busiest
            """
        )
        return cursor.fetchone()


def tile_list(lon, lat, spans):
    tiles = []
    for z, half in spans.items():
        cx, cy = tile_xy(lon, lat, z)
        low, high = (0, 1) if half == 0 else (-half, half)
        for dx in range(low, high):
            for dy in range(low, high):
                tiles.append((z, cx + dx, cy + dy))
    return tiles


def run_statement(cur, tile, requester):
    """The tile statement the server runs for `tile` (layer, z, x, y) and that requester, with
    no filters: the floor."""
    layer, z, x, y = tile
    params = tile_params(
        slug="demo", layer=layer, z=z, x=x, y=y, requester=requester, filters=TileFilters()
    )
    cur.execute(STATEMENTS[layer], params)
    cur.fetchone()


def tile_path(job):
    layer, z, x, y = job
    return f"/tiles/demo/{layer}/{z}/{x}/{y}.mvt"


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(jobs, work, concurrency):
    """Run work(job) for every job on `concurrency` threads; wall time and latencies (ms)."""
    latencies = []
    by_job = {}
    lock = threading.Lock()

    def timed(job):
        started = time.perf_counter()
        work(job)
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            latencies.append(elapsed)
            by_job.setdefault(job, []).append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(timed, jobs))
    wall = time.perf_counter() - started
    return {
        "n": len(jobs),
        "tiles_per_s": len(jobs) / wall if wall else 0.0,
        "mean": statistics.fmean(latencies),
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "by_job": {job: statistics.fmean(times) for job, times in by_job.items()},
    }


def mix_mean(by_tile, tiles, n):
    """The mean of `by_tile` over the first n tiles of the cycle through `tiles` that wrk
    requests: a run that ends part-way through the list (heavy layers go round it only a few
    times in a few seconds) must be compared with the floor of the tiles it actually served."""
    cycles, rest = divmod(n, len(tiles))
    total = cycles * sum(by_tile[t] for t in tiles) + sum(by_tile[t] for t in tiles[:rest])
    return total / n


def paired_ratios(tiles, floor, paths, headers, concurrency, rounds, seconds):
    """Cold time per tile (wrk) over the floor of the same tiles, in rounds that measure the
    two a second apart. This shared machine drifts by a third over minutes, which decides the
    ratio of a 1 ms tile when the two are measured minutes apart, as in the runs above; the
    rounds' median and range say what the drift leaves."""
    ratios = []
    for _ in range(rounds):
        floor_r = run(tiles, floor, concurrency)
        wrk = wrk_run(TRYGG_PORT, paths, None, headers, concurrency, seconds)
        if not wrk["n"]:
            continue  # not one tile answered within the round's second
        per_tile_ms = concurrency / wrk["tiles_per_s"] * 1000
        ratios.append(per_tile_ms / mix_mean(floor_r["by_job"], tiles, wrk["n"]))
    return ratios


_connections = threading.local()


def http_get(port, path, headers, keep_alive=True):
    """GET over this thread's kept-alive connection to `port`, as a browser's map does; a
    connection the server closed (idle timeout, restart) is reopened once. Without keep_alive,
    a new connection per request."""
    if not keep_alive:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response.status, response.getheader("ETag"), body
    pool = _connections.__dict__.setdefault("by_port", {})
    for attempt in (1, 2):
        conn = pool.get(port) or http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        pool[port] = conn
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
        except (http.client.RemoteDisconnected, ConnectionError):
            conn.close()
            del pool[port]
            if attempt == 2:
                raise
            continue
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
            del pool[port]
        return response.status, response.getheader("ETag"), body
    raise AssertionError("unreachable")


WRK_SCRIPT = """
local tiles = {%s}
local i = 0
others = 0 -- global, so that done() can read it from each thread

request = function()
  i = i %% #tiles + 1
  wrk.headers["If-None-Match"] = tiles[i][2] -- nil (no header) for a cold request
  return wrk.format("GET", tiles[i][1])
end
%s
local threads = {}
setup = function(thread) table.insert(threads, thread) end

done = function(summary, latency, requests)
  local n = summary.errors.status -- answers other than 2xx and 3xx
  for _, thread in ipairs(threads) do n = n + thread:get("others") end
  io.write(string.format("RESULT %%d %%d %%d %%.3f %%.3f %%.3f\\n", summary.requests,
    summary.duration, n, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency.mean / 1000))
end
"""


WRK_ONLY_304 = """
response = function(status, headers, body)
  if status ~= 304 then others = others + 1 end
end
"""


def wrk_run(port, paths, etags, headers, concurrency, seconds):
    """Requests for `seconds` with wrk (a C load generator: unlike the Python client, it leaves
    the two cores to the server and adds no time of its own to each answer), cycling through
    the tiles: revalidations with their ETags, or cold requests when `etags` is None. None when
    wrk is not installed."""
    if not shutil.which("wrk"):
        return None
    if etags is None:
        # Cold: any 2xx, counted by wrk itself; a Lua response callback would copy every
        # tile body into Lua.
        entries = ", ".join(f'{{"{p}"}}' for p in paths)
        check, expected = "", "2xx"
    else:
        pairs = zip(paths, etags, strict=True)
        entries = ", ".join(f'{{"{p}", {json.dumps(e)}}}' for p, e in pairs)
        check, expected = WRK_ONLY_304, "304"
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT % (entries, check))
        script.flush()
        command = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "-s", script.name]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        out = subprocess.run(
            [*command, f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True
        ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))
    requests, duration_us, others, p50, p95, mean = line.split()[1:]
    assert int(others) == 0, f"{others} answers were not {expected}"
    return {
        "n": int(requests),
        "tiles_per_s": int(requests) / (int(duration_us) / 1e6),
        "p50": float(p50),
        "p95": float(p95),
        "mean": float(mean),
    }


def libpq_dsn():
    url = urlsplit(os.environ.get("DATABASE_URL") or settings_url())
    return url._replace(scheme="postgresql").geturl()


def settings_url():
    db = settings.DATABASES["default"]
    return f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def wait_for(port, path, deadline_s=60):
    deadline = time.time() + deadline_s
    while time.time() < deadline:
        try:
            http_get(port, path, {})
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"server on port {port} did not start")


def credentials(user, credential: str) -> tuple[dict, Requester]:
    """The header a client of that kind sends (a token, or a signed-in browser's cookie), and
    the requester the tile view binds for it, so the floor runs the very statement the server
    does, the token or session lookup included."""
    if credential == "token":
        key = Token.objects.get_or_create(user=user)[0].key
        return {"Authorization": f"Token {key}"}, Requester(token=key)
    browser = Client()
    browser.force_login(user)
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={key}"}, Requester(session=key)


def start_trygg(workers, port=TRYGG_PORT):
    """The server of `make run`, with its settings and production settings but plain HTTP on
    loopback; workers as asked, no request log."""
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        SECRET_KEY=settings.SECRET_KEY,  # the bench's sessions are signed with it
        SECURE_SSL_REDIRECT="0",
        WEB_WORKERS=str(workers),
    )
    command = [str(ROOT / ".venv/bin/python"), "-m", "config.serve", "127.0.0.1", str(port)]
    return subprocess.Popen(
        [*command, "--disable-logging"],
        cwd=ROOT,
        env=env,
        stdout=open(out / "uwsgi.log", "w"),
        stderr=subprocess.STDOUT,
    )


def start_servers(workers):
    uvicorn = ROOT / "bench/.venv-tipg/bin/uvicorn"
    if not uvicorn.exists():
        raise SystemExit(f"{uvicorn.relative_to(ROOT)} is missing: see docs/benchmarks.md, Tiles")
    out = ROOT / "bench" / "out"
    trygg = start_trygg(workers)
    tipg_env = dict(
        os.environ,
        DATABASE_URL=libpq_dsn(),
        TIPG_DB_SCHEMAS='["public"]',
        TIPG_DB_TABLES='["public.geo_block","public.layers_lamp","public.walks_observation",'
        '"public.layers_crimeincident"]',
        TIPG_TILE_BUFFER="64",
        TIPG_MAX_FEATURES_PER_TILE="1000000",
        DB_MAX_CONN_SIZE="8",
    )
    tipg = subprocess.Popen(
        [
            str(uvicorn),
            "tipg.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(TIPG_PORT),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=out,
        env=tipg_env,
        stdout=open(out / "tipg.log", "w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(TRYGG_PORT, "/healthz")
        wait_for(TIPG_PORT, "/collections")
    except BaseException:
        stop([trygg, tipg])
        raise
    return [trygg, tipg]


def stop(servers):
    for server in servers:
        server.send_signal(signal.SIGTERM)
    for server in servers:
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count(), help="server processes, Trygg's and tipg's"
    )
    parser.add_argument("--repeat", type=int, default=3, help="passes over the tile list per run")
    parser.add_argument(
        "--wrk-seconds", type=int, default=5, help="length of each wrk revalidation run"
    )
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument(
        "--only", nargs="+", help="run only these cases, e.g. crime:planner lamps:planner:session"
    )
    parser.add_argument(
        "--paired-rounds", type=int, default=5, help="rounds of floor then wrk, cold (0: none)"
    )
    args = parser.parse_args()

    lon, lat = busiest_point()
    users = {u.username: u for u in get_user_model().objects.filter(username__startswith="demo-")}
    servers = start_servers(args.workers)
    rows = []
    paired = {}
    try:
        dsn = libpq_dsn()
        # The floor's connections, kept across runs as the server keeps its own: each run has
        # threads of its own, and a connection per thread would start every run on backends
        # whose caches are cold and whose first five statements are not yet prepared.
        idle, idle_lock = [], threading.Lock()

        @contextlib.contextmanager
        def cursor():
            with idle_lock:
                conn = idle.pop() if idle else None
            if conn is None:
                # The same session options as Django's connections: JIT off, parameters bound
                # by the server and statements prepared (psycopg's default cursor does both).
                options = dict(settings.DATABASES["default"].get("OPTIONS", {}))
                options.pop("server_side_binding", None)
                conn = psycopg.connect(dsn, autocommit=True, **options)
            try:
                with conn.cursor() as cur:
                    yield cur
            finally:
                with idle_lock:
                    idle.append(conn)

        for case, layers, username, credential, table, properties, zooms in CASES:
            role = username.removeprefix("demo-")
            via = ":session" if credential == "session" else ""
            if args.only and f"{case}:{role}{via}" not in args.only:
                continue
            # Jobs: (layer, z, x, y).
            tiles = [
                (layer, *tile)
                for tile in tile_list(lon, lat, {z: SPAN[z] for z in zooms})
                for layer in layers
            ]
            sent, requester = credentials(users[username], credential)
            headers = {"Accept-Encoding": "gzip"} | sent
            label = f"{case} ({role}{', session' if via else ''})"

            def floor(tile, requester=requester):
                with cursor() as cur:
                    run_statement(cur, tile, requester)

            def cold(tile, headers=headers):
                status, _, _ = http_get(TRYGG_PORT, tile_path(tile), headers)
                assert status in (200, 204), status

            etags = {}
            for tile in tiles:  # warms PostgreSQL's buffers and collects the validators
                _, etags[tile], _ = http_get(TRYGG_PORT, tile_path(tile), headers)

            def warm(tile, headers=headers, etags=etags):
                status, _, _ = http_get(
                    TRYGG_PORT, tile_path(tile), headers | {"If-None-Match": etags[tile]}
                )
                assert status == 304, status

            def tipg_tile(tile, table=table, properties=properties):
                _, z, x, y = tile
                status, _, _ = http_get(
                    TIPG_PORT,
                    # geom: the lon/lat column, also where blocks keep a Web Mercator copy.
                    f"/collections/{table}/tiles/WebMercatorQuad/{z}/{x}/{y}"
                    f"?properties={properties}&geom-column=geom",
                    {"Accept-Encoding": "gzip"},
                    # On a kept-alive connection tipg's gzipped answers wait ~40 ms each for a
                    # delayed ACK; a connection per request is its faster mode, so it gets that.
                    keep_alive=False,
                )
                assert status in (200, 204), status

            runners = [("floor (SQL)", floor), ("trygg cold", cold), ("trygg warm (304)", warm)]
            if table:
                for tile in tiles:
                    tipg_tile(tile)  # tipg's catalogue and buffers warmed alike
                runners.append(("tipg", tipg_tile))
            paths = [tile_path(tile) for tile in tiles]
            # Both sides start warm: each of the floor's and the server's connections has run
            # the statement more than five times (so it is prepared) before anything is timed.
            for warm_up in (floor, cold):
                run(tiles * 2, warm_up, max(args.concurrency))
            for concurrency in args.concurrency:
                results = [
                    (name, run(tiles * args.repeat, work, concurrency)) for name, work in runners
                ]
                for name, validators in (
                    ("trygg cold, wrk", None),
                    ("trygg warm, wrk", [etags[t] for t in tiles]),
                ):
                    wrk = wrk_run(
                        TRYGG_PORT, paths, validators, headers, concurrency, args.wrk_seconds
                    )
                    if wrk:
                        results.append((name, wrk))
                if args.paired_rounds and shutil.which("wrk"):
                    ratios = paired_ratios(
                        tiles, floor, paths, headers, concurrency, args.paired_rounds, 1
                    )
                    paired[(label, concurrency)] = ratios
                    print(
                        f"{label:24} cold ÷ floor, paired c={concurrency}: "
                        + " ".join(f"{r:.2f}" for r in ratios),
                        flush=True,
                    )
                for name, result in results:
                    if name == "trygg cold, wrk":
                        floor_r = dict(results)["floor (SQL)"]
                        result["floor_mix"] = mix_mean(floor_r["by_job"], tiles, result["n"])
                    rows.append((label, name, concurrency, result))
                    print(
                        f"{label:24} {name:18} c={concurrency}  {result['n']:3} tiles  "
                        f"{result['tiles_per_s']:8.1f} tiles/s  p50 {result['p50']:8.1f} ms  "
                        f"p95 {result['p95']:8.1f} ms  mean {result['mean']:8.1f} ms",
                        flush=True,
                    )
    finally:
        stop(servers)

    print("\nRatios (same run):")
    by = {(label, name, c): r for label, name, c, r in rows}
    for label, name, c, result in rows:
        if name != "trygg cold":
            continue
        floor_r = by[(label, "floor (SQL)", c)]
        line = f"{label:24} c={c}: cold mean / floor mean = {result['mean'] / floor_r['mean']:.2f}"
        if (label, "trygg cold, wrk", c) in by:
            # Time per tile from wrk's throughput (c connections always busy): its latency
            # mean runs high against its own request count (blocks at c=1: 27.7 ms against
            # 6 s / 435 requests = 13.8 ms). Compared with the floor of the same tile mix.
            cold_wrk = by[(label, "trygg cold, wrk", c)]
            per_tile_ms = c / cold_wrk["tiles_per_s"] * 1000
            line += (
                f" ({per_tile_ms / cold_wrk['floor_mix']:.2f} with wrk: {per_tile_ms:.1f} ms a"
                f" tile against {cold_wrk['floor_mix']:.1f} ms)"
            )
        if paired.get((label, c)):
            ratios = paired[(label, c)]
            line += (
                f"; paired rounds {statistics.median(ratios):.2f}"
                f" ({min(ratios):.2f}–{max(ratios):.2f})"
            )
        if (label, "tipg", c) in by:
            tipg = by[(label, "tipg", c)]["tiles_per_s"]
            line += f"; cold tiles/s / tipg tiles/s = {result['tiles_per_s'] / tipg:.2f}"
        line += f"; warm {by[(label, 'trygg warm (304)', c)]['tiles_per_s']:.0f} tiles/s"
        if (label, "trygg warm, wrk", c) in by:
            line += f" ({by[(label, 'trygg warm, wrk', c)]['tiles_per_s']:.0f} with wrk)"
        print(line)


if __name__ == "__main__":
    main()
