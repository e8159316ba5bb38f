"""Multi-step writes of the layers app: imports (docs/data-formats.md).

The readers of each format (layers.importers.crime, .reference, .geofiles: pyarrow, pandas,
GeoPandas) are imported by the functions that read a file. Web workers import this module to
take an upload, and only an upload, a check or the worker's import then pays for them."""

import logging
import os
import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from geo.models import Area
from geo.services import data_version_bump
from layers.assignment import crime_blocks_store
from layers.importers import sql
from layers.importers.base import (
    FORMATS,
    MAP_KEYS,
    ImportRefused,
    Report,
    StrictRefused,
    no_progress,
)
from layers.importers.progress import JobProgress
from layers.jobs import (
    JobStopped,
    inputs_lock_write,
    job_held,
    job_start,
    job_stop_check,
    job_stopped_end,
)
from layers.models import ImportJob, ImportKind, LocationPrecision, RunStatus
from layers.partitions import load_table_discard

log = logging.getLogger(__name__)

# Which data versions an import of each kind changes (survey results colour the blocks).
LAYERS_OF = {"crime": ["crime"], "blocks": ["blocks"], "lamps": ["lamps"], "survey": ["blocks"]}
FORMATS_OF = {
    "crime": FORMATS,
    "blocks": ("auto", "geojson", "gpkg", "shapefile"),
    "lamps": ("auto", "geojson", "gpkg", "shapefile"),
    "survey": ("csv", "auto"),
}
# The options each importer reads, by kind and format (docs/data-formats.md); the others are
# accepted and ignored by the API and the commands, and the imports page hides them. A GDAL
# file's `layer` picks one of a GeoPackage's layers ("auto" may be one); a GeoJSON or Shapefile
# has one. A generic crime file may be a CSV (delimiter) or a point layer (layer).
_CRIME_PRESET = ("delimiter", "dataset", "precision", "strict")
_CRIME_GENERIC = ("map", "srid", "layer", "delimiter", "timezone", "dataset", "precision", "strict")
_BLOCKS = ("srid", "layer", "code_field", "name_field", "population_field", "strict")
_LAMPS = ("srid", "layer", "id_field", "status_field", "height_field", "lumen_field", "strict")


def _one_layer(options: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in options if name != "layer")


OPTIONS_OF = {
    "crime": {"police-uk": _CRIME_PRESET, "chicago": _CRIME_PRESET, "generic": _CRIME_GENERIC},
    **{
        kind: {
            "auto": used,
            "geojson": _one_layer(used),
            "gpkg": used,
            "shapefile": _one_layer(used),
        }
        for kind, used in (("blocks", _BLOCKS), ("lamps", _LAMPS))
    },
    "survey": {"csv": ("delimiter", "strict"), "auto": ("delimiter", "strict")},
}
TEXT_OPTIONS = (
    "layer",
    "delimiter",
    "timezone",
    "dataset",
    "precision",
    "code_field",
    "name_field",
    "population_field",
    "id_field",
    "status_field",
    "height_field",
    "lumen_field",
)


def import_options_parse(*, kind: str, fmt: str, raw: dict) -> dict:
    """Validate options given as text (CLI flags, form fields) → clean options, or
    ImportRefused naming the option."""
    if kind not in ImportKind.values:
        raise ImportRefused(
            "kind",
            _("Unknown kind %(kind)r; use one of %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(ImportKind.values)},
        )
    if fmt not in FORMATS_OF[kind]:
        raise ImportRefused(
            "format",
            _("Format %(format)r does not fit kind %(kind)s; use %(formats)s.")
            % {"format": fmt, "kind": kind, "formats": ", ".join(FORMATS_OF[kind])},
        )
    options: dict = {}
    raw_map = (raw.get("map") or "").strip()
    if raw_map:
        mapping = {}
        for part in raw_map.split(","):
            key, sep, column = part.partition("=")
            key, column = key.strip(), column.strip()
            if not sep or not column or key not in MAP_KEYS:
                raise ImportRefused(
                    "map",
                    _("%(part)r is not KEY=COLUMN with KEY one of %(keys)s.")
                    % {"part": part.strip(), "keys": ", ".join(MAP_KEYS)},
                )
            mapping[key] = column
        options["map"] = mapping
    srid = raw.get("srid")
    if srid not in (None, ""):
        try:
            options["srid"] = int(srid)
        except (TypeError, ValueError):
            raise ImportRefused(
                "srid", _("%(srid)r is not an EPSG code (a whole number).") % {"srid": srid}
            ) from None
        if options["srid"] <= 0:
            raise ImportRefused("srid", _("An EPSG code is a positive number."))
    for name in TEXT_OPTIONS:
        value = raw.get(name)
        if value not in (None, ""):
            options[name] = str(value)
    delimiter = options.get("delimiter")
    if delimiter is not None:
        delimiter = {"\\t": "\t", "tab": "\t"}.get(delimiter, delimiter)
        if len(delimiter) != 1:
            raise ImportRefused("delimiter", _("The delimiter is one character, e.g. ',' or ';'."))
        options["delimiter"] = delimiter
    if options.get("precision") and options["precision"] not in LocationPrecision.values:
        raise ImportRefused(
            "precision",
            _("Use one of %(values)s for precision.")
            % {"values": ", ".join(LocationPrecision.values)},
        )
    if options.get("timezone"):
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(options["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ImportRefused(
                "timezone", _("Unknown time zone %(zone)r.") % {"zone": options["timezone"]}
            ) from None
    strict = raw.get("strict")
    options["strict"] = strict is True or str(strict).lower() in ("1", "true", "yes", "on")
    return options


def import_check(*, kind: str, fmt: str, path: str, options: dict) -> None:
    """Refuse, before anything is queued, a file that cannot be imported at all."""
    from layers.importers import crime, reference

    if kind == "crime":
        crime.crime_check(path=path, fmt=fmt, options=options)
    else:
        reference.reference_check(kind=kind, path=path, options=options)


def import_job_create(
    *, area: Area, kind: str, fmt: str, file_name: str, options: dict, user=None, stored_path=""
) -> ImportJob:
    return ImportJob.objects.create(
        area=area,
        created_by=user if user is not None and user.is_authenticated else None,
        kind=kind,
        format=fmt,
        file_name=file_name[:255],
        stored_path=stored_path,
        options=options,
    )


def _load(job: ImportJob, path: str, report: Report, progress) -> None:
    from layers.importers import crime, reference

    area = job.area
    if job.kind == "crime":
        crime.crime_import(
            area=area, path=path, fmt=job.format, options=job.options, report=report,
            progress=progress, job_id=job.pk,
        )  # fmt: skip
    elif job.kind == "blocks":
        reference.blocks_import(
            area=area, path=path, options=job.options, report=report, progress=progress
        )
    elif job.kind == "lamps":
        reference.lamps_import(
            area=area, path=path, options=job.options, report=report, progress=progress
        )
    else:
        reference.survey_import(
            area=area, path=path, options=job.options, report=report, progress=progress
        )


def _report_into(job: ImportJob, report: Report) -> None:
    job.read, job.imported, job.duplicates = report.read, report.imported, report.duplicates
    job.rejected, job.outside = report.rejected, report.outside
    job.rejected_rows, job.notes = report.rejected_rows, report.notes
    if report.rejected:
        job.notes["rejected_by_reason"] = report.reasons_counted()


def import_job_run(*, job: ImportJob, path: str, progress=no_progress) -> ImportJob:
    """Run one queued import in one transaction and store its report on the job.

    A refused file or a --strict import with rejected rows changes nothing: the job ends
    `failed` with the reason and, for --strict, the rejected rows; one an analyst stopped
    (layers.jobs.job_stop) ends `stopped`, having changed nothing either, and one stopped
    before it started is not run. The job's lock is held throughout, so a status read can tell
    a dead worker from a slow one (layers/jobs.py).
    """
    with job_held(job):
        if not job_start(job):
            return job
        return _import_job_run(job, path, progress)


def _import_job_run(job: ImportJob, path: str, progress) -> ImportJob:
    report = Report()
    tracker = JobProgress(job.pk, also=progress, rows=lambda: report.read)
    try:
        with transaction.atomic():
            _load(job, path, report, tracker)
            if not report.read:
                # A header alone, or a layer without features: the wrong file, most likely.
                raise ImportRefused("file", "The file holds no rows: nothing to import.")
            if report.imported:
                if job.kind == "blocks":
                    # New blocks can change any incident's block (a crime import places its
                    # own rows before writing them).
                    crime_blocks_store(area=job.area)
                if job.kind in ("blocks", "survey"):
                    # Rows an analysis reads: from here to the commit, no analysis stores
                    # results checked against the data before them. Last, after every write
                    # that may wait for another import (layers/jobs.py); a crime import took
                    # it before its rows went in.
                    inputs_lock_write(job.area_id)
                data_version_bump(area=job.area, layers=LAYERS_OF[job.kind])
            _report_into(job, report)
            job_stop_check(job)
            job.status, job.progress, job.finished_at = RunStatus.DONE, 1.0, timezone.now()
            job.save()
    except JobStopped:
        _discard(job)
        job = job_stopped_end(job, read=0)  # the rows read so far: none of them is kept
    except StrictRefused:
        own = report.refuse_all()
        _report_into(job, report)
        job.error = (
            f"strict: {own} rows rejected, so nothing was imported "
            f"(all {report.read} rows read count as rejected)."
        )
        job.status, job.finished_at = RunStatus.FAILED, timezone.now()
        job.save()
    except ImportRefused as refused:
        job.error = f"{refused.field}: {refused.message}"
        job.status, job.finished_at = RunStatus.FAILED, timezone.now()
        job.save()
    except Exception as error:
        _discard(job)
        # Never leave a job 'running' behind; the caller still sees the error.
        job.status, job.finished_at = RunStatus.FAILED, timezone.now()
        job.error = f"The import failed unexpectedly: {error.__class__.__name__}"
        job.read = 0  # nor the rows read so far (stored with its progress): none is kept
        job.save(update_fields=["status", "finished_at", "error", "read"])
        raise
    finally:
        tracker.close()
    return job


def _discard(job: ImportJob) -> None:
    if job.kind == "crime":
        # A first load commits its rows apart; with the transaction gone, drop them.
        load_table_discard(area_id=job.area_id)


def import_upload_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _upload_store(upload) -> str:
    """Save the upload under MEDIA_ROOT/imports/<random>/ with a name nothing in it decides but
    the extension (which tells the importer the format)."""
    directory = import_upload_dir() / uuid.uuid4().hex
    directory.mkdir(parents=True)
    suffix = os.path.splitext(upload.name)[1].lower()[:10]
    path = directory / f"upload{suffix}"
    with open(path, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return str(path)


def import_submit(*, area: Area, user, upload, kind: str, fmt: str, raw: dict) -> ImportJob:
    """Take an upload (the API's or the imports page's): store it, refuse at once what cannot be
    imported at all (ImportRefused, the stored file removed), else queue the job for the worker
    once the transaction commits."""
    from layers.tasks import import_job_task

    path = _upload_store(upload)
    try:
        options = import_options_parse(kind=kind, fmt=fmt, raw=raw)
        import_check(kind=kind, fmt=fmt, path=path, options=options)
    except BaseException:
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)
        raise
    job = import_job_create(
        area=area,
        kind=kind,
        fmt=fmt,
        file_name=os.path.basename(upload.name),
        options=options,
        user=user,
        stored_path=os.path.relpath(path, settings.MEDIA_ROOT),
    )
    transaction.on_commit(lambda: import_job_task.enqueue(job.pk))
    return job


def import_job_execute(*, job_id: int) -> ImportJob:
    """The worker's side of an upload: run the job on its stored file, then delete the file."""
    job = ImportJob.objects.select_related("area").get(pk=job_id)
    path = _stored_upload(job)
    if job.status != RunStatus.QUEUED:
        if job.status == RunStatus.STOPPED:  # stopped before it started: it only had a file
            _upload_delete(job, path)
        return job  # a task delivered twice runs the import once
    if path is None:
        job.status, job.finished_at = RunStatus.FAILED, timezone.now()
        job.error = gettext_noop("The uploaded file of this import is gone.")
        job.save(update_fields=["status", "finished_at", "error"])
        return job
    try:
        return import_job_run(job=job, path=str(path))
    except Exception:
        log.exception("import %s failed", job_id)
        job.refresh_from_db()
        return job
    finally:
        _upload_delete(job, path)


def _stored_upload(job: ImportJob) -> Path | None:
    """The job's uploaded file, if its stored path is one under the uploads folder."""
    uploads = import_upload_dir().resolve()
    path = (uploads.parent / job.stored_path).resolve()
    return path if job.stored_path and uploads in path.parents else None


def _upload_delete(job: ImportJob, path: Path | None) -> None:
    if path is not None:
        shutil.rmtree(path.parent, ignore_errors=True)
    ImportJob.objects.filter(pk=job.pk).update(stored_path="")


def _boundary_from_file(path: str, srid: int | None) -> GEOSGeometry:
    from layers.importers import checks, geofiles

    with geofiles.open_vector(path, srid) as source:
        checks.check_srid(source.srid)
        wkbs = [bytes(wkb) for _fid, wkb, _values in source.features([]) if wkb is not None]
        if not wkbs:
            raise ImportRefused("boundary", _("The boundary file holds no geometry."))
        union = sql.fetch(sql.BOUNDARY_FROM_WKB, {"srid": source.srid, "wkbs": wkbs})[0][0]
    if union is None:
        raise ImportRefused("boundary", _("The boundary file holds no polygon."))
    geometry = GEOSGeometry(memoryview(union))
    if geometry.empty:
        raise ImportRefused("boundary", _("The boundary file holds no polygon."))
    return geometry


@transaction.atomic
def area_create(
    *,
    slug: str,
    name: str,
    boundary_path: str | None = None,
    srid: int | None = None,
    analysis_srid: int | None = None,
) -> Area:
    """A new area; without a boundary file it takes the union of the blocks imported later."""
    if Area.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"An area {slug!r} exists already."})
    area = Area(slug=slug, name=name, analysis_srid=analysis_srid)
    if boundary_path:
        if not os.path.exists(boundary_path):
            raise ValidationError({"boundary": f"No file {boundary_path}."})
        try:
            area.boundary = _boundary_from_file(boundary_path, srid)
        except ImportRefused as refused:
            raise ValidationError({refused.field: refused.message}) from None
    # Constraint validation cannot evaluate geometry checks in Python; PostGIS enforces them.
    area.full_clean(exclude=["boundary"], validate_constraints=False)
    area.save()
    return area
