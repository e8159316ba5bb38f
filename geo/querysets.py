"""Spatial and permission-aware reads for areas and blocks."""

from django.contrib.gis.db import models
from django.contrib.gis.geos import Polygon
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce


def _count_of(model_path: str, area_field: str):
    """A correlated COUNT per area; separate subqueries avoid the row explosion of joins."""
    from django.apps import apps

    model = apps.get_model(model_path)
    counted = (
        model.objects.filter(**{area_field: OuterRef("pk")})
        .order_by()
        .values(area_field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class AreaQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Areas the user is a member of, plus published ones; all of them for superusers."""
        if user and user.is_authenticated:
            if user.is_superuser:
                return self.all()
            return self.filter(Q(published=True) | Q(memberships__user=user)).distinct()
        return self.filter(published=True)

    def with_counts(self):
        return self.annotate(
            block_count=_count_of("geo.Block", "area"),
            walk_count=_count_of("walks.Walk", "area"),
            observation_count=_count_of("walks.Observation", "walk__area"),
            crime_count=_count_of("layers.CrimeIncident", "area"),
        )


class BlockQuerySet(models.QuerySet):
    def in_bbox(self, bbox: Polygon):
        return self.filter(geom__bboverlaps=bbox)

    def covering(self, point):
        return self.filter(geom__covers=point)
