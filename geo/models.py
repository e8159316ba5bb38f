"""Areas, their blocks and who may do what in them."""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import Transform
from django.core.validators import MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from geo.crs import utm_srid_for
from geo.querysets import AreaQuerySet, BlockQuerySet


class Role(models.TextChoices):
    PARTICIPANT = "participant", _("Participant")
    PLANNER = "planner", _("Planner")
    ANALYST = "analyst", _("Analyst")
    COORDINATOR = "coordinator", _("Coordinator")


class Area(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    boundary = models.MultiPolygonField(srid=4326, null=True, blank=True)
    analysis_srid = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Metric CRS for analysis (EPSG code). Empty: the UTM zone of the boundary."),
    )
    default_language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    published = models.BooleanField(
        default=False, help_text=_("Anonymous visitors may see aggregates of a published area.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(boundary__isnull=True) | Q(boundary__isvalid=True),
                name="area_boundary_valid",
            )
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.analysis_srid is None and self.boundary is not None:
            self.analysis_srid = utm_srid_for(self.boundary)
        super().save(*args, **kwargs)


class Block(models.Model):
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="blocks")
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    # Multi-part so that a statistical unit split by a road or water stays one block.
    geom = models.MultiPolygonField(srid=4326)
    # The same in Web Mercator, kept by PostgreSQL, for the blocks tiles: projecting some ten
    # thousand blocks for each low-zoom tile was a quarter of its statement (docs/tiles.md).
    # Spatial filters still use `geom` and its index.
    geom_mercator = models.GeneratedField(
        expression=Transform("geom", 3857),
        output_field=models.MultiPolygonField(srid=3857, spatial_index=False),
        db_persist=True,
    )
    population = models.PositiveIntegerField(null=True, blank=True)

    objects = BlockQuerySet.as_manager()

    class Meta:
        ordering = ["area", "code"]
        constraints = [
            models.UniqueConstraint(fields=["area", "code"], name="block_code_unique_in_area"),
            models.CheckConstraint(condition=Q(geom__isvalid=True), name="block_geom_valid"),
        ]

    def __str__(self):
        return f"{self.area.slug}/{self.code}"


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["area", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "area"], name="one_role_per_user_and_area"),
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in Role]), name="membership_role_known"
            ),
        ]

    def __str__(self):
        return f"{self.user} as {self.role} in {self.area.slug}"


class DataVersion(models.Model):
    """A counter per area and layer, bumped whenever that layer's data changes.

    Tiles and exports derive their ETags from it, so caches are never stale.
    """

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="data_versions")
    layer = models.CharField(max_length=32)
    version = models.PositiveBigIntegerField(default=1, validators=[MinValueValidator(1)])
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area", "layer"], name="one_version_per_area_layer")
        ]


class AuditEntry(models.Model):
    """Who read or exported exact crime points, or deleted a finding or a photo, and when:
    sensitive reads and deletions leave a trace."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    username = models.CharField(max_length=150)  # kept when the user is deleted
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="audit_entries")
    action = models.CharField(max_length=40)  # e.g. crime.read, crime.export
    detail = models.JSONField(default=dict)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "audit entries"
