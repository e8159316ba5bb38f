"""Reference layers of an area: recorded crime, street lamps and survey results."""

import hashlib
import uuid
from datetime import timedelta

from django.contrib.gis.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from geo.models import Area, Block
from layers.categories import CrimeCategory


class LocationPrecision(models.TextChoices):
    EXACT = "exact", _("Exact")
    SNAPPED = "snapped", _("Snapped to an anonymised map point")
    BLOCK = "block", _("Shifted within the block")


def source_key_of(text: str) -> uuid.UUID:
    """The stored value of the deduplication key `text`: the MD5 of its UTF-8 text, as
    PostgreSQL's md5(text)::uuid gives it (migration 0010 converted the stored keys with that;
    the importer computes the same in bulk, layers.importers.crimeload.key_digests)."""
    return uuid.UUID(bytes=hashlib.md5(text.encode(), usedforsecurity=False).digest())


class SourceKeyField(models.UUIDField):
    """A deduplication key, given as text and stored as its digest (source_key_of).

    A 16-byte key instead of a 75-character one: a first load of 1,000,000 rows builds the
    unique index in 0.7 s instead of 1.5-1.9 s (docs/benchmarks.md). The text is not kept; the
    source's own id is, in source_id. Values read back are UUIDs."""

    def get_prep_value(self, value):
        if isinstance(value, str):
            return source_key_of(value)
        return super().get_prep_value(value)

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        return super().get_db_prep_value(value, connection, prepared=True)


def crime_matching(qs, *, month_from=None, month_to=None, categories=None):
    """`qs` (crime incidents) narrowed to the months from `month_from` to `month_to` and to
    `categories` (None or empty: not narrowed), as exports and analyses choose crime."""
    if month_from:
        qs = qs.filter(month__gte=month_from)
    if month_to:
        qs = qs.filter(month__lte=month_to)
    if categories:
        qs = qs.filter(category__in=categories)
    return qs


class CrimeIncident(models.Model):
    # No index of its own: the (area, …) index and constraint below lead with it, and every
    # index costs each imported row (docs/benchmarks.md).
    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="crime_incidents", db_index=False
    )
    geom = models.PointField(srid=4326)
    occurred_at = models.DateTimeField(null=True, blank=True)
    # Always set: the first day of the month, the finest date some sources (police-uk) give.
    month = models.DateField()
    category = models.CharField(max_length=40, choices=CrimeCategory.choices)
    original_category = models.CharField(max_length=200)
    source_dataset = models.CharField(max_length=200)
    source_id = models.CharField(max_length=200, blank=True)
    # Deduplication key: "<format>:<source id>", or "<format>:sha256:<hash of the row>" for
    # sources without ids (police-uk anti-social behaviour), so re-importing adds nothing.
    source_key = SourceKeyField()
    precision = models.CharField(max_length=8, choices=LocationPrecision.choices)
    # The block this incident counts in by the exactly-once rule at the default snap distance,
    # kept up to date by every crime or blocks import (layers.assignment.crime_blocks_store),
    # so maps and exports count per block with an index instead of a spatial join.
    block = models.ForeignKey(
        Block, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The block (e.g. LSOA) the source itself names for the incident, kept to check assignments.
    reported_block_code = models.CharField(max_length=64, blank=True)
    # The import that stored the row, so the import can be deleted with its rows
    # (layers.import_delete); empty for rows stored before imports were recorded (and for the
    # demo's). A row a later import finds again (a duplicate) stays its first import's. No
    # database constraint: checking it would cost every imported row, and attaching a first
    # load's partition would validate and lock the import jobs' table; deleting a job through
    # Django empties the column of its rows. Indexed within each area's partition.
    import_job = models.ForeignKey(
        "ImportJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="crime_incidents",
    )

    class Meta:
        # Each area's incidents are a partition of their own (layers/partitions.py), so an area
        # is never scanned beyond its own rows. No (area, category) index: category filters
        # always come with a period, a block or a tile envelope, and the index cost a first
        # load of 1,000,000 rows 1.2 s (docs/benchmarks.md).
        indexes = [
            models.Index(fields=["area", "month"]),
        ]
        constraints = [
            # Key first: within an area's partition the area is the same in every row.
            models.UniqueConstraint(fields=["source_key", "area"], name="crime_once_per_area"),
            models.CheckConstraint(
                condition=Q(category__in=[c.value for c in CrimeCategory]),
                name="crime_category_known",
            ),
        ]


class LampStatus(models.TextChoices):
    WORKING = "working", _("Working")
    BROKEN = "broken", _("Broken")
    DIM = "dim", _("Dim")
    UNKNOWN = "unknown", _("Unknown")


class Lamp(models.Model):
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="lamps")
    geom = models.PointField(srid=4326)
    status = models.CharField(max_length=8, choices=LampStatus.choices, default=LampStatus.WORKING)
    height_m = models.FloatField(null=True, blank=True)
    lumen = models.PositiveIntegerField(null=True, blank=True)
    source_id = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["area", "source_id"],
                condition=~Q(source_id=""),
                name="lamp_source_id_unique_in_area",
            )
        ]


class SurveyResult(models.Model):
    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="survey_results")
    period = models.CharField(max_length=20, help_text=_("e.g. 2025 or 2025-H2"))
    respondents = models.PositiveIntegerField()
    share_unsafe = models.FloatField(help_text=_("Share of respondents feeling unsafe, 0–1"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["block", "period"], name="survey_once_per_block_period"
            ),
            models.CheckConstraint(
                condition=Q(share_unsafe__gte=0, share_unsafe__lte=1), name="survey_share_0_to_1"
            ),
        ]


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    # Stopped by an analyst before it finished (layers.jobs.job_stop): nothing of it was kept.
    STOPPED = "stopped", _("Stopped")


# How long a running job may go without reporting progress before the imports page says the
# worker may have stopped. A dead worker is found by its lock (layers/jobs.py) and ends failed;
# this is for one that is alive but stuck, which no lock tells from a slow one, so it changes
# only the wording, never the job. Imports report every second while they read, then write
# without a report: that write took up to ~53 s per 1,000,000 rows in the benchmarks
# (docs/benchmarks.md, idle machine), so ~5 minutes for the largest upload allowed (1 GiB, some
# 5 million police-uk rows) and more under load. An analysis reports after each of its stages,
# the longest 9 s under load for 300,000 incidents. Fifteen minutes clears both with room.
PROGRESS_SILENCE_LIMIT = timedelta(minutes=15)


class BackgroundJob(models.Model):
    """What every job run by the background worker records: who, state, progress and times."""

    created_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.FloatField(default=0.0)
    # When the worker last reported progress (or started the job): each report sets it, even
    # with the same fraction, so it tells a stuck worker from a slow phase (`stalled`).
    progress_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Who asked to stop the job, and when (layers.jobs.job_stop): a queued job ends `stopped`
    # at once, a running one at its next progress report, with its work rolled back.
    stop_requested_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def stopping(self) -> bool:
        """Asked to stop, and still running until its next progress report."""
        return self.stop_requested_at is not None and self.status == RunStatus.RUNNING

    @property
    def progress_seen_at(self):
        """When the worker last said it was working on the job (jobs older than progress_at
        have only their start)."""
        return self.progress_at or self.started_at

    @property
    def stalled(self) -> bool:
        """Running, but no progress reported for PROGRESS_SILENCE_LIMIT: the worker may be stuck."""
        last = self.progress_seen_at
        return (
            self.status == RunStatus.RUNNING
            and last is not None
            and timezone.now() - last > PROGRESS_SILENCE_LIMIT
        )

    @cached_property
    def unclaimed(self) -> bool:
        """Queued for long while no worker was at work: no worker may be running
        (layers.jobs.job_unclaimed, which asks the database; once per read of the job, and
        layers.jobs.jobs_listed once for a whole list)."""
        from layers.jobs import job_unclaimed  # layers.jobs imports this module

        return job_unclaimed(self)


class AnalysisRun(BackgroundJob):
    """A stored, reproducible hotspot analysis of one area (see docs/methods.md)."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="analysis_runs")
    parameters = models.JSONField(default=dict)
    seed = models.BigIntegerField(default=1)
    data_fingerprint = models.CharField(max_length=64, blank=True)
    # Area-wide figures: Spearman's rho, Lee's L, counts inside / snapped / unassigned, …
    figures = models.JSONField(default=dict)
    timings = models.JSONField(default=dict)
    # The run an analyst chose for everyone's map (layers.analysis.results.analysis_shown):
    # without one, the map shows the latest finished run, and a run for one month or one
    # category would recolour it.
    pinned = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["area", "status", "-finished_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["area"], condition=models.Q(pinned=True), name="one_pinned_run_per_area"
            ),
        ]


class BlockResult(models.Model):
    """One block's figures in one run; field names are shared by the API, tiles and exports."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="block_results")
    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="results")
    crime_count = models.PositiveIntegerField(default=0)
    crime_value = models.FloatField(null=True)
    crime_gi_z = models.FloatField(null=True)
    crime_gi_p = models.FloatField(null=True)
    crime_gi_bin = models.SmallIntegerField(null=True)
    crime_gi_p_sim = models.FloatField(null=True, help_text=_("Permutation p-value, two-sided"))
    insecurity_index = models.FloatField(null=True, help_text=_("Empty: no evidence (no data)"))
    insecurity_gi_z = models.FloatField(null=True)
    insecurity_gi_p = models.FloatField(null=True)
    insecurity_gi_bin = models.SmallIntegerField(null=True)
    insecurity_gi_p_sim = models.FloatField(null=True)
    # The components of the index (docs/methods.md); empty where the block has no such evidence.
    insecurity_observations = models.FloatField(null=True)
    insecurity_feeling = models.FloatField(null=True)
    insecurity_survey = models.FloatField(null=True)
    negative_observations = models.PositiveIntegerField(default=0)
    positive_observations = models.PositiveIntegerField(default=0)
    comparison_class = models.CharField(max_length=24, blank=True, db_column="class")
    bv_moran_i = models.FloatField(null=True)
    bv_moran_p = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "block"], name="one_result_per_block_and_run")
        ]


class AnalysisRaster(models.Model):
    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="rasters")
    name = models.CharField(max_length=32)  # crime_density, insecurity, perception_gap
    path = models.CharField(max_length=500, help_text=_("Relative to MEDIA_ROOT"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "name"], name="raster_name_per_run")]


class ImportKind(models.TextChoices):
    CRIME = "crime", _("Crime incidents")
    BLOCKS = "blocks", _("Blocks")
    LAMPS = "lamps", _("Street lamps")
    SURVEY = "survey", _("Survey results")


class ImportJob(BackgroundJob):
    """One import of one file into one area, with its report (docs/data-formats.md).

    read = imported + duplicates + rejected (while it runs, `read` counts the rows read so far,
    stored with its progress; one that ends stopped or failed, keeping none, reads 0 again);
    `outside` counts accepted rows (imported or
    duplicate) that lie outside the area's boundary: they are stored and reported, never dropped.
    """

    MAX_REJECTED_REASONS = 1000

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="import_jobs")
    kind = models.CharField(max_length=8, choices=ImportKind.choices)
    format = models.CharField(max_length=16)
    file_name = models.CharField(max_length=255)
    # Where an uploaded file waits for the worker, relative to MEDIA_ROOT; emptied when done.
    stored_path = models.CharField(max_length=500, blank=True)
    options = models.JSONField(default=dict)
    read = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    outside = models.PositiveIntegerField(default=0)
    # The first MAX_REJECTED_REASONS rejected rows: [{"row": n, "reason": "..."}].
    rejected_rows = models.JSONField(default=list)
    # Other facts worth telling the analyst: encoding used, geometries repaired, CRS read, …
    notes = models.JSONField(default=dict)
    # A crime import deleted with the rows it stored (layers.import_delete): the job stays, so
    # the data page and the API still say what was imported, when, and that it is gone.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deleted_rows = models.PositiveIntegerField(null=True, blank=True)
    # Whether the crime rows this job stored record it (jobs run before that, migration 0012,
    # cannot be deleted: nothing tells their rows from others').
    rows_recorded = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["area", "-created_at"])]

    def counts_line(self) -> str:
        return (
            f"read: {self.read}, imported: {self.imported}, duplicates: {self.duplicates}, "
            f"rejected: {self.rejected}, outside: {self.outside}"
        )

    @property
    def deletable(self) -> bool:
        """Whether analysts may delete the import with its rows: finished crime imports."""
        return (
            self.kind == ImportKind.CRIME
            and self.status == RunStatus.DONE
            and self.deleted_at is None
            and self.rows_recorded
        )

    @property
    def warning(self) -> str:
        """What the analyst should check before using the data, or "": a crime import all of
        whose accepted rows lie outside the area is most likely the wrong file (another
        police force's) or meant for another area. The rows are stored like any others
        (docs/data-formats.md), and the import can be deleted."""
        accepted = self.imported + self.duplicates
        if not (self.deletable and self.imported and self.outside == accepted):
            return ""
        return ngettext(
            "The %(rows)s row of this import lies outside the area: is this the right file, "
            "and the right area? If not, delete the import.",
            "All %(rows)s rows of this import lie outside the area: is this the right file, "
            "and the right area? If not, delete the import.",
            accepted,
        ) % {"rows": accepted}
