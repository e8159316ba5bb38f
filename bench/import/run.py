"""Benchmark: importing a generated 1,000,000-row police-uk CSV versus a raw COPY of the same
file into a bare table, measured in the same run on the same database.

    .venv/bin/python bench/import/run.py [--rows N] [--seed S] [--more N] [--repeat 3]
                                         [--snap-points 20000] [--no-indexed-copy]

The area has 400 blocks (a grid with 60 m streets between them, so some incidents snap to a
block and some stay unassigned), so the import places every row as it would in real use. After
the first load (the area's partition is empty: built afresh and attached) a second file of
`--more` rows (default 50,000) is imported into the now populated area (INSERT … ON CONFLICT),
each with its own raw COPY baseline.

Locations: police-uk publishes every incident at one of a fixed national set of anonymised snap
points, so a force's history repeats its locations (the real Cumbria month in fixtures/ has
3,669 incidents on 1,883 points). The file spreads its rows over `--snap-points` random points
(default 20,000, our assumption for a force's few years); `--snap-points 0` gives every row a
point of its own, the importer's worst case.

Each of `--repeat` rounds times a raw COPY and a first load back to back into a fresh area; the
round with the median ratio is reported. Prints rows per second, the ratios (target ≤ 3× for
the first load) and the importing process's peak memory (target < 500 MB). Uses the database
of DATABASE_URL; cleans up after itself.
"""

import argparse
import csv
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.gis.geos import MultiPolygon, Polygon  # noqa: E402
from django.db import connection  # noqa: E402

from geo.models import Area, Block  # noqa: E402
from layers.categories import POLICE_UK_TYPES  # noqa: E402
from layers.models import source_key_of  # noqa: E402
from layers.partitions import partition_name  # noqa: E402
from layers.services import import_job_create, import_job_run, import_options_parse  # noqa: E402

HEADER = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]  # fmt: skip
# Roughly the published mix: violence, ASB and public order dominate.
TYPES = list(POLICE_UK_TYPES)
WEIGHTS = [16, 1, 4, 10, 2, 7, 1, 10, 0.3, 4, 0.5, 2, 40, 1]
WEST, SOUTH, EAST, NORTH = -3.10, 54.80, -2.80, 54.95  # Carlisle and around
SLUG = "bench-import"
GRID = 20  # blocks per side
STREET_DEG = (0.00094, 0.00054)  # about 60 m at 54.9° N, in longitude and latitude


def generate(path: Path, rows: int, seed: int, snap_points: int) -> None:
    """Rows on `snap_points` random map points, as police-uk publishes them (every location is
    one of a fixed set of anonymised snap points), or each at a point of its own with 0."""
    rng = random.Random(seed)
    points = [
        (f"{rng.uniform(WEST, EAST):.6f}", f"{rng.uniform(SOUTH, NORTH):.6f}")
        for _ in range(snap_points)
    ]
    streets = [f"On or near {name} Street" for name in ("Castle", "English", "Botchergate",
               "Warwick", "Lowther", "Scotch", "Abbey", "Fisher", "Market", "Church")]  # fmt: skip
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for _ in range(rows):
            kind = rng.choices(TYPES, WEIGHTS)[0]
            crime_id = "" if kind == "Anti-social behaviour" else f"{rng.getrandbits(256):064x}"
            lsoa = rng.randrange(19000, 19400)
            writer.writerow([
                crime_id, f"2021-{rng.randrange(1, 13):02d}", "Cumbria Constabulary",
                "Cumbria Constabulary", *(rng.choice(points) if points else (
                    f"{rng.uniform(WEST, EAST):.6f}", f"{rng.uniform(SOUTH, NORTH):.6f}"
                )), rng.choice(streets), f"E0{lsoa}",
                f"Carlisle {lsoa % 100:03d}A", kind, "Investigation complete", "",
            ])  # fmt: skip


def raw_copy_seconds(path: Path) -> float:
    columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_copy")
        cursor.execute(f"CREATE TABLE bench_raw_copy ({columns})")
        start = time.perf_counter()
        with cursor.cursor.copy("COPY bench_raw_copy FROM STDIN (FORMAT csv, HEADER true)") as copy:
            with path.open("rb") as source:
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
        elapsed = time.perf_counter() - start
        cursor.execute("SELECT count(*) FROM bench_raw_copy")
        copied = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_raw_copy")
    assert copied > 0
    return elapsed


def indexed_copy_seconds(path: Path, area_id: int) -> float:
    """The floor for any importer into this schema: COPY the same rows, already converted to
    the crime table's columns (conversion not timed), into a table with the crime table's
    indexes and foreign key. Shows how much of the import is the importer's own work."""
    shaped = path.with_suffix(".shaped.tsv")
    with path.open(newline="") as source, shaped.open("w") as out:
        reader = csv.reader(source)
        next(reader)
        for n, row in enumerate(reader):
            key = source_key_of(row[0] or f"asb{n}")
            out.write(
                f"{area_id}\tSRID=4326;POINT({row[4]} {row[5]})\t{row[1]}-01\tother_crime\t"
                f"{row[9]}\tbench\t{row[0]}\t{key}\tsnapped\t{row[7]}\n"
            )
    columns = (
        "area_id, geom, month, category, original_category, source_dataset, source_id, "
        "source_key, precision, reported_block_code"
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_indexed_copy")
        cursor.execute("CREATE TABLE bench_indexed_copy (LIKE layers_crimeincident INCLUDING ALL)")
        cursor.execute(
            "ALTER TABLE bench_indexed_copy ADD FOREIGN KEY (area_id) REFERENCES geo_area (id) "
            "DEFERRABLE INITIALLY DEFERRED"
        )
        for (index,) in fetch_index_definitions(cursor):
            cursor.execute(index)
        start = time.perf_counter()
        with cursor.cursor.copy(f"COPY bench_indexed_copy ({columns}) FROM STDIN") as copy:
            with shaped.open("rb") as source:
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred FK checks, as at commit
        elapsed = time.perf_counter() - start
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("DROP TABLE bench_indexed_copy")
    shaped.unlink()
    return elapsed


def fetch_index_definitions(cursor) -> list[tuple[str]]:
    """The crime table's indexes (INCLUDING ALL copies them, except the GiST in some versions)."""
    cursor.execute(
        "SELECT 1 FROM pg_indexes"
        " WHERE tablename = 'bench_indexed_copy' AND indexdef LIKE '%%gist%%'"
    )
    if cursor.fetchone():
        return []
    return [("CREATE INDEX ON bench_indexed_copy USING gist (geom)",)]


def cleanup() -> None:
    area = Area.objects.filter(slug=SLUG).first()
    if area is not None:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {partition_name(area.pk)}")
        area.delete()


def make_blocks(area: Area) -> None:
    width, height = (EAST - WEST) / GRID, (NORTH - SOUTH) / GRID
    half_lon, half_lat = STREET_DEG[0] / 2, STREET_DEG[1] / 2
    Block.objects.bulk_create(
        Block(
            area=area,
            code=f"B{i:02d}{j:02d}",
            geom=MultiPolygon(
                Polygon.from_bbox(
                    (
                        WEST + i * width + half_lon,
                        SOUTH + j * height + half_lat,
                        WEST + (i + 1) * width - half_lon,
                        SOUTH + (j + 1) * height - half_lat,
                    )
                ),
                srid=4326,
            ),
        )  # fmt: skip
        for i in range(GRID)
        for j in range(GRID)
    )


def timed_import(area: Area, path: Path):
    options = import_options_parse(kind="crime", fmt="police-uk", raw={})
    job = import_job_create(
        area=area, kind="crime", fmt="police-uk", file_name=path.name, options=options
    )
    started = time.perf_counter()
    job = import_job_run(job=job, path=str(path))
    elapsed = time.perf_counter() - started
    assert job.status == "done", job.error
    print(job.counts_line(), job.notes.get("load"), job.notes.get("seconds"))
    return elapsed


def csv_file(out_dir: Path, rows: int, seed: int, snap_points: int) -> Path:
    where = f"-snap{snap_points}" if snap_points else "-uniform"
    path = out_dir / f"police-uk-{rows}-seed{seed}{where}.csv"
    if not path.exists():
        started = time.perf_counter()
        generate(path, rows, seed, snap_points)
        print(f"generated {path.name}: {path.stat().st_size / 1e6:.0f} MB "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    return path


def new_area() -> Area:
    cleanup()
    area = Area.objects.create(
        slug=SLUG,
        name="Benchmark",
        boundary=MultiPolygon(Polygon.from_bbox((WEST, SOUTH, EAST, NORTH)), srid=4326),
    )
    make_blocks(area)
    return area


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--more", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of raw COPY + first load")
    parser.add_argument(
        "--snap-points", type=int, default=20_000, help="distinct locations; 0: every row its own"
    )
    parser.add_argument("--no-indexed-copy", action="store_true")
    args = parser.parse_args()
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = csv_file(out_dir, args.rows, args.seed, args.snap_points)
    more = csv_file(out_dir, args.more, args.seed + 1, args.snap_points)
    n, m = args.rows, args.more
    try:
        # Each round times the baseline and the import back to back, into a fresh area, so a
        # checkpoint or a neighbour's burst on this shared machine weighs on both alike.
        rounds = []
        for _ in range(args.repeat):
            area = new_area()
            copy_s = raw_copy_seconds(path)
            import_s = timed_import(area, path)
            rounds.append((import_s / copy_s, copy_s, import_s))
            print(f"round: raw COPY {copy_s:.2f} s, first load {import_s:.2f} s,"
                  f" ratio {import_s / copy_s:.2f}x")  # fmt: skip
        indexed_s = None if args.no_indexed_copy else indexed_copy_seconds(path, area.pk)
        more_copy_s = raw_copy_seconds(more)
        more_s = timed_import(area, more)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ratio, copy_s, import_s = sorted(rounds)[len(rounds) // 2]
        print(f"median of {len(rounds)} rounds:")
        print(f"raw COPY into a bare table:  {copy_s:7.2f} s  {n / copy_s:10,.0f} rows/s")
        if indexed_s is not None:
            print(f"COPY into the indexed table: {indexed_s:7.2f} s  {n / indexed_s:10,.0f} rows/s")
        print(f"import, first load:          {import_s:7.2f} s  {n / import_s:10,.0f} rows/s")
        print(f"ratio first load / raw COPY: {ratio:7.2f}x (target <= 3x)")
        if indexed_s is not None:
            print(f"ratio first load / indexed:  {import_s / indexed_s:7.2f}x")
        print(f"raw COPY of {m:,} more rows: {more_copy_s:7.2f} s  {m / more_copy_s:10,.0f} rows/s")
        print(f"import into the loaded area: {more_s:7.2f} s  {m / more_s:10,.0f} rows/s")
        print(f"ratio incremental / raw COPY:{more_s / more_copy_s:7.2f}x")
        print(f"peak memory of the process:  {peak_mb:7.0f} MB (target < 500 MB)")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
