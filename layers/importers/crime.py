"""Crime incidents from police-uk and Chicago CSVs, a mapped generic CSV, or a GDAL point layer:
the check of a file before it is queued, and its import.

The formats' columns and row readers are in crimeformats.py (police-uk's column-wise reader in
policeuk.py), the checks rows share in checks.py. Each row becomes one staging tuple (see
crimeload.BATCH_SCHEMA) or one rejection with its reason; crimeload writes them.
"""

import contextlib
import time
import zoneinfo
from collections.abc import Iterator

import pyarrow as pa
from django.conf import settings

from layers.importers import crimeload, geofiles, textfiles
from layers.importers.base import FORMATS, ImportRefused, ProgressCallback, Report, StrictRefused
from layers.importers.checks import check_srid
from layers.importers.crimeformats import (
    PRECISION,
    check_vector_map,
    chicago_rows,
    generic_csv_rows,
    generic_prefix,
    generic_vector_rows,
    header_index,
)
from layers.importers.crimeload import batched
from layers.importers.policeuk import police_uk_batches
from layers.jobs import inputs_lock_write


def crime_check(*, path: str, fmt: str, options: dict) -> None:
    """Refuse a file that cannot be imported at all (size, format, header, CRS) up front."""
    if fmt not in FORMATS:
        raise ImportRefused("format", f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    textfiles.check_size(path)
    if fmt == "generic" and geofiles.is_vector_file(path):
        with geofiles.open_vector(path, options.get("srid"), options.get("layer")) as source:
            check_vector_map(source, options)
            check_srid(source.srid)
        return
    with open(path, "rb") as binary:
        _lines, _reader, header = textfiles.open_csv(binary, options.get("delimiter", ","))
        header_index(header, fmt, options)
    if fmt == "generic":
        check_srid(options.get("srid") or 4326)


def _csv_batches(binary, fmt, options, extent, report, tick, tz) -> Iterator[pa.Table]:
    delimiter = options.get("delimiter", ",")
    lines, reader, header = textfiles.open_csv(binary, delimiter)
    index = header_index(header, fmt, options)
    if fmt == "police-uk":
        # pyarrow reads the rest of the file from just after the header line(s).
        binary.seek(lines.bytes_read)
        preset_batches = police_uk_batches(
            binary, reader.line_num, header, index, extent, report, delimiter, tick
        )
        yield from preset_batches
        report.notes["encoding"] = lines.encoding_note(
            extra_latin1=report.notes.pop("latin1_lines", 0)
        )
        return
    if fmt == "chicago":
        rows = chicago_rows(reader, index, extent, report, tick)
    else:
        srid = options.get("srid") or 4326
        prefix = generic_prefix(options.get("dataset"))
        rows = generic_csv_rows(reader, index, extent, report, tick, srid, tz, prefix)
    yield from batched(rows)
    report.notes["encoding"] = lines.encoding_note()


def crime_import(
    *,
    area,
    path: str,
    fmt: str,
    options: dict,
    report: Report,
    progress: ProgressCallback,
    job_id: int | None = None,
) -> None:
    """Read, place and load one crime file into `area` inside the caller's transaction; the
    rows stored record `job_id`, the import job storing them."""
    started = time.perf_counter()
    crime_check(path=path, fmt=fmt, options=options)
    extent = area.boundary.extent if area.boundary else None
    tz = zoneinfo.ZoneInfo(options.get("timezone") or settings.TIME_ZONE)
    size = textfiles.check_size(path)
    precision = options.get("precision") or PRECISION.get(fmt, "exact")
    dataset = options.get("dataset") or fmt
    with contextlib.ExitStack() as stack:
        writer = stack.enter_context(
            crimeload.CrimeWriter(
                area=area,
                dataset=dataset,
                precision=precision,
                streaming=fmt == "police-uk",
                job_id=job_id,
            )
        )
        if fmt == "generic" and geofiles.is_vector_file(path):
            source = stack.enter_context(
                geofiles.open_vector(path, options.get("srid"), options.get("layer"))
            )
            mapping = check_vector_map(source, options)
            report.notes["crs"] = source.crs_note
            total = source.feature_count

            def tick():
                progress(report.read, total)

            prefix = generic_prefix(options.get("dataset"))
            rows = generic_vector_rows(source, mapping, extent, report, tick, tz, prefix)
            batches = batched(rows)
        else:
            binary = stack.enter_context(open(path, "rb"))
            total = size

            def tick():
                progress(binary.tell(), size)

            batches = _csv_batches(binary, fmt, options, extent, report, tick, tz)
        for batch in batches:
            writer.add(batch)
        progress(total, total)
        if options.get("strict") and report.rejected:
            raise StrictRefused()
        writer.copy_end()
        # The rows go in: held from here to the commit, so that no analysis stores results
        # checked against the data before them while they commit (layers/jobs.py). Before
        # finish(): a first load's swap locks the crime table the analysis's check reads.
        inputs_lock_write(area.pk)
        staged_at = time.perf_counter()
        report.imported, report.duplicates = writer.finish()
    report.outside = writer.outside
    report.notes["seconds"] = {
        "read_place_and_stage": round(staged_at - started, 2),
        "index_or_insert": round(time.perf_counter() - staged_at, 2),
    }
    report.notes["load"] = writer.how
