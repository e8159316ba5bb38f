"""OGC items pages, shallow and deep: `python bench/ogc/run.py [--repeat 5] [--limits 1000 10]`.

Needs the demo at `load_demo --scale 10` (about 300,000 crime points in `demo-crime`). Times, as
demo-analyst and in-process (Django's test client, the whole middleware stack, no HTTP), the
first page, a page in the middle and the last page of the collection at each limit, reached as
a client walking the layer reaches them: by the `next` link of the page before (found once,
untimed, by `offset`). So the same script times whatever `next` carries: an offset before the
keyset cursor, the cursor after. `--offset` also times the same pages asked for by `offset`;
`--walk N` times a whole walk of the layer by `next` links at limit N, as QGIS or GDAL reads it
(the answers' time summed, without parsing them).

Reads of exact crime points leave an audit entry: each request runs in a transaction that is
rolled back, so the bench changes nothing. Prints the median of `--repeat` after a warm-up.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402

ITEMS = "/ogc/collections/demo-crime/items"


def get(client: Client, url: str) -> tuple[float, dict]:
    with transaction.atomic():
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
        transaction.set_rollback(True)
    assert response.status_code == 200, response.content[:300]
    return elapsed, response.json()


def next_of(body: dict) -> str:
    href = next(link["href"] for link in body["links"] if link["rel"] == "next")
    parts = urlsplit(href)
    return f"{parts.path}?{parts.query}"


def median_ms(client: Client, url: str, repeat: int) -> tuple[float, dict]:
    get(client, url)  # warm-up
    times, body = [], None
    for _ in range(repeat):
        elapsed, body = get(client, url)
        times.append(elapsed)
    return statistics.median(times) * 1000, body


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limits", type=int, nargs="+", default=[1000, 10])
    parser.add_argument("--offset", action="store_true", help="also time the pages by offset")
    parser.add_argument("--walk", type=int, metavar="LIMIT", help="time a walk of every page")
    args = parser.parse_args()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="demo-analyst"))
    matched = get(client, f"{ITEMS}?limit=1")[1]["numberMatched"]
    print(f"{ITEMS}: {matched} features")
    print(f"{'limit':>6} {'page':7} {'starts at':>10} {'median':>9} {'returned':>9}  next carries")
    for limit in args.limits:
        last = (matched - 1) // limit * limit
        middle = matched // 2 // limit * limit
        for name, at in (("first", 0), ("middle", middle), ("last", last)):
            url = f"{ITEMS}?limit={limit}"
            if at:  # the `next` link of the page before, as a client walking the layer has it
                url = next_of(get(client, f"{ITEMS}?limit={limit}&offset={at - limit}")[1])
            ms, body = median_ms(client, url, args.repeat)
            carries = urlsplit(url).query.replace(f"limit={limit}", "").strip("&")
            print(
                f"{limit:6} {name:7} {at:10} {ms:7.1f} ms {body['numberReturned']:9}  "
                f"{carries[:40] or '-'}"
            )
            if args.offset and at:
                ms, body = median_ms(client, f"{ITEMS}?limit={limit}&offset={at}", args.repeat)
                print(
                    f"{limit:6} {name:7} {at:10} {ms:7.1f} ms {body['numberReturned']:9}  "
                    "(asked by offset)"
                )
    if args.walk:
        walk(client, args.walk, matched)


def walk(client: Client, limit: int, matched: int) -> None:
    """Every page by `next`, once; bounded by the number of pages the count gives."""
    url, pages, features, seconds = f"{ITEMS}?limit={limit}", 0, 0, 0.0
    while url:
        assert pages <= matched // limit, "more pages than features"
        elapsed, body = get(client, url)
        pages, features, seconds = pages + 1, features + body["numberReturned"], seconds + elapsed
        url = next_of(body) if any(link["rel"] == "next" for link in body["links"]) else None
    print(f"walk at limit {limit}: {pages} pages, {features} features in {seconds:.1f} s")


if __name__ == "__main__":
    main()
