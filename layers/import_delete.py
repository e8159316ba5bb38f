"""Deleting a crime import with the rows it stored: the undo for the wrong file (another police
force's, the wrong month) imported into an area (docs/data-formats.md "Deleting an import"); and
deleting a survey round, the undo for the wrong survey file ("Deleting a survey round").

Every crime row records the import that stored it (CrimeIncident.import_job); a row an earlier
import had stored already counted as a duplicate and stays that import's, so deleting the later
import leaves it. Rows stored before imports were recorded have no import and stay. Only crime
imports can be deleted: blocks, lamps and survey results overwrite or extend what is there, so
there is no "rows it added" to take away.

Survey results are undone by period instead: a period is a survey round and results are keyed
by block and period, so the rows of a round are exactly those of its period, whichever imports
stored them (results record no import; a block's repeat of a period is a duplicate and keeps the
first result, so the right file of a round counts only once the wrong one is deleted).

Kept apart from layers.services so that the readers of the import formats are not loaded for it.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from geo.services import audit_record, data_version_bump
from layers.jobs import inputs_lock_write
from layers.models import CrimeIncident, ImportJob, ImportKind, RunStatus, SurveyResult

# The data versions a crime import bumps (layers.services.LAYERS_OF): tiles, exports and the
# areas' crime counts follow them.
CRIME_LAYERS = ["crime"]
# And a survey import's: survey results colour the blocks (analyses read them directly).
SURVEY_LAYERS = ["blocks"]
SURVEY_PERIOD_MAX = SurveyResult._meta.get_field("period").max_length


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
        # As an import does, once the rows are gone: no analysis stores results checked
        # against the rows before the delete while it commits (layers/jobs.py).
        inputs_lock_write(job.area_id)
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


@dataclass(frozen=True)
class SurveyRound:
    """One survey period of an area: how many blocks have results for it, and how many
    respondents they count together."""

    period: str
    blocks: int
    respondents: int


def survey_rounds(*, area) -> list[SurveyRound]:
    """The area's survey periods, in order, with their block and respondent counts."""
    rows = (
        SurveyResult.objects.filter(block__area=area)
        .values("period")
        .annotate(blocks=Count("pk"), respondents=Sum("respondents"))
        .order_by("period")
    )
    return [SurveyRound(**row) for row in rows]


def survey_round_delete(*, area, period: str, user) -> SurveyRound:
    """Delete the area's survey results of exactly this period in one transaction, with an
    audit entry and the data versions survey results feed bumped (so block tiles and the next
    analysis change at once); analyses already run keep their results. Returns what was
    deleted. SurveyResult.DoesNotExist (answered 404) when the area has no results for the
    period, e.g. deleted already: nothing changes then.
    """
    with transaction.atomic():
        results = _results_of(area, period)
        # Locked, so of two deletes at once the second finds nothing and says so, and the
        # counts audited are those of the rows deleted.
        respondents = list(
            results.select_for_update(of=("self",)).values_list("respondents", flat=True)
        )
        if not respondents:
            raise SurveyResult.DoesNotExist(period)
        results.delete()
        inputs_lock_write(area.pk)  # as for a deleted import
        gone = SurveyRound(period=period, blocks=len(respondents), respondents=sum(respondents))
        audit_record(
            user=user,
            area=area,
            action="survey.delete",
            detail={"period": period, "blocks": gone.blocks, "respondents": gone.respondents},
        )
        data_version_bump(area=area, layers=SURVEY_LAYERS)
    return gone


def _results_of(area, period: str) -> QuerySet:
    """The area's results of exactly this period. A period no import could have stored (too
    long, or with a NUL, which PostgreSQL text cannot hold) has none: not asked of the
    database, which would refuse the NUL."""
    if not period or len(period) > SURVEY_PERIOD_MAX or "\x00" in period:
        return SurveyResult.objects.none()
    return SurveyResult.objects.filter(block__area=area, period=period)
