"""The crime formats: the columns of the police-uk and Chicago presets and a generic file's
column map, checked against a file's header, and the row-by-row readers of Chicago CSVs and of
generic files (a CSV, or a GDAL point layer). police-uk files are read by policeuk.py.

Each reader yields one staging tuple per accepted row, in crimeload.BATCH_SCHEMA's order, and
records every other row in the Report with its reason.
"""

import hashlib
import zoneinfo
from collections.abc import Iterator
from datetime import date, datetime

from layers.categories import CrimeCategory
from layers.importers import textfiles
from layers.importers.base import ImportRefused, Report, RowRejected
from layers.importers.categories_map import chicago_category, generic_category
from layers.importers.checks import (
    check_lonlat,
    parse_datetime,
    point_of,
    storable_text,
    too_few_fields,
)

PRESET_COLUMNS = {
    "police-uk": [
        "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
        "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
    ],
    "chicago": [
        "ID", "Case Number", "Date", "Block", "IUCR", "Primary Type", "Description",
        "Location Description", "Arrest", "Domestic", "Beat", "District", "Ward",
        "Community Area", "FBI Code", "X Coordinate", "Y Coordinate", "Year", "Updated On",
        "Latitude", "Longitude", "Location",
    ],
}  # fmt: skip
# Columns a row cannot be imported without; the rest of a preset's header is optional.
PRESET_REQUIRED = {
    "police-uk": ["Crime ID", "Month", "Longitude", "Latitude", "LSOA code", "Crime type"],
    "chicago": [
        "ID", "Date", "Primary Type", "Description", "X Coordinate", "Y Coordinate",
        "Latitude", "Longitude",
    ],
}  # fmt: skip
PRECISION = {"police-uk": "snapped", "chicago": "block"}
CHICAGO_SRID = 3435  # NAD83 / Illinois East (ftUS), the X/Y Coordinate columns
PROGRESS_EVERY = 20_000


def resemblance(header: list[str]) -> str:
    """Which preset the header looks most like, and what it lacks, for an error message."""
    present = set(header)
    scored = sorted(
        ((len(present & set(cols)) / len(cols), name) for name, cols in PRESET_COLUMNS.items()),
        reverse=True,
    )
    share, best = scored[0]
    if share == 0:
        return "It resembles no preset; use format generic with a column map."
    # Only the columns a row cannot do without: naming the optional ones sent users to add
    # columns the importer would never read.
    missing = [c for c in PRESET_REQUIRED[best] if c not in present]
    if not missing:
        return f"It has every column the {best} preset needs: use format {best}."
    return (
        f"It most resembles the {best} preset ({share:.0%} of its columns), which also "
        f"needs: {', '.join(missing)}."
    )


def header_index(header: list[str], fmt: str, options: dict) -> dict[str, int]:
    """Column positions the preset (or the column map) needs, or ImportRefused saying why not."""
    delimiter = options.get("delimiter", ",")
    position = {name: i for i, name in enumerate(header)}
    if fmt in PRESET_COLUMNS:
        needed = {c: c for c in PRESET_REQUIRED[fmt]}
        wanted = set(PRESET_COLUMNS[fmt])
    else:
        mapping = options.get("map") or {}
        lacking = [k for k in ("lon", "lat", "date", "category") if k not in mapping]
        if lacking:
            raise ImportRefused(
                "map",
                f"A generic CSV needs a column map with {', '.join(lacking)} "
                "(e.g. lon=X,lat=Y,date=Date,category=Type).",
            )
        needed = {key: column for key, column in mapping.items()}
        wanted = set(mapping.values())
    missing = [column for column in needed.values() if column not in position]
    if not missing:
        return {key: position[column] for key, column in needed.items()}
    found = textfiles.other_delimiter(header, delimiter, wanted)
    if found:
        raise textfiles.refuse_wrong_delimiter(found, delimiter)
    if fmt in PRESET_COLUMNS:
        raise ImportRefused(
            "format",
            f"The file is not a {fmt} file: missing columns {', '.join(missing)}. "
            + resemblance(header),
        )
    raise ImportRefused(
        "map",
        f"The mapped columns {', '.join(missing)} are not in the file; its columns are "
        f"{', '.join(header[:30])}.",
    )


def check_vector_map(source, options: dict) -> dict:
    """The column map of a GDAL point layer, or ImportRefused naming what it lacks."""
    mapping = options.get("map") or {}
    lacking = [k for k in ("date", "category") if k not in mapping]
    if lacking:
        raise ImportRefused(
            "map",
            f"A point layer needs a column map with {', '.join(lacking)} (date=…,category=…).",
        )
    missing = [c for k, c in mapping.items() if k not in ("lon", "lat") and c not in source.fields]
    if missing:
        raise ImportRefused(
            "map",
            f"The mapped fields {', '.join(missing)} are not in the layer; its fields are "
            f"{', '.join(source.fields)}.",
        )
    return mapping


class ContentKeys:
    """Deduplication keys for rows without a source id: a hash of the row, plus its ordinal
    among identical rows, since police-uk publishes separate anti-social behaviour incidents at
    the same snap point and month as identical lines. Re-importing gives the same keys."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.seen: dict[bytes, int] = {}

    def key(self, fields: list[str]) -> str:
        return self.key_of_joined("\x1f".join(fields))

    def key_of_joined(self, joined: str) -> str:
        digest = hashlib.sha256(joined.encode()).digest()
        n = self.seen.get(digest, 0) + 1
        self.seen[digest] = n
        return f"{self.prefix}:sha256:{digest.hex()}:{n}"


def _full_rows(reader, index, report: Report, tick) -> Iterator[list[str]]:
    """The CSV rows that have every needed column; shorter ones are rejected here."""
    width = max(index.values()) + 1
    for row in reader:
        report.read += 1
        if report.read % PROGRESS_EVERY == 0:
            tick()
        if len(row) < width:
            report.reject(reader.line_num, too_few_fields(row))
            continue
        yield row


def chicago_rows(reader, index, extent, report: Report, tick) -> Iterator[tuple]:
    chicago = zoneinfo.ZoneInfo("America/Chicago")
    for row in _full_rows(reader, index, report, tick):
        try:
            source_id = storable_text("ID", row[index["ID"]].strip())
            if not source_id:
                raise RowRejected("ID is empty")
            if row[index["Latitude"]].strip() and row[index["Longitude"]].strip():
                srid = 4326
                x, y = check_lonlat(row[index["Longitude"]], row[index["Latitude"]], extent)
            else:
                srid = CHICAGO_SRID
                x, y = check_lonlat(
                    row[index["X Coordinate"]], row[index["Y Coordinate"]], None, srid
                )
            raw_date = row[index["Date"]].strip()
            try:
                occurred = datetime.strptime(raw_date, "%m/%d/%Y %I:%M:%S %p").replace(
                    tzinfo=chicago
                )
            except ValueError:
                raise RowRejected(
                    "Date {text!r} is not MM/DD/YYYY hh:mm:ss AM/PM", text=raw_date
                ) from None
            primary = storable_text("Primary Type", row[index["Primary Type"]])
            description = storable_text("Description", row[index["Description"]])
            if not primary.strip():
                raise RowRejected("Primary Type is empty")
            category = chicago_category(primary, description)
        except RowRejected as why:
            report.reject(reader.line_num, why)
            continue
        yield (
            reader.line_num, f"chicago:{source_id}", source_id, x, y, srid, occurred,
            date(occurred.year, occurred.month, 1), category.value,
            f"{primary.strip()} / {description.strip()}", "",
        )  # fmt: skip


def generic_prefix(dataset: str | None) -> str:
    """The key prefix of a generic import. Generic sources number their incidents themselves
    (1, 2, 3 …), so two datasets' ids collide: a named dataset is part of the key, and only a
    file imported again under the same dataset is a duplicate. Without one it is `generic`."""
    return f"generic:{dataset}" if dataset else "generic"


def _generic_row(
    number: int,
    x: float,
    y: float,
    srid: int,
    values: dict,
    keys: ContentKeys,
    fields: list[str],
    tz,
    report: Report,
) -> tuple:
    """The staging tuple of a generic row (CSV or GDAL feature) whose point has been checked;
    `fields` are its values as text, for the content key of a row without an id."""
    occurred, month = parse_datetime(str(values["date"] or ""), tz)
    original = storable_text("the category", str(values["category"] or "").strip())
    if not original:
        raise RowRejected("the category is empty")
    source_id = storable_text("the id", str(values.get("id") or "").strip())
    block = storable_text("the block", str(values.get("block") or "").strip())
    category = generic_category(original)
    if category is None:  # counted for accepted rows only
        category = CrimeCategory.OTHER_CRIME
        unknown = report.notes.setdefault("unknown_categories", {})
        unknown[original] = unknown.get(original, 0) + 1
    key = f"{keys.prefix}:{source_id}" if source_id else keys.key(fields)
    return (
        number, key, source_id, x, y, srid, occurred, month, category.value, original, block,
    )  # fmt: skip


def generic_csv_rows(reader, index, extent, report, tick, srid, tz, prefix) -> Iterator[tuple]:
    keys = ContentKeys(prefix)
    for row in _full_rows(reader, index, report, tick):
        try:
            values = {key: row[i] for key, i in index.items()}
            x, y = check_lonlat(values["lon"], values["lat"], extent, srid)
            staged = _generic_row(reader.line_num, x, y, srid, values, keys, row, tz, report)
        except RowRejected as why:
            report.reject(reader.line_num, why)
            continue
        yield staged


def generic_vector_rows(source, mapping, extent, report, tick, tz, prefix) -> Iterator[tuple]:
    keys = ContentKeys(prefix)
    names = [k for k in ("date", "category", "id", "block") if k in mapping]
    columns = [mapping[k] for k in names]
    for number, wkb, field_values in source.features(columns):
        report.read += 1
        if report.read % PROGRESS_EVERY == 0:
            tick()
        values = dict(zip(names, field_values, strict=True))
        try:
            x, y = point_of(wkb)
            x, y = check_lonlat(repr(x), repr(y), extent, source.srid)
            fields = [str(v) for v in field_values] + [repr(x), repr(y)]
            staged = _generic_row(number, x, y, source.srid, values, keys, fields, tz, report)
        except RowRejected as why:
            report.reject(number, why)
            continue
        yield staged
