"""GeoJSON export throughput and memory: `python bench/export/run.py [--area demo] [--layer crime]`.

Streams the layer's GeoJSON export (what GET /api/areas/{slug}/export/{layer}.geojson sends) into
a null sink, timing it and sampling this process's resident memory as batches go by. With the
demo loaded at `load_demo --scale 10` the crime layer holds about 300,000 features.

Prints features per second, peak resident memory, and memory at each tenth of the export (flat
means those samples do not grow with the number of features written). `--formats` adds the
other formats for comparison.
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from geo.access import ALL_CAPABILITIES, Access  # noqa: E402
from geo.models import Area  # noqa: E402
from layers.exports.definitions import LAYERS  # noqa: E402
from layers.exports.filters import Filters  # noqa: E402
from layers.exports.services import export_open  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(area: Area, layer_name: str, fmt: str) -> dict:
    access = Access(area, None, frozenset(ALL_CAPABILITIES), is_superuser=True)
    samples, written, size = [], 0, 0

    def progress(n):
        nonlocal written
        written += n
        samples.append((written, rss_mb()))

    start = time.perf_counter()
    export = export_open(
        area=area,
        layer=LAYERS[layer_name],
        fmt=fmt,
        access=access,
        filters=Filters(),
        progress=progress,
    )
    for chunk in export.chunks:
        size += len(chunk)
    seconds = time.perf_counter() - start
    tenths = []
    if samples and fmt in ("geojson", "csv"):
        for i in range(1, 11):
            at = next(m for n, m in samples if n >= written * i / 10)
            tenths.append(round(at))
    return {
        "format": fmt,
        "features": written,
        "seconds": seconds,
        "per_second": written / seconds,
        "bytes": size,
        "rss_tenths": tenths,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--area", default="demo")
    parser.add_argument("--layer", default="crime")
    parser.add_argument("--formats", default="geojson", help="comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per format; the best counts")
    args = parser.parse_args()
    area = Area.objects.get(slug=args.area)
    start_mb = rss_mb()
    print(f"area {area.slug}, layer {args.layer}; resident memory before: {start_mb:.0f} MB")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for fmt in args.formats.split(","):
        # Timings on a shared machine are noisy; the fastest run is the least disturbed one.
        runs = [run(area, args.layer, fmt) for _ in range(args.repeat)]
        result = max(runs, key=lambda r: r["per_second"])
        print(
            f"{fmt:8} {result['features']:>9,} features in {result['seconds']:6.2f} s = "
            f"{result['per_second']:>9,.0f} features/s, {result['bytes'] / 2**20:7.1f} MB written"
        )
        if result["rss_tenths"]:
            print(f"         resident MB at each tenth: {result['rss_tenths']}")
    print(f"peak resident memory of the whole run: {peak_mb():.0f} MB")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
