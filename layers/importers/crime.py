"""Crime incidents from police-uk and Chicago CSVs, a mapped generic CSV, or a GDAL point layer.

Each row becomes one staging tuple (see crimeload.BATCH_SCHEMA) or one rejection with its
reason; crimeload writes them.
"""

import contextlib
import csv
import functools
import hashlib
import itertools
import math
import time
import zoneinfo
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely
from django.conf import settings
from django.contrib.gis.gdal import SpatialReference
from django.utils import timezone

from geo.crs import looks_swapped
from layers.categories import POLICE_UK_TYPES, CrimeCategory
from layers.importers import crimeload, geofiles, sql, textfiles
from layers.importers.base import (
    FORMATS,
    ImportRefused,
    ProgressCallback,
    Report,
    RowRejected,
    StrictRefused,
)
from layers.importers.categories_map import chicago_category, generic_category
from layers.importers.crimeload import BATCH_SCHEMA, rows_to_batch

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


def coordinate(text: str) -> float:
    """A coordinate as written: with a decimal point, or the decimal comma of a spreadsheet
    saved in a Nordic or German locale ("55,6012", "377736,21"), which has no other comma."""
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")
    return float(text)


@functools.cache
def srid_in_degrees(srid: int) -> bool:
    """Whether a CRS's coordinates are longitude and latitude. From GDAL's EPSG tables, not
    PostGIS's: rows are checked while they are being copied into the database."""
    return SpatialReference(srid).geographic


def check_lonlat(x_text: str, y_text: str, extent, srid: int = 4326) -> tuple[float, float]:
    if not x_text.strip() or not y_text.strip():
        raise RowRejected("no location: the coordinate columns are empty")
    try:
        x, y = coordinate(x_text), coordinate(y_text)
    except ValueError:
        raise RowRejected("coordinates {x!r}, {y!r} are not numbers", x=x_text, y=y_text) from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise RowRejected("coordinates are not finite numbers")
    if x == 0 and y == 0:
        raise RowRejected("coordinates are 0,0, a placeholder for a missing location")
    if not srid_in_degrees(srid):
        if abs(x) <= 180 and abs(y) <= 90:
            # Metres this close to a projected CRS's origin are longitudes and latitudes
            # imported with the wrong srid (they would land far outside the area).
            raise RowRejected(
                "coordinates {x}, {y} look like longitude and latitude (degrees), not"
                f" EPSG:{srid}, whose units are not degrees: leave srid out for WGS 84",
                x=x,
                y=y,
            )
        return x, y
    if abs(y) > 90 or abs(x) > 180:
        if abs(x) <= 90 and abs(y) <= 180:
            raise RowRejected(
                "latitude and longitude look swapped: latitude {y} is beyond ±90 "
                "but would be a valid longitude",
                y=y,
            )
        if min(abs(x), abs(y)) > 1000:
            raise RowRejected(
                "coordinates {x}, {y} look projected (metres), not longitude and latitude:"
                " name their EPSG code with srid (e.g. 3006 for SWEREF 99 TM)",
                x=x,
                y=y,
            )
        raise RowRejected(
            "coordinates {x}, {y} are outside longitude ±180 / latitude ±90", x=x, y=y
        )
    if extent and looks_swapped(x, y, extent):
        raise RowRejected(
            "latitude and longitude look swapped: ({y}, {x}) lies in the area, ({x}, {y}) does not",
            x=x,
            y=y,
        )
    return x, y


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


# A recorded incident cannot lie ahead; a day's slack for clocks and time zones.
FUTURE_SLACK = timedelta(days=1)


def parse_month(text: str) -> date:
    text = text.strip()
    try:
        if len(text) != 7 or text[4] != "-":
            raise ValueError
        month = date(int(text[:4]), int(text[5:]), 1)
    except ValueError:
        raise RowRejected("Month {text!r} is not a month written YYYY-MM", text=text) from None
    if month > timezone.localdate():
        raise RowRejected("Month {text!r} is in the future", text=text)  # a mistyped year
    return month


def parse_datetime(text: str, tz) -> tuple[datetime | None, date]:
    """ISO 8601 date or date-time (naive ones are in `tz`), or YYYY-MM for a month only."""
    text = text.strip()
    if len(text) == 7 and text[4:5] == "-":
        return None, parse_month(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RowRejected(
            "date {text!r} is not ISO 8601 (YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss][±hh:mm]) or YYYY-MM",
            text=text,
        ) from None
    if not 1900 <= moment.year <= 2100:
        raise RowRejected("date {text!r} is outside the years 1900–2100", text=text)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=tz)
    else:  # the month is the area's: 23:30Z on New Year's Eve is January in Malmö
        moment = moment.astimezone(tz)
    if moment > timezone.now() + FUTURE_SLACK:
        raise RowRejected("date {text!r} is in the future", text=text)  # a mistyped year
    return moment, date(moment.year, moment.month, 1)


def too_few_fields(row: list[str]) -> RowRejected:
    return RowRejected("the row has {n} fields, fewer than the header", n=len(row))


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


class PoliceUk:
    """The police-uk preset, row by row: the reference for the vectorised batches below, and
    the path every row the batch checks are not sure of takes."""

    def __init__(self, index: dict[str, int], extent, report: Report):
        self.i_id, self.i_month, self.i_lon, self.i_lat = (
            index[c] for c in ("Crime ID", "Month", "Longitude", "Latitude")
        )
        self.i_lsoa, self.i_type = index["LSOA code"], index["Crime type"]
        self.width = max(index.values()) + 1
        self.extent, self.report = extent, report
        self.keys = ContentKeys("police-uk")
        self.types = {name: category.value for name, category in POLICE_UK_TYPES.items()}
        self.months: dict[str, date] = {}  # a file holds a few months: parse each once

    def unknown(self, crime_type: str, count: int = 1) -> None:
        unknown = self.report.notes.setdefault("unknown_categories", {})
        unknown[crime_type] = unknown.get(crime_type, 0) + count

    def row(self, row: list[str], line: int) -> tuple | None:
        """The staging tuple of one row, or None after recording why it was rejected."""
        if len(row) < self.width:
            self.report.reject(line, too_few_fields(row))
            return None
        try:
            lon, lat = check_lonlat(row[self.i_lon], row[self.i_lat], self.extent)
            month = self.months.get(row[self.i_month])
            if month is None:
                month = self.months[row[self.i_month]] = parse_month(row[self.i_month])
            crime_type = row[self.i_type].strip()
            if not crime_type:
                raise RowRejected("Crime type is empty")
            category = self.types.get(crime_type)
            if category is None:
                category = CrimeCategory.OTHER_CRIME.value
                self.unknown(crime_type)
            crime_id = row[self.i_id].strip()
            key = f"police-uk:{crime_id}" if crime_id else self.keys.key(row)
        except RowRejected as why:
            self.report.reject(line, why)
            return None
        return (
            line, key, crime_id, lon, lat, 4326, None, month, category, crime_type,
            row[self.i_lsoa].strip(),
        )  # fmt: skip

    def batch(self, columns: list[pa.Array], lines: np.ndarray) -> pa.Table:
        """The accepted rows of a batch of binary columns (one per header column): checked
        column-wise where every row is plain UTF-8, the doubtful rows one by one by row()."""
        try:
            text = [column.cast(pa.string()) for column in columns]
        except pa.ArrowInvalid:  # some line is not UTF-8: decode line by line, as DecodedLines
            return self._rows(columns, lines, np.arange(len(lines)))
        trim = pc.utf8_trim_whitespace
        lon, lat = trim(text[self.i_lon]), trim(text[self.i_lat])
        plain = pc.and_(
            pc.match_substring_regex(lon, NUMBER), pc.match_substring_regex(lat, NUMBER)
        ).to_numpy(zero_copy_only=False)
        x = pc.cast(pc.if_else(plain, lon, "0"), pa.float64()).to_numpy()
        y = pc.cast(pc.if_else(plain, lat, "0"), pa.float64()).to_numpy()
        with np.errstate(invalid="ignore"):
            fine = plain & np.isfinite(x) & np.isfinite(y) & ((x != 0) | (y != 0))
            fine &= (np.abs(y) <= 90) & (np.abs(x) <= 180)
        if self.extent:
            fine &= ~looks_swapped_many(x, y, self.extent)
        month, month_fine = self._months(text[self.i_month])
        crime_type = trim(text[self.i_type])
        fine &= month_fine & (pc.utf8_length(crime_type).to_numpy() > 0)
        blank = np.ones(len(lines), dtype=bool)
        for column in columns:
            blank &= pc.binary_length(column).to_numpy() == 0
        fine &= ~blank  # an empty line: row() rejects it with the reason a CSV reader gives
        at = np.flatnonzero(fine)
        crime_type = crime_type.take(at)
        category = self._categories(crime_type)
        crime_id = trim(text[self.i_id]).take(at)
        key = pc.binary_join_element_wise("police-uk:", crime_id, "")
        hashed = np.flatnonzero(pc.equal(crime_id, "").to_numpy(zero_copy_only=False))
        if len(hashed):
            rows = pc.binary_join_element_wise(
                *(column.take(at[hashed]) for column in text), "\x1f"
            ).to_pylist()
            key = pc.replace_with_mask(
                key,
                pa.array(np.isin(np.arange(len(at)), hashed)),
                pa.array([self.keys.key_of_joined(joined) for joined in rows], pa.string()),
            )
        accepted = pa.table(
            [
                pa.array(lines[at]), key, crime_id, pa.array(x[at]), pa.array(y[at]),
                pa.repeat(pa.scalar(4326, pa.int32()), len(at)),
                pa.nulls(len(at), BATCH_SCHEMA.field("occurred_at").type),
                month.take(at), category, crime_type,
                trim(text[self.i_lsoa]).take(at),
            ],
            schema=BATCH_SCHEMA,
        )  # fmt: skip
        doubtful = np.flatnonzero(~fine)
        if not len(doubtful):
            return accepted
        return pa.concat_tables([accepted, self._rows(columns, lines, doubtful)]).sort_by("row_no")

    def _rows(self, columns, lines, at: np.ndarray) -> pa.Table:
        rows = []
        raw = [column.take(at).to_pylist() for column in columns]
        for n, fields in enumerate(zip(*raw, strict=True)):
            fields = decode_line(fields, self.report)
            row = list(fields) if any(fields) else []
            staged = self.row(row, int(lines[at[n]]))
            if staged is not None:
                rows.append(staged)
        return rows_to_batch(rows) if rows else BATCH_SCHEMA.empty_table()

    def _months(self, months: pa.Array) -> tuple[pa.Array, np.ndarray]:
        values = pc.unique(months)
        parsed = []
        for value in values.to_pylist():
            try:
                parsed.append(self.months.get(value) or parse_month(value))
            except RowRejected:
                parsed.append(None)
        position = pc.index_in(months, value_set=values)
        month = pa.array(parsed, pa.date32()).take(position)
        return month, month.is_valid().to_numpy(zero_copy_only=False)

    def _categories(self, crime_types: pa.Array) -> pa.Array:
        counts = pc.value_counts(crime_types).to_pylist()
        for item in counts:
            if item["values"] not in self.types:
                self.unknown(item["values"], item["counts"])
        values = [item["values"] for item in counts]
        codes = [self.types.get(v, CrimeCategory.OTHER_CRIME.value) for v in values]
        position = pc.index_in(crime_types, value_set=pa.array(values, pa.string()))
        return pa.array(codes, pa.string()).take(position)


def decode_line(fields: tuple[bytes, ...], report: Report) -> list[str]:
    """A row's fields decoded as its whole line would be: UTF-8, else Latin-1."""
    try:
        return [field.decode("utf-8") for field in fields]
    except UnicodeDecodeError:
        report.notes["latin1_lines"] = report.notes.get("latin1_lines", 0) + 1
        return [field.decode("latin-1") for field in fields]


# A decimal number as float() reads it; anything else (whitespace inside, inf, nan, digit
# separators) takes the row-by-row path and gets float()'s exact verdict.
NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def looks_swapped_many(x: np.ndarray, y: np.ndarray, extent) -> np.ndarray:
    """geo.crs.looks_swapped for arrays."""
    xmin, ymin, xmax, ymax = extent
    inside = (xmin <= x) & (x <= xmax) & (ymin <= y) & (y <= ymax)
    swapped_inside = (xmin <= y) & (y <= xmax) & (ymin <= x) & (x <= ymax)
    return swapped_inside & ~inside


def police_uk_batches(binary, header_line, header, index, extent, report, delimiter, tick):
    """Batches of accepted police-uk rows, streamed from `binary` (positioned after the
    header) by pyarrow's CSV reader; rows whose field count differs from the header's come
    back through the row-by-row path with their own line number."""
    preset = PoliceUk(index, extent, report)
    odd: list[tuple[int, str]] = []

    def keep_odd(row):
        odd.append((row.number, row.text))
        return "skip"

    start = binary.tell()
    if not binary.read(1):
        return  # nothing after the header (pyarrow would call the file empty)
    binary.seek(start)
    names = [f"c{i}" for i in range(len(header))]

    def arrow_batches():
        yield from pacsv.open_csv(
            binary,
            read_options=pacsv.ReadOptions(
                column_names=names, use_threads=False, block_size=2 << 20
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                invalid_row_handler=keep_odd,
                ignore_empty_lines=False,
                newlines_in_values=True,
            ),  # fmt: skip
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.binary() for name in names}
            ),
        )

    number = 1  # pyarrow numbers the rows after the header from 1
    batches = arrow_batches()
    while True:
        try:
            record_batch = next(batches)
        except StopIteration:
            break
        except pa.ArrowInvalid:
            # pyarrow cannot hand back an odd row that is not UTF-8 (nor parse some broken
            # quoting): the rest of the file, from the first row not yet checked, is read
            # row by row.
            odd.clear()
            preset.report = report
            yield from _rest_row_by_row(binary, start, number - 1, preset, header_line, delimiter)
            return
        n = record_batch.num_rows
        skipped = np.array(sorted(k for k, _ in odd), dtype=np.int64)
        candidates = np.arange(number, number + n + len(skipped))
        numbers = candidates[~np.isin(candidates, skipped)][:n]
        number = int(numbers[-1]) + 1 if n else number
        report.read += n
        # The batch's rejections are collected apart and added in line order, since the odd
        # rows among them are checked after the rest.
        preset.report = Report(notes=report.notes, keep_reasons=None)
        batch = preset.batch(record_batch.columns, numbers + header_line)
        now = [(k, text) for k, text in odd if k < number]
        odd[:] = [(k, text) for k, text in odd if k >= number]
        if now:
            batch = pa.concat_tables([batch, _odd_rows(preset, now, header_line, delimiter)])
        _rejections_in_order(preset.report, report)
        tick()
        yield batch
    if odd:
        preset.report = Report(notes=report.notes, keep_reasons=None)
        batch = _odd_rows(preset, odd, header_line, delimiter)
        _rejections_in_order(preset.report, report)
        yield batch


def _rest_row_by_row(binary, start, skip, preset, header_line, delimiter) -> Iterator[pa.Table]:
    report = preset.report
    binary.seek(start)
    lines = textfiles.DecodedLines(binary)
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    for _ in itertools.islice(reader, skip):
        pass
    latin1_before = lines.latin1_lines
    rows = []
    for row in reader:
        report.read += 1
        staged = preset.row(row, header_line + reader.line_num)
        if staged is not None:
            rows.append(staged)
        if len(rows) == BATCH_ROWS:
            yield rows_to_batch(rows)
            rows = []
    if rows:
        yield rows_to_batch(rows)
    latin1 = lines.latin1_lines - latin1_before
    if latin1:
        report.notes["latin1_lines"] = report.notes.get("latin1_lines", 0) + latin1


def _rejections_in_order(batch_report: Report, report: Report) -> None:
    report.read += batch_report.read
    report.take_rejections(batch_report)


def _odd_rows(preset: PoliceUk, odd, header_line: int, delimiter: str) -> pa.Table:
    preset.report.read += len(odd)
    rows = []
    for k, text in odd:
        row = next(csv.reader([text], delimiter=delimiter, strict=False), [])
        staged = preset.row(row, header_line + k)
        if staged is not None:
            rows.append(staged)
    return rows_to_batch(rows) if rows else BATCH_SCHEMA.empty_table()


def chicago_rows(reader, index, extent, report: Report, tick) -> Iterator[tuple]:
    chicago = zoneinfo.ZoneInfo("America/Chicago")
    for row in _full_rows(reader, index, report, tick):
        try:
            source_id = row[index["ID"]].strip()
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
            primary, description = row[index["Primary Type"]], row[index["Description"]]
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


def _generic_values(values: dict, keys: ContentKeys, fields: list[str], tz, report: Report):
    """(occurred_at, month, category, original, source id, key, block) of a generic row."""
    occurred, month = parse_datetime(str(values["date"] or ""), tz)
    original = str(values["category"] or "").strip()
    if not original:
        raise RowRejected("the category is empty")
    category = generic_category(original)
    if category is None:
        category = CrimeCategory.OTHER_CRIME
        unknown = report.notes.setdefault("unknown_categories", {})
        unknown[original] = unknown.get(original, 0) + 1
    source_id = str(values.get("id") or "").strip()
    key = f"{keys.prefix}:{source_id}" if source_id else keys.key(fields)
    block = str(values.get("block") or "").strip()
    return occurred, month, category.value, original, source_id, key, block


def generic_csv_rows(reader, index, extent, report, tick, srid, tz, prefix) -> Iterator[tuple]:
    keys = ContentKeys(prefix)
    for row in _full_rows(reader, index, report, tick):
        try:
            values = {key: row[i] for key, i in index.items()}
            x, y = check_lonlat(values["lon"], values["lat"], extent, srid)
            occurred, month, category, original, source_id, key, block = _generic_values(
                values, keys, row, tz, report
            )
        except RowRejected as why:
            report.reject(reader.line_num, why)
            continue
        yield (
            reader.line_num,
            key,
            source_id,
            x,
            y,
            srid,
            occurred,
            month,
            category,
            original,
            block,
        )


def point_of(wkb) -> tuple[float, float]:
    if wkb is None:
        raise RowRejected("the feature has no geometry")
    geometry = shapely.from_wkb(wkb)
    if geometry.is_empty:
        raise RowRejected("the feature's geometry is empty")
    if geometry.geom_type == "MultiPoint" and len(geometry.geoms) == 1:
        geometry = geometry.geoms[0]
    if geometry.geom_type != "Point":
        raise RowRejected(f"the geometry is a {geometry.geom_type}, not a point")
    return geometry.x, geometry.y


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
            occurred, month, category, original, source_id, key, block = _generic_values(
                values, keys, fields, tz, report
            )
        except RowRejected as why:
            report.reject(number, why)
            continue
        yield (
            number,
            key,
            source_id,
            x,
            y,
            source.srid,
            occurred,
            month,
            category,
            original,
            block,
        )


def check_srid(srid: int) -> None:
    if not sql.srid_known(srid):
        raise ImportRefused(
            "srid", f"EPSG:{srid} is not a coordinate reference system PostGIS knows."
        )


def crime_check(*, path: str, fmt: str, options: dict) -> None:
    """Refuse a file that cannot be imported at all (size, format, header, CRS) up front."""
    if fmt not in FORMATS:
        raise ImportRefused("format", f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    textfiles.check_size(path)
    if fmt == "generic" and geofiles.is_vector_file(path):
        with geofiles.open_vector(path, options.get("srid"), options.get("layer")) as source:
            _check_vector_map(source, options)
            check_srid(source.srid)
        return
    with open(path, "rb") as binary:
        _lines, _reader, header = textfiles.open_csv(binary, options.get("delimiter", ","))
        header_index(header, fmt, options)
    if fmt == "generic":
        check_srid(options.get("srid") or 4326)


def _check_vector_map(source, options) -> dict:
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


BATCH_ROWS = 20_000


def batched(rows: Iterator[tuple], size: int = BATCH_ROWS) -> Iterator[pa.Table]:
    while chunk := list(itertools.islice(rows, size)):
        yield rows_to_batch(chunk)


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
            mapping = _check_vector_map(source, options)
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
        staged_at = time.perf_counter()
        report.imported, report.duplicates = writer.finish()
    report.outside = writer.outside
    report.notes["seconds"] = {
        "read_place_and_stage": round(staged_at - started, 2),
        "index_or_insert": round(time.perf_counter() - staged_at, 2),
    }
    report.notes["load"] = writer.how
