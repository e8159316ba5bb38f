from rest_framework import serializers

from walks.models import ObservationKind


class ObservationKindSerializer(serializers.ModelSerializer):
    labels = serializers.SerializerMethodField()
    label = serializers.SerializerMethodField()
    polarity = serializers.CharField(read_only=True)
    area = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = ObservationKind
        fields = ["code", "label", "labels", "geometry_types", "polarity", "positive", "area"]

    def get_labels(self, kind) -> dict[str, str]:
        return {"en": kind.label_en, "sv": kind.label_sv, "da": kind.label_da}

    def get_label(self, kind) -> str:
        return kind.label()
