"""Shapes of the analysis API, for the OpenAPI schema (the views build the bodies themselves)."""

from rest_framework import serializers

from layers.serializers import STALLED, UNCLAIMED


class AnalysisRequestSerializer(serializers.Serializer):
    # "from" is a Python keyword, so the field is declared below under its JSON name.
    to = serializers.CharField(required=False, help_text="last month, YYYY-MM")
    categories = serializers.ListField(child=serializers.CharField(), required=False)
    variable = serializers.ChoiceField(["count", "density", "rate"], required=False)
    weights = serializers.ChoiceField(["queen", "distance", "knn"], required=False)
    permutations = serializers.IntegerField(required=False, min_value=0)
    seed = serializers.IntegerField(required=False)
    fdr = serializers.BooleanField(required=False)


AnalysisRequestSerializer._declared_fields["from"] = serializers.CharField(
    required=False, help_text="first month, YYYY-MM"
)


class AnalysisSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    area = serializers.CharField()
    status = serializers.ChoiceField(["queued", "running", "done", "failed", "stopped"])
    progress = serializers.FloatField()
    progress_at = serializers.DateTimeField(
        allow_null=True, help_text="When the worker last reported progress (or started the run)."
    )
    stalled = serializers.BooleanField(help_text=STALLED)
    unclaimed = serializers.BooleanField(help_text=UNCLAIMED)
    parameters = serializers.DictField()
    seed = serializers.IntegerField()
    data_fingerprint = serializers.CharField()
    figures = serializers.DictField()
    timings = serializers.DictField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    stop_requested_at = serializers.DateTimeField(
        allow_null=True, help_text="When an analyst asked to stop the run (POST …/stop/)."
    )
    pinned = serializers.BooleanField(help_text="Pinned by an analyst for the area's map.")
    shown = serializers.BooleanField(
        help_text="The run the area's map, tiles, exports and reports show now: the pinned one,"
        " else the latest finished."
    )
    blocks = serializers.URLField()
    rasters = serializers.DictField(child=serializers.URLField())
