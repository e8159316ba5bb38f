"""Crime incidents from police-uk and Chicago CSVs, a mapped generic CSV, or a GDAL point layer.

Each row becomes one staging tuple (see sql.CRIME_COLUMNS) or one rejection with its reason.
"""

import hashlib
import math
import time
import zoneinfo
from collections.abc import Iterator
from datetime import date, datetime

import shapely
from django.conf import settings
from django.utils import timezone

from geo.crs import looks_swapped
from layers.categories import POLICE_UK_TYPES, CrimeCategory
from layers.importers import geofiles, sql, textfiles
from layers.importers.base import ImportRefused, ProgressCallback, Report, StrictRefused
from layers.importers.categories_map import chicago_category, generic_category

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
FORMATS = ("police-uk", "chicago", "generic")
MAP_KEYS = ("lon", "lat", "date", "category", "id", "block")
CHICAGO_SRID = 3435  # NAD83 / Illinois East (ftUS), the X/Y Coordinate columns
PROGRESS_EVERY = 20_000


class RowRejected(Exception):
    pass


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
    missing = [c for c in PRESET_COLUMNS[best] if c not in present]
    if not missing:
        return f"It is a complete {best} file: use format {best}."
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


def check_lonlat(x_text: str, y_text: str, extent, srid: int = 4326) -> tuple[float, float]:
    if not x_text.strip() or not y_text.strip():
        raise RowRejected("no location: the coordinate columns are empty")
    try:
        x, y = float(x_text), float(y_text)
    except ValueError:
        raise RowRejected(f"coordinates {x_text!r}, {y_text!r} are not numbers") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise RowRejected("coordinates are not finite numbers")
    if x == 0 and y == 0:
        raise RowRejected("coordinates are 0,0, a placeholder for a missing location")
    if srid != 4326:
        return x, y
    if abs(y) > 90 or abs(x) > 180:
        if abs(x) <= 90 and abs(y) <= 180:
            raise RowRejected(
                f"latitude and longitude look swapped: latitude {y} is beyond ±90 "
                "but would be a valid longitude"
            )
        raise RowRejected(f"coordinates {x}, {y} are outside longitude ±180 / latitude ±90")
    if extent and looks_swapped(x, y, extent):
        raise RowRejected(
            f"latitude and longitude look swapped: ({y}, {x}) lies in the area, ({x}, {y}) does not"
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
        digest = hashlib.sha256("\x1f".join(fields).encode()).digest()
        n = self.seen.get(digest, 0) + 1
        self.seen[digest] = n
        return f"{self.prefix}:sha256:{digest.hex()}:{n}"


def parse_month(text: str) -> date:
    text = text.strip()
    try:
        if len(text) != 7 or text[4] != "-":
            raise ValueError
        return date(int(text[:4]), int(text[5:]), 1)
    except ValueError:
        raise RowRejected(f"Month {text!r} is not a month written YYYY-MM") from None


def parse_datetime(text: str, tz) -> tuple[datetime | None, date]:
    """ISO 8601 date or date-time (naive ones are in `tz`), or YYYY-MM for a month only."""
    text = text.strip()
    if len(text) == 7 and text[4:5] == "-":
        return None, parse_month(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RowRejected(
            f"date {text!r} is not ISO 8601 (YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss][±hh:mm]) or YYYY-MM"
        ) from None
    if not 1900 <= moment.year <= 2100:
        raise RowRejected(f"date {text!r} is outside the years 1900–2100")
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=tz)
    return moment, date(moment.year, moment.month, 1)


def _full_rows(reader, index, report: Report, tick) -> Iterator[list[str]]:
    """The CSV rows that have every needed column; shorter ones are rejected here."""
    width = max(index.values()) + 1
    for row in reader:
        report.read += 1
        if report.read % PROGRESS_EVERY == 0:
            tick()
        if len(row) < width:
            report.reject(reader.line_num, f"the row has {len(row)} fields, fewer than the header")
            continue
        yield row


def police_uk_rows(reader, index, extent, report: Report, tick) -> Iterator[tuple]:
    i_id, i_month, i_lon, i_lat = (index[c] for c in ("Crime ID", "Month", "Longitude", "Latitude"))
    i_lsoa, i_type = index["LSOA code"], index["Crime type"]
    keys = ContentKeys("police-uk")
    types = {name: category.value for name, category in POLICE_UK_TYPES.items()}
    months: dict[str, date] = {}  # a file holds a few months: parse each once
    for row in _full_rows(reader, index, report, tick):
        try:
            lon, lat = check_lonlat(row[i_lon], row[i_lat], extent)
            month = months.get(row[i_month])
            if month is None:
                month = months[row[i_month]] = parse_month(row[i_month])
            crime_type = row[i_type].strip()
            if not crime_type:
                raise RowRejected("Crime type is empty")
            category = types.get(crime_type)
            if category is None:
                category = CrimeCategory.OTHER_CRIME.value
                report.notes.setdefault("unknown_categories", {}).setdefault(crime_type, 0)
                report.notes["unknown_categories"][crime_type] += 1
            crime_id = row[i_id].strip()
            key = f"police-uk:{crime_id}" if crime_id else keys.key(row)
        except RowRejected as why:
            report.reject(reader.line_num, str(why))
            continue
        yield (
            reader.line_num, key, crime_id, lon, lat, 4326, None, month, category, crime_type,
            row[i_lsoa].strip(),
        )  # fmt: skip


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
                raise RowRejected(f"Date {raw_date!r} is not MM/DD/YYYY hh:mm:ss AM/PM") from None
            primary, description = row[index["Primary Type"]], row[index["Description"]]
            if not primary.strip():
                raise RowRejected("Primary Type is empty")
            category = chicago_category(primary, description)
        except RowRejected as why:
            report.reject(reader.line_num, str(why))
            continue
        yield (
            reader.line_num, f"chicago:{source_id}", source_id, x, y, srid, occurred,
            date(occurred.year, occurred.month, 1), category.value,
            f"{primary.strip()} / {description.strip()}", "",
        )  # fmt: skip


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
    key = f"generic:{source_id}" if source_id else keys.key(fields)
    block = str(values.get("block") or "").strip()
    return occurred, month, category.value, original, source_id, key, block


def generic_csv_rows(reader, index, extent, report, tick, srid, tz) -> Iterator[tuple]:
    keys = ContentKeys("generic")
    for row in _full_rows(reader, index, report, tick):
        try:
            values = {key: row[i] for key, i in index.items()}
            x, y = check_lonlat(values["lon"], values["lat"], extent, srid)
            occurred, month, category, original, source_id, key, block = _generic_values(
                values, keys, row, tz, report
            )
        except RowRejected as why:
            report.reject(reader.line_num, str(why))
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


def generic_vector_rows(source, mapping, extent, report, tick, tz) -> Iterator[tuple]:
    keys = ContentKeys("generic")
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
            report.reject(number, str(why))
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
        with geofiles.open_vector(path, options.get("srid")) as source:
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


def crime_import(
    *, area, path: str, fmt: str, options: dict, report: Report, progress: ProgressCallback
) -> None:
    """Stage and load one crime file into `area` inside the caller's transaction."""
    started = time.perf_counter()
    crime_check(path=path, fmt=fmt, options=options)
    extent = area.boundary.extent if area.boundary else None
    tz = zoneinfo.ZoneInfo(options.get("timezone") or settings.TIME_ZONE)
    size = textfiles.check_size(path)
    if fmt == "generic" and geofiles.is_vector_file(path):
        with geofiles.open_vector(path, options.get("srid")) as source:
            mapping = _check_vector_map(source, options)
            report.notes["crs"] = source.crs_note
            total = source.feature_count

            def tick():
                progress(report.read, total)

            rows = generic_vector_rows(source, mapping, extent, report, tick, tz)
            staged = sql.staging_copy("import_crime_staging", rows)
            progress(total, total)
    else:
        with open(path, "rb") as binary:
            lines, reader, header = textfiles.open_csv(binary, options.get("delimiter", ","))
            index = header_index(header, fmt, options)

            def tick():
                progress(lines.bytes_read, size)

            if fmt == "police-uk":
                rows = police_uk_rows(reader, index, extent, report, tick)
            elif fmt == "chicago":
                rows = chicago_rows(reader, index, extent, report, tick)
            else:
                srid = options.get("srid") or 4326
                rows = generic_csv_rows(reader, index, extent, report, tick, srid, tz)
            staged = sql.staging_copy("import_crime_staging", rows)
            report.notes["encoding"] = lines.encoding_note()
            progress(size, size)
    if options.get("strict") and report.rejected:
        raise StrictRefused()
    precision = options.get("precision") or PRECISION.get(fmt, "exact")
    staged_at = time.perf_counter()
    (imported, outside) = sql.fetch(
        sql.CRIME_INSERT,
        {"area": area.pk, "dataset": options.get("dataset") or fmt, "precision": precision},
    )[0]
    sql.staging_drop("import_crime_staging")
    report.notes["seconds"] = {
        "read_and_stage": round(staged_at - started, 2),
        "insert": round(time.perf_counter() - staged_at, 2),
    }
    report.imported = imported
    report.duplicates = staged - imported
    report.outside = outside
