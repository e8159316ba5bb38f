"""Blocks and lamps from GDAL vector files, survey results from a CSV keyed by block code."""

import hashlib
import math
import re

import shapely
from django.contrib.gis.geos import GEOSGeometry

from layers.importers import geofiles, sql, textfiles
from layers.importers.base import (
    ImportRefused,
    ProgressCallback,
    Report,
    RowRejected,
    StrictRefused,
    fixed,
)
from layers.importers.checks import (
    check_lonlat,
    check_srid,
    point_of,
    storable_text,
    too_few_fields,
)
from layers.models import SurveyResult

LAMP_STATUSES = {"working", "broken", "dim", "unknown"}
SURVEY_COLUMNS = ("block_code", "period", "respondents")
SURVEY_PERIOD_MAX = SurveyResult._meta.get_field("period").max_length
MAX_WHOLE = 2_147_483_647  # the largest integer the tables hold
GIVE_POPULATION = "give the number of residents as a whole number, or leave it empty"
# A comma before exactly three digits: 1,000 or 12,500.
THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+$")
GIVE_HEIGHT = "give the lamp's height in metres (e.g. 6.5 or 6,5), or leave it empty"
GIVE_LUMEN = "give the lamp's luminous flux in lumens as a whole number, or leave it empty"
GIVE_RESPONDENTS = "give the number of respondents, a whole number of at least 1"
GIVE_UNSAFE = "give the number of respondents who feel unsafe"
GIVE_SHARE = "give a share from 0 to 1, with a decimal point or comma, or a percentage with %"


def _field(source, options: dict, option: str, default: str | None, required: bool) -> str | None:
    """The layer field an option names, or the default when the layer has it."""
    chosen = options.get(option)
    if chosen:
        if chosen not in source.fields:
            raise ImportRefused(
                option,
                f"The layer has no field {chosen!r}; its fields are {', '.join(source.fields)}.",
            )
        return chosen
    if default and default in source.fields:
        return default
    if required:
        raise ImportRefused(
            option,
            f"Name the field that holds the {option.removesuffix('_field')} "
            f"(the layer's fields are {', '.join(source.fields)}).",
        )
    return None


def _blank(value) -> bool:
    """GDAL gives a missing number as NaN, a missing text as None or ''."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def _text(value) -> str:
    return "" if _blank(value) else str(value).strip()


def _number(value, what: str, give: str) -> float | None:
    """A finite number ≥ 0 of a field, None when it is empty; `give` says what to give."""
    if _blank(value):
        return None
    if isinstance(value, str):  # Nordic files write a decimal comma: 6,5
        if THOUSANDS.match(value.strip()):  # 1,000: a thousand in English, 1.0 in Swedish
            raise RowRejected(
                f"{fixed(what)} {{value!r}} is ambiguous (a thousands separator or a decimal"
                f" comma?): {give}, without a thousands separator",
                value=value,
            )
        value = value.strip().replace(",", ".") if value.count(",") == 1 else value
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise RowRejected(f"{fixed(what)} {{value!r}} is not a number: {give}", value=value)
    if number < 0:
        raise RowRejected(f"{fixed(what)} {{value!r}} is negative: {give}", value=value)
    return number


def _whole_number(value, what: str, give: str) -> int | None:
    number = _number(value, what, give)
    if number is None:
        return None
    if number != int(number):
        raise RowRejected(f"{fixed(what)} {{value!r}} is not a whole number: {give}", value=value)
    if number > MAX_WHOLE:
        raise RowRejected(f"{fixed(what)} {{value!r}} is too large: {give}", value=value)
    return int(number)


def _share(text: str) -> float:
    """share_unsafe as the importer reads it: 0–1 with a decimal point or comma, or 0–100 %."""
    if not text:
        raise RowRejected(f"share_unsafe is empty: {GIVE_SHARE}")
    try:
        share = float(text.removesuffix("%").strip().replace(",", "."))
    except ValueError:
        share = math.nan
    if not math.isfinite(share):
        raise RowRejected(f"share_unsafe {{value!r}} is not a number: {GIVE_SHARE}", value=text)
    return share / 100 if text.endswith("%") else share


def _block_fields(source, options):
    return (
        _field(source, options, "code_field", "code", required=True),
        _field(source, options, "name_field", "name", required=False),
        _field(source, options, "population_field", "population", required=False),
    )


def _lamp_fields(source, options):
    return (
        _field(source, options, "id_field", "id", required=False),
        _field(source, options, "status_field", "status", required=False),
        _field(source, options, "height_field", "height_m", required=False),
        _field(source, options, "lumen_field", "lumen", required=False),
    )


def reference_check(*, kind: str, path: str, options: dict) -> None:
    textfiles.check_size(path)
    if kind == "survey":
        with open(path, "rb") as binary:
            _lines, _reader, header = textfiles.open_csv(binary, options.get("delimiter", ","))
            _survey_index(header, options)
        return
    if not geofiles.is_vector_file(path):
        raise ImportRefused(
            "file", "Blocks and lamps come as GeoJSON, GeoPackage or a zipped Shapefile."
        )
    with geofiles.open_vector(path, options.get("srid"), options.get("layer")) as source:
        (_block_fields if kind == "blocks" else _lamp_fields)(source, options)
        check_srid(source.srid)


def _boundary_follows_blocks(area) -> bool:
    """An area without a boundary takes the union of its blocks, and keeps following them as
    long as nobody has set another boundary since (the last union's digest still matches)."""
    from layers.models import ImportJob, RunStatus

    if area.boundary is None:
        return True
    last = (
        ImportJob.objects.filter(
            area=area, kind="blocks", status=RunStatus.DONE, notes__has_key="boundary_md5"
        )
        .order_by("-finished_at", "-id")
        .values_list("notes", flat=True)
        .first()
    )
    current = sql.fetch(sql.BOUNDARY_MD5, {"area": area.pk})[0][0]
    return last is not None and last["boundary_md5"] == current


def blocks_import(*, area, path, options, report: Report, progress: ProgressCallback) -> bool:
    """Load blocks; returns whether the area's boundary was recomputed as their union."""
    textfiles.check_size(path)
    follows_blocks = _boundary_follows_blocks(area)
    with geofiles.open_vector(path, options.get("srid"), options.get("layer")) as source:
        check_srid(source.srid)
        code_f, name_f, population_f = _block_fields(source, options)
        columns = [c for c in (code_f, name_f, population_f) if c]
        report.notes["crs"] = source.crs_note

        def rows():
            for number, wkb, values in source.features(columns):
                report.read += 1
                record = dict(zip(columns, values, strict=True))
                try:
                    code = _text(record[code_f])
                    if not code:
                        raise RowRejected(f"{code_f} is empty")
                    if wkb is None:
                        raise RowRejected("the feature has no geometry")
                    kind = shapely.from_wkb(wkb).geom_type
                    if kind not in ("Polygon", "MultiPolygon"):
                        raise RowRejected(f"the geometry is a {kind}, not a polygon")
                    population = (
                        _whole_number(record[population_f], population_f, GIVE_POPULATION)
                        if population_f
                        else None
                    )
                except RowRejected as why:
                    report.reject(number, why)
                    continue
                name = _text(record[name_f])[:200] if name_f else ""
                yield number, code[:64], name, population, wkb, source.srid
                if number % 1000 == 0:
                    progress(number, source.feature_count)

        staged = sql.staging_copy("import_block_staging", rows())
    progress(report.read, report.read)
    sql.execute(sql.BLOCK_ADD_GEOM)
    sql.execute(sql.BLOCK_TRANSFORM)
    repaired = sql.fetch(sql.BLOCK_INVALID)
    if repaired:
        sql.execute(sql.BLOCK_REPAIR)
        report.notes["repaired"] = [{"row": n, "reason": why} for n, why in repaired[:1000]]
    for (number,) in sql.fetch(sql.BLOCK_EMPTY):
        staged -= 1
        report.reject(number, "the polygon collapsed to nothing when repaired")
    if options.get("strict") and report.rejected:
        raise StrictRefused()
    imported, outside = sql.fetch(
        sql.BLOCK_INSERT, {"area": area.pk, "boundary_follows": follows_blocks}
    )[0]
    sql.staging_drop("import_block_staging")
    report.imported, report.duplicates, report.outside = imported, staged - imported, outside
    if follows_blocks and imported:
        union = sql.fetch(sql.BLOCKS_UNION, {"area": area.pk})[0][0]
        area.boundary = GEOSGeometry(memoryview(union))
        area.save(update_fields=["boundary", "analysis_srid"])
        report.notes["boundary"] = "set to the union of the area's blocks"
        report.notes["boundary_md5"] = sql.fetch(sql.BOUNDARY_MD5, {"area": area.pk})[0][0]
        return True
    return False


def lamps_import(*, area, path, options, report: Report, progress: ProgressCallback) -> None:
    textfiles.check_size(path)
    extent = area.boundary.extent if area.boundary else None
    with geofiles.open_vector(path, options.get("srid"), options.get("layer")) as source:
        check_srid(source.srid)
        id_f, status_f, height_f, lumen_f = _lamp_fields(source, options)
        columns = [c for c in (id_f, status_f, height_f, lumen_f) if c]
        report.notes["crs"] = source.crs_note
        seen: dict[bytes, int] = {}

        def rows():
            for number, wkb, values in source.features(columns):
                report.read += 1
                record = dict(zip(columns, values, strict=True))
                try:
                    x, y = point_of(wkb)
                    x, y = check_lonlat(repr(x), repr(y), extent, source.srid)
                    status = record.get(status_f)
                    status = "working" if _blank(status) else str(status).strip().lower()
                    if status not in LAMP_STATUSES:
                        raise RowRejected(
                            "status {status!r} is not one of " + ", ".join(sorted(LAMP_STATUSES)),
                            status=status,
                        )
                    height = _number(record[height_f], height_f, GIVE_HEIGHT) if height_f else None
                    lumen = _whole_number(record[lumen_f], lumen_f, GIVE_LUMEN) if lumen_f else None
                except RowRejected as why:
                    report.reject(number, why)
                    continue
                source_id = _text(record[id_f]) if id_f else ""
                if not source_id:
                    # No id: the content decides, so re-importing the same file adds nothing.
                    digest = hashlib.sha256(f"{x:.7f} {y:.7f} {status}".encode()).digest()
                    seen[digest] = seen.get(digest, 0) + 1
                    source_id = f"sha256:{digest.hex()[:48]}:{seen[digest]}"
                yield number, source_id[:100], x, y, source.srid, status, height, lumen
                if number % 5000 == 0:
                    progress(number, source.feature_count)

        staged = sql.staging_copy("import_lamp_staging", rows())
    progress(report.read, report.read)
    if options.get("strict") and report.rejected:
        raise StrictRefused()
    imported, outside = sql.fetch(sql.LAMP_INSERT, {"area": area.pk})[0]
    sql.staging_drop("import_lamp_staging")
    report.imported, report.duplicates, report.outside = imported, staged - imported, outside


def _survey_index(header: list[str], options: dict) -> dict[str, int]:
    position = {name.lower(): i for i, name in enumerate(header)}
    share = "share_unsafe" if "share_unsafe" in position else "unsafe"
    needed = [*SURVEY_COLUMNS, share]
    missing = [c for c in needed if c not in position]
    if missing:
        found = textfiles.other_delimiter(header, options.get("delimiter", ","), set(needed))
        if found:
            raise textfiles.refuse_wrong_delimiter(found, options.get("delimiter", ","))
        raise ImportRefused(
            "file",
            f"A survey CSV needs the columns block_code, period, respondents and share_unsafe "
            f"(0–1) or unsafe (a count); missing: {', '.join(missing)}.",
        )
    return {c: position[c] for c in needed}


def survey_import(*, area, path, options, report: Report, progress: ProgressCallback) -> None:
    size = textfiles.check_size(path)
    with open(path, "rb") as binary:
        lines, reader, header = textfiles.open_csv(binary, options.get("delimiter", ","))
        index = _survey_index(header, options)
        width = max(index.values()) + 1

        def rows():
            for row in reader:
                report.read += 1
                try:
                    if len(row) < width:
                        raise too_few_fields(row)
                    values = {c: row[i].strip() for c, i in index.items()}
                    if not values["block_code"] or not values["period"]:
                        raise RowRejected("block_code and period must not be empty")
                    storable_text("block_code", values["block_code"])
                    storable_text("period", values["period"])
                    if len(values["period"]) > SURVEY_PERIOD_MAX:
                        # Cut short, two survey rounds could become one period (and one
                        # would replace the other's results).
                        raise RowRejected(
                            f"period {{period!r}} is longer than {SURVEY_PERIOD_MAX} characters:"
                            " give a short label such as 2025 or 2025-H2",
                            period=values["period"],
                        )
                    if not values["respondents"]:
                        raise RowRejected(f"respondents is empty: {GIVE_RESPONDENTS}")
                    respondents = _whole_number(
                        values["respondents"], "respondents", GIVE_RESPONDENTS
                    )
                    if not respondents:
                        raise RowRejected("respondents must be at least 1")
                    if "share_unsafe" in values:
                        share = _share(values["share_unsafe"])
                    else:
                        if not values["unsafe"]:
                            raise RowRejected(f"unsafe is empty: {GIVE_UNSAFE}")
                        unsafe = _whole_number(values["unsafe"], "unsafe", GIVE_UNSAFE)
                        if unsafe > respondents:
                            raise RowRejected(
                                "unsafe {unsafe} is more than the {respondents} respondents: "
                                + GIVE_UNSAFE,
                                unsafe=unsafe,
                                respondents=respondents,
                            )
                        share = unsafe / respondents
                    if not 0 <= share <= 1:
                        raise RowRejected(
                            "the share feeling unsafe, {share:g}, is not 0–1", share=share
                        )
                except RowRejected as why:
                    report.reject(reader.line_num, why)
                    continue
                yield (
                    reader.line_num,
                    values["block_code"],
                    values["period"],
                    respondents,
                    share,
                )

        staged = sql.staging_copy("import_survey_staging", rows())
        report.notes["encoding"] = lines.encoding_note()
    progress(size, size)
    for number, code in sql.fetch(sql.SURVEY_UNKNOWN_BLOCKS, {"area": area.pk}):
        staged -= 1
        report.reject(number, RowRejected("no block with code {code!r} in this area", code=code))
    if options.get("strict") and report.rejected:
        raise StrictRefused()
    imported = sql.fetch(sql.SURVEY_INSERT, {"area": area.pk})[0][0]
    sql.staging_drop("import_survey_staging")
    report.imported, report.duplicates = imported, staged - imported
