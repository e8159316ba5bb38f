"""Deleting a crime import with the rows it stored: the undo for the wrong file (another police
force's, the wrong month) imported into an area (docs/data-formats.md "Deleting an import").

Every crime row records the import that stored it (CrimeIncident.import_job); a row an earlier
import had stored already counted as a duplicate and stays that import's, so deleting the later
import leaves it. Rows stored before imports were recorded have no import and stay. Only crime
imports can be deleted: blocks, lamps and survey results overwrite or extend what is there, so
there is no "rows it added" to take away.

Kept apart from layers.services so that the readers of the import formats are not loaded for it.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geo.services import audit_record, data_version_bump
from layers.models import CrimeIncident, ImportJob, ImportKind, RunStatus

# The data versions a crime import bumps (layers.services.LAYERS_OF): tiles, exports and the
# areas' crime counts follow them.
CRIME_LAYERS = ["crime"]


def import_delete(*, job: ImportJob, user) -> int:
    """Delete a finished crime import's rows in one transaction, with an audit entry and the
    crime data version bumped (so tiles, exports and counts change at once); the job stays,
    marked deleted. Returns the number of rows deleted. ValidationError (answered 409) while
    the import is queued or running, for a failed or other-kind import, or one deleted before.
    """
    with transaction.atomic():
        # Locked, so two deletes of one import cannot both go ahead.
        job = ImportJob.objects.select_for_update().select_related("area").get(pk=job.pk)
        _check_deletable(job)
        deleted, _by_model = CrimeIncident.objects.filter(
            area_id=job.area_id, import_job_id=job.pk
        ).delete()
        audit_record(
            user=user,
            area=job.area,
            action="import.delete",
            detail={"import": job.pk, "file_name": job.file_name, "rows_deleted": deleted},
        )
        data_version_bump(area=job.area, layers=CRIME_LAYERS)
        job.deleted_at = timezone.now()
        job.deleted_by = user if user is not None and user.is_authenticated else None
        job.deleted_rows = deleted
        job.save(update_fields=["deleted_at", "deleted_by", "deleted_rows"])
    return deleted


def _check_deletable(job: ImportJob) -> None:
    if job.deleted_at is not None:
        raise ValidationError({"status": _("The import is deleted already.")})
    if job.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        raise ValidationError(
            {"status": _("The import is still running; delete it once it has ended.")}
        )
    if job.kind != ImportKind.CRIME:
        raise ValidationError({"kind": _("Only crime imports can be deleted with their rows.")})
    if job.status != RunStatus.DONE:
        raise ValidationError(
            {"status": _("The import failed and stored nothing: there is nothing to delete.")}
        )
    if not job.rows_recorded:
        raise ValidationError(
            {
                "status": _(
                    "The import ran before imports were recorded on their rows, so its rows "
                    "cannot be told from others'."
                )
            }
        )
