"""Reference layers of an area: recorded crime, street lamps and survey results."""

from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from geo.models import Area, Block
from layers.categories import CrimeCategory


class LocationPrecision(models.TextChoices):
    EXACT = "exact", _("Exact")
    SNAPPED = "snapped", _("Snapped to an anonymised map point")
    BLOCK = "block", _("Shifted within the block")


class CrimeIncident(models.Model):
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="crime_incidents")
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
    source_key = models.CharField(max_length=200)
    precision = models.CharField(max_length=8, choices=LocationPrecision.choices)

    class Meta:
        indexes = [models.Index(fields=["area", "month"]), models.Index(fields=["area", "category"])]
        constraints = [
            models.UniqueConstraint(fields=["area", "source_key"], name="crime_once_per_area"),
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
            models.UniqueConstraint(fields=["block", "period"], name="survey_once_per_block_period"),
            models.CheckConstraint(
                condition=Q(share_unsafe__gte=0, share_unsafe__lte=1), name="survey_share_0_to_1"
            ),
        ]
