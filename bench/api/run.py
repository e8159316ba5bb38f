"""The API's large answers at `load_demo --scale 10`: `python bench/api/run.py [--repeat 5]`.

Times each GET in-process (Django's test client, the full middleware stack, no HTTP) as the
demo user who may read it, after one warm-up, and prints the median time, the size as sent and
the size gzipped (what a browser that accepts gzip receives). Reads of exact crime points leave
an audit entry: each request runs in a transaction that is rolled back, so the bench changes
nothing.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402

from layers.models import AnalysisRun, RunStatus  # noqa: E402


def cases(run_id: int) -> list[tuple[str, str]]:
    return [
        ("demo-analyst", "/api/areas/demo/crime/"),
        ("demo-analyst", "/api/areas/demo/crime/?from=2024-05&to=2024-05"),
        ("demo-planner", "/api/areas/demo/blocks/"),
        ("demo-planner", f"/api/analyses/{run_id}/blocks/"),
        ("demo-planner", "/api/areas/"),
        ("demo-planner", "/api/areas/demo/export/crime_blocks.geojson"),
        ("demo-planner", "/ogc/collections/demo-crime_blocks/items?limit=10"),
        ("demo-planner", "/walks/1/report/"),
        ("demo-planner", "/api/schema/"),
    ]


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def timed(client: Client, url: str, **headers) -> tuple[float, int]:
    with transaction.atomic():
        start = time.perf_counter()
        size = len(body(client.get(url, **headers)))
        elapsed = time.perf_counter() - start
        transaction.set_rollback(True)
    return elapsed, size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    run = AnalysisRun.objects.filter(area__slug="demo", status=RunStatus.DONE).latest("id")
    clients = {}
    print(f"{'user':14} {'GET':58} {'median':>9} {'sent':>10} {'gzipped':>10}")
    for username, url in cases(run.pk):
        if username not in clients:
            clients[username] = Client(HTTP_HOST="127.0.0.1")
            clients[username].force_login(get_user_model().objects.get(username=username))
        client = clients[username]
        timed(client, url)  # warm-up
        times = [timed(client, url)[0] for _ in range(args.repeat)]
        _, size = timed(client, url)
        _, packed = timed(client, url, HTTP_ACCEPT_ENCODING="gzip")
        print(
            f"{username:14} {url:58} {statistics.median(times) * 1000:7.0f} ms"
            f" {size / 1e6:7.2f} MB {packed / 1e6:7.2f} MB"
        )


if __name__ == "__main__":
    main()
