"""Benchmark: importing a generated 1,000,000-row police-uk CSV versus a raw COPY of the same
file into a bare table, measured in the same run on the same database.

    .venv/bin/python bench/import/run.py [--rows N] [--seed S]

Prints rows per second for both, the ratio (target ≤ 3×) and the importing process's peak
memory (target < 500 MB). Uses the database of DATABASE_URL; cleans up after itself.
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

from geo.models import Area  # noqa: E402
from layers.categories import POLICE_UK_TYPES  # noqa: E402
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


def generate(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
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
                "Cumbria Constabulary", f"{rng.uniform(WEST, EAST):.6f}",
                f"{rng.uniform(SOUTH, NORTH):.6f}", rng.choice(streets), f"E0{lsoa}",
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
            key = row[0] or f"asb{n}"
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
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM layers_crimeincident WHERE area_id IN "
            "(SELECT id FROM geo_area WHERE slug = %s)",
            [SLUG],
        )
    Area.objects.filter(slug=SLUG).delete()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"police-uk-{args.rows}.csv"
    if not path.exists():
        started = time.perf_counter()
        generate(path, args.rows, args.seed)
        print(f"generated {path.name}: {path.stat().st_size / 1e6:.0f} MB "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    cleanup()
    area = Area.objects.create(
        slug=SLUG,
        name="Benchmark",
        boundary=MultiPolygon(Polygon.from_bbox((WEST, SOUTH, EAST, NORTH)), srid=4326),
    )
    try:
        copy_s = raw_copy_seconds(path)
        indexed_s = indexed_copy_seconds(path, area.pk)
        options = import_options_parse(kind="crime", fmt="police-uk", raw={})
        job = import_job_create(
            area=area, kind="crime", fmt="police-uk", file_name=path.name, options=options
        )
        started = time.perf_counter()
        job = import_job_run(job=job, path=str(path))
        import_s = time.perf_counter() - started
        assert job.status == "done", job.error
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(job.counts_line(), job.notes.get("seconds"))
        print(f"raw COPY into a bare table: {copy_s:7.2f} s  {args.rows / copy_s:10,.0f} rows/s")
        print(
            f"import (police-uk preset):  {import_s:7.2f} s  {args.rows / import_s:10,.0f} rows/s"
        )
        print(
            f"COPY into the indexed table:{indexed_s:7.2f} s  {args.rows / indexed_s:10,.0f} rows/s"
        )
        print(f"ratio import / raw COPY:    {import_s / copy_s:7.2f}x (target <= 3x)")
        print(f"ratio import / indexed COPY:{import_s / indexed_s:7.2f}x")
        print(f"peak memory of the process: {peak_mb:7.0f} MB (target < 500 MB)")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
