"""What the import commands share: arguments, the progress bar and the counts line."""

import os

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geo.models import Area
from layers.importers.base import ImportRefused
from layers.models import RunStatus
from layers.services import import_check, import_job_create, import_job_run, import_options_parse


class ImportCommand(BaseCommand):
    kind = ""
    option_names: tuple[str, ...] = ()

    def add_arguments(self, parser):
        parser.add_argument("area", help="area slug")
        parser.add_argument("files", nargs="+", metavar="FILE", help="one import per file")
        parser.add_argument(
            "--strict", action="store_true", help="import nothing if any row is rejected"
        )
        parser.add_argument("--srid", help="EPSG code of coordinates the file does not declare")
        parser.add_argument("--delimiter", help="CSV delimiter (default ',')")
        parser.add_argument("--layer", help="the layer to import from a file holding several")

    def format_of(self, options) -> str:
        return "auto"

    def handle(self, *args, area, files, **options):
        try:
            area_obj = Area.objects.get(slug=area)
        except Area.DoesNotExist:
            raise CommandError(f"No area with slug {area!r}.") from None
        fmt = self.format_of(options)
        raw = {
            name: options.get(name) for name in (*self.option_names, "srid", "delimiter", "layer")
        }
        raw["strict"] = options["strict"]
        failures = []
        for path in files:
            if not os.path.isfile(path):
                raise CommandError(f"No file {path}.")
            try:
                clean = import_options_parse(kind=self.kind, fmt=fmt, raw=raw)
                import_check(kind=self.kind, fmt=fmt, path=path, options=clean)
            except ImportRefused as refused:
                raise CommandError(f"{path}: {refused.field}: {refused.message}") from None
            job = import_job_create(
                area=area_obj,
                kind=self.kind,
                fmt=fmt,
                file_name=os.path.basename(path),
                options=clean,
            )
            with tqdm(desc=os.path.basename(path), unit="", disable=None, leave=False) as bar:

                def progress(done, total, bar=bar):
                    if bar.total != total:
                        bar.total = total
                    bar.update(done - bar.n)

                job = import_job_run(job=job, path=path, progress=progress)
            for rejected in job.rejected_rows[:20]:
                self.stderr.write(f"  row {rejected['row']}: {rejected['reason']}")
            if job.rejected > 20:
                self.stderr.write(f"  … {job.rejected - 20} more (import job {job.pk})")
            for note, value in job.notes.items():
                if note not in ("repaired", "boundary_md5"):
                    self.stderr.write(f"  {note}: {value}")
            if job.notes.get("repaired"):
                self.stderr.write(f"  repaired geometries: {len(job.notes['repaired'])}")
            if job.warning:
                self.stderr.write(
                    f"  warning: {job.warning} (import job {job.pk}: the area's data page or"
                    f" DELETE /api/imports/{job.pk}/)"
                )
            self.stdout.write(job.counts_line())
            if job.status != RunStatus.DONE:
                failures.append(f"{path}: {job.error or 'stopped by an analyst'}")
        if failures:
            raise CommandError("; ".join(failures))
