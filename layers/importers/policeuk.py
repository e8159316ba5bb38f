"""The police-uk fast path: a police-uk CSV read column-wise by pyarrow's CSV reader, its rows
checked a batch at a time with arrow compute and numpy.

The row-by-row checks of PoliceUk.row() are the reference: a batch accepts column-wise only
the rows it is sure of (plain UTF-8, plain decimal coordinates, a known month …) and sends
every other row through row(), so both paths accept, key and reject alike
(tests/layers/test_import_police_uk_columns.py). Rows pyarrow cannot split as the header does
come back through row() too, with their own line numbers.
"""

import csv
import itertools
from collections.abc import Iterator
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from layers.categories import POLICE_UK_TYPES, CrimeCategory
from layers.importers import textfiles
from layers.importers.base import Report, RowRejected
from layers.importers.checks import NUL, check_lonlat, parse_month, storable_text, too_few_fields
from layers.importers.crimeformats import ContentKeys
from layers.importers.crimeload import BATCH_ROWS, BATCH_SCHEMA, rows_to_batch

# The columns stored as text, as they are in the file.
STORED = ("Crime ID", "Crime type", "LSOA code")


class PoliceUk:
    """The police-uk preset, row by row: the reference for the column-wise batches below, and
    the path every row the batch checks are not sure of takes."""

    def __init__(self, index: dict[str, int], extent, report: Report):
        self.i_id, self.i_month, self.i_lon, self.i_lat = (
            index[c] for c in ("Crime ID", "Month", "Longitude", "Latitude")
        )
        self.i_lsoa, self.i_type = index["LSOA code"], index["Crime type"]
        self.stored = [(column, index[column]) for column in STORED]
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
            # Checked before an unknown type is counted: the counts are stored as text too.
            for column, i in self.stored:
                storable_text(column, row[i])
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
        for _column, i in self.stored:  # a NUL: row() gives the reason
            if may_hold_nul(columns[i]):
                fine &= ~pc.match_substring(text[i], NUL).to_numpy(zero_copy_only=False)
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


def may_hold_nul(values: pa.Array) -> bool:
    """Whether a binary column's bytes hold a NUL: one pass over its data, without the result
    per row that files nearly never need (a check per row added a tenth to reading a file)."""
    data = values.buffers()[2]
    return data is not None and not np.frombuffer(data, dtype=np.uint8).all()


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
