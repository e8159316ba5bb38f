"""Serializers of the layers app's import and crime endpoints."""

from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from layers.importers.base import FORMATS
from layers.models import CrimeIncident, ImportJob, ImportKind


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField()
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    format = serializers.CharField(
        required=False,
        help_text=f"crime: one of {', '.join(FORMATS)}; blocks, lamps, survey: auto (default)",
    )
    map = serializers.CharField(required=False, help_text="lon=X,lat=Y,date=D,category=C[,id=…]")
    srid = serializers.CharField(required=False)
    delimiter = serializers.CharField(required=False, trim_whitespace=False)
    strict = serializers.BooleanField(required=False, default=False)
    timezone = serializers.CharField(required=False)
    dataset = serializers.CharField(required=False)
    precision = serializers.CharField(required=False)
    code_field = serializers.CharField(required=False)
    name_field = serializers.CharField(required=False)
    population_field = serializers.CharField(required=False)
    id_field = serializers.CharField(required=False)
    status_field = serializers.CharField(required=False)
    height_field = serializers.CharField(required=False)
    lumen_field = serializers.CharField(required=False)


class ImportJobSerializer(serializers.ModelSerializer):
    area = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    counts = serializers.SerializerMethodField()

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
            "counts",
            "read",
            "imported",
            "duplicates",
            "rejected",
            "outside",
            "rejected_rows",
            "notes",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_counts(self, job) -> str:
        return job.counts_line()


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
