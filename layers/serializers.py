"""Serializers of the layers app's import and crime endpoints."""

from django.urls import reverse
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from layers.importers.base import FORMATS
from layers.models import CrimeIncident, ImportJob, ImportKind

# What an import's and an analysis's `stalled` and `unclaimed` say (layers/jobs.py).
STALLED = "Running, but no progress reported for 15 minutes: the worker may be stuck."
UNCLAIMED = "Queued for over 2 minutes while no worker was at work: no worker may be running."


def _option(**kwargs):
    """An optional text option of an import; empty means not given, as an HTML form sends it."""
    return serializers.CharField(required=False, allow_blank=True, **kwargs)


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    format = _option(
        help_text=f"crime: one of {', '.join(FORMATS)}; blocks, lamps, survey: auto (default)",
    )
    map = _option(help_text="lon=X,lat=Y,date=D,category=C[,id=…]")
    srid = _option()
    layer = _option(help_text="the layer to import from a GeoPackage holding several")
    delimiter = _option(trim_whitespace=False)
    strict = serializers.BooleanField(required=False, default=False)
    timezone = _option()
    dataset = _option()
    precision = _option()
    code_field = _option()
    name_field = _option()
    population_field = _option()
    id_field = _option()
    status_field = _option()
    height_field = _option()
    lumen_field = _option()


class ImportJobSerializer(serializers.ModelSerializer):
    area = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    counts = serializers.SerializerMethodField()
    # What to check before using the data (all rows outside the area), or "".
    warning = serializers.SerializerMethodField()
    # Whether DELETE takes the import away with its rows (finished crime imports).
    deletable = serializers.BooleanField(read_only=True)
    stalled = serializers.BooleanField(read_only=True, help_text=STALLED)
    unclaimed = serializers.BooleanField(read_only=True, help_text=UNCLAIMED)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "area",
            "kind",
            "format",
            "file_name",
            "status",
            "progress",
            "progress_at",
            "stalled",
            "unclaimed",
            "counts",
            "read",
            "imported",
            "duplicates",
            "rejected",
            "outside",
            "rejected_rows",
            "notes",
            "error",
            "warning",
            "created_at",
            "started_at",
            "finished_at",
            "stop_requested_at",
            "deletable",
            "deleted_at",
            "deleted_rows",
        ]

    def get_counts(self, job) -> str:
        return job.counts_line()

    def get_warning(self, job) -> str:
        return job.warning


class JobStateSerializer(serializers.Serializer):
    """Where one of an area's imports or analyses stands: its state, not its report (the job's
    own URL gives that)."""

    id = serializers.IntegerField(read_only=True)
    status = serializers.CharField(read_only=True)
    progress = serializers.FloatField(read_only=True)
    progress_at = serializers.DateTimeField(read_only=True, allow_null=True)
    stalled = serializers.BooleanField(read_only=True, help_text=STALLED)
    unclaimed = serializers.BooleanField(read_only=True, help_text=UNCLAIMED)
    created_at = serializers.DateTimeField(read_only=True)
    started_at = serializers.DateTimeField(read_only=True, allow_null=True)
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)
    stop_requested_at = serializers.DateTimeField(read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()

    def get_url(self, job) -> str:
        name = "import-detail" if isinstance(job, ImportJob) else "analysis-detail"
        return self.context["request"].build_absolute_uri(reverse(name, args=[job.pk]))


class ImportStateSerializer(JobStateSerializer):
    read = serializers.IntegerField(
        read_only=True,
        help_text="rows read: so far while it runs (with its progress), all once done",
    )


class ShownRunSerializer(serializers.Serializer):
    """The analysis the area's map shows (layers.analysis.results.analysis_shown)."""

    id = serializers.IntegerField(read_only=True)
    pinned = serializers.BooleanField(
        read_only=True, help_text="chosen by an analyst: new analyses do not replace it"
    )


class AreaJobsSerializer(serializers.Serializer):
    imports = ImportStateSerializer(many=True, read_only=True)
    analyses = JobStateSerializer(many=True, read_only=True)
    on_the_map = ShownRunSerializer(
        read_only=True,
        allow_null=True,
        help_text="the analysis the map shows: the pinned one, else the latest finished; null"
        " while none has finished",
    )


class SurveyRoundSerializer(serializers.Serializer):
    """One survey period of an area (layers.import_delete.SurveyRound)."""

    period = serializers.CharField(read_only=True)
    blocks = serializers.IntegerField(read_only=True, help_text="blocks with results for it")
    respondents = serializers.IntegerField(read_only=True, help_text="their respondents, summed")


class CrimeIncidentSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = CrimeIncident
        geo_field = "geom"
        fields = [
            "id",
            "month",
            "occurred_at",
            "category",
            "original_category",
            "precision",
            "source_dataset",
            "source_id",
            "reported_block_code",
        ]
