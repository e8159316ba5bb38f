"""An area after three years of safety walks, and the pages and lists of it, timed.

    python bench/scale/area_at_scale.py build [--seed 1]   # area `scale`, replacing an earlier one
    python bench/scale/area_at_scale.py measure [--repeat 5]

`build` writes area `scale` next to the demo: the demo neighbourhood's boundary and blocks, 300
members (2 coordinators, 6 planners, 2 analysts and 290 residents, caretakers and police, all
with the demo password), 600 walks (two a week for three years, about 8 participants each;
`scale-participant` is on one in three) and 20,000 findings along their routes. Deterministic
for a seed; COPY and bulk inserts, about half a minute.

`measure` GETs the walks and members APIs, the members page, the walk planner, My walks, the
map page and the start page as a coordinator, a planner and a participant, in-process (Django's
test client, the full middleware stack, no HTTP) after a warm-up, and prints the median time,
the size as sent and the number of SQL queries, as rows of docs/benchmarks.md.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.gis.geos import LineString  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from fixtures import demo as generator  # noqa: E402
from fixtures.loader import DEMO_PASSWORD, _copy, area_replace, blocks_store  # noqa: E402
from geo.models import Membership, Role  # noqa: E402
from walks.models import Light, ObservationKind, Walk, WalkStatus  # noqa: E402

SLUG = "scale"
WALKS = 600
FINDINGS = 20_000
# Roles of the 300 members; usernames scale-<role>[-n], with one keen resident besides.
STAFF = {Role.COORDINATOR: 2, Role.PLANNER: 6, Role.ANALYST: 2}
RESIDENTS = 290
PARTICIPANTS_PER_WALK = (4, 12)
# The last walk: three years of two a week end here (a Tuesday), the last few still planned.
LAST_WALK = datetime(2025, 12, 16, 19, 0, tzinfo=UTC)
PLANNED = 4


def usernames() -> list[tuple[str, str]]:
    names = [("scale-participant", Role.PARTICIPANT)]
    for role, count in STAFF.items():
        names += [(f"scale-{role}" + (f"-{n}" if n else ""), role) for n in range(count)]
    kinds = ["resident", "caretaker", "police"]
    names += [(f"scale-{kinds[n % 7 % 3]}-{n:03d}", Role.PARTICIPANT) for n in range(RESIDENTS - 1)]
    return names


@transaction.atomic
def build(seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = generator.generate(scale=1.0, seed=seed)
    get_user_model().objects.filter(username__startswith="scale-").delete()
    area = area_replace(data, slug=SLUG, name="Södra Kvarn after three years")
    blocks_store(area, data)
    users = _members(area)
    walks = _walks(area, data, rng)
    _participants(walks, users, rng)
    _findings(walks, users, rng)
    with connection.cursor() as cursor:
        for table in ("walks_walk", "walks_observation", "walks_walk_participants"):
            cursor.execute(f"ANALYZE {table}")  # noqa: S608 — fixed names
    print(
        f"area {SLUG}: {len(users)} members, {len(walks)} walks, {FINDINGS} findings;"
        f" password {DEMO_PASSWORD}"
    )


def _members(area) -> list:
    User = get_user_model()
    password = make_password(DEMO_PASSWORD)  # hashed once: 300 hashes would take a minute
    names = usernames()
    users = User.objects.bulk_create(User(username=name, password=password) for name, _ in names)
    Membership.objects.bulk_create(
        Membership(user=user, area=area, role=role)
        for user, (_, role) in zip(users, names, strict=True)
    )
    return users


def _walks(area, data, rng) -> list[Walk]:
    """Two a week (Tuesday evening, Saturday afternoon), on the demo's six routes shifted a
    little each time, named after the route and the week."""
    templates = data.walks
    walks = []
    for n in range(WALKS):
        week, evening = divmod(WALKS - 1 - n, 2)
        starts = LAST_WALK - timedelta(weeks=week) - (timedelta(days=3, hours=5) * (1 - evening))
        spec = templates[n % len(templates)]
        shift = rng.normal(0, 20, 2)
        route = [generator.local_to_wgs84(x + shift[0], y + shift[1]) for x, y in spec["route"]]
        year, number, _ = starts.isocalendar()
        walks.append(
            Walk(
                area=area,
                name=f"{spec['name']}, week {number} {year}",
                route=LineString(route, srid=4326),
                starts_at=starts,
                ends_at=starts + timedelta(minutes=100),
                light=Light.NIGHT if spec["light"] == "night" else Light.DAY,
                status=WalkStatus.PLANNED if n >= WALKS - PLANNED else WalkStatus.DONE,
            )
        )
    return Walk.objects.bulk_create(walks)


def _participants(walks, users, rng) -> None:
    """About eight residents a walk; the keen one (users[0]) on every third."""
    residents = users[1:]
    through = Walk.participants.through
    rows = []
    for n, walk in enumerate(walks):
        count = rng.integers(*PARTICIPANTS_PER_WALK)
        chosen = rng.choice(len(residents), size=count, replace=False)
        people = [residents[i] for i in chosen] + ([users[0]] if n % 3 == 0 else [])
        rows += [through(walk_id=walk.pk, user_id=user.pk) for user in people]
    through.objects.bulk_create(rows)


def _findings(walks, users, rng) -> None:
    """FINDINGS points along the walks' routes, a few metres off them."""
    kinds = list(
        ObservationKind.objects.filter(area__isnull=True, geometry_types__contains=["Point"])
    )
    per_walk = np.bincount(rng.integers(0, len(walks), FINDINGS), minlength=len(walks))
    created = datetime.now(UTC)

    def rows():
        for walk, count in zip(walks, per_walk, strict=True):
            coords = np.array(walk.route.coords)
            for i in range(count):
                segment = rng.integers(0, len(coords) - 1)
                lon, lat = coords[segment] + (coords[segment + 1] - coords[segment]) * rng.uniform()
                lon, lat = lon + rng.normal(0, 0.0001), lat + rng.normal(0, 0.00006)
                kind = kinds[rng.integers(len(kinds))]
                yield (
                    walk.pk,
                    users[rng.integers(len(users))].pk,
                    kind.pk,
                    f"SRID=4326;POINT({lon:.7f} {lat:.7f})",
                    None if kind.positive else int(rng.integers(1, 6)),
                    int(rng.integers(1, 6)),
                    "",
                    walk.starts_at + timedelta(minutes=int(i * 90 / max(count, 1))),
                    float(np.round(rng.uniform(3, 15), 1)),
                    uuid.UUID(bytes=rng.bytes(16), version=4),
                    created,
                )

    _copy(
        "walks_observation",
        [
            "walk_id",
            "author_id",
            "kind_id",
            "geom",
            "severity",
            "feeling",
            "note",
            "captured_at",
            "accuracy_m",
            "client_id",
            "created_at",
        ],
        rows(),
    )


def cases() -> list[tuple[str, str]]:
    out = []
    for username in ("scale-coordinator", "scale-planner"):
        out += [
            (username, f"/api/areas/{SLUG}/walks/"),
            (username, f"/api/areas/{SLUG}/members/"),
            (username, f"/areas/{SLUG}/members/"),
            (username, f"/walks/plan/{SLUG}/"),
            (username, f"/map/{SLUG}/"),
            (username, "/"),
        ]
    return out + [
        ("scale-participant", "/walks/"),
        ("scale-participant", f"/api/areas/{SLUG}/walks/"),
        ("scale-participant", f"/map/{SLUG}/"),
        ("scale-participant", "/"),
    ]


def timed(client: Client, url: str) -> tuple[float, int, int]:
    """Seconds, bytes sent and SQL queries of one GET; the request changes nothing."""
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, (url, response.status_code)
        transaction.set_rollback(True)
    return elapsed, len(response.content), len(queries)


def measure(repeat: int, extra: list[str]) -> None:
    clients = {}
    print("| user | GET | median | size | queries |\n|---|---|---:|---:|---:|")
    for username, url in cases() + [("scale-planner", url) for url in extra]:
        if username not in clients:
            clients[username] = Client(HTTP_HOST="127.0.0.1")
            clients[username].force_login(get_user_model().objects.get(username=username))
        client = clients[username]
        timed(client, url)  # warm-up
        runs = [timed(client, url) for _ in range(repeat)]
        median = statistics.median(r[0] for r in runs)
        _, size, queries = runs[-1]
        print(
            f"| {username} | `{url}` | {median * 1000:.0f} ms | {size / 1e3:,.0f} kB | {queries} |"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["build", "measure"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--url", action="append", default=[], help="another GET, as the planner")
    args = parser.parse_args()
    if args.action == "build":
        build(args.seed)
    else:
        measure(args.repeat, args.url)


if __name__ == "__main__":
    main()
