"""Spatial and permission-aware reads for areas and blocks."""

from django.contrib.gis.db import models
from django.contrib.gis.geos import Polygon
from django.db.models import Q


class AreaQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Areas the user is a member of, plus published ones; all of them for superusers."""
        if user and user.is_authenticated:
            if user.is_superuser:
                return self.all()
            return self.filter(Q(published=True) | Q(memberships__user=user)).distinct()
        return self.filter(published=True)


class BlockQuerySet(models.QuerySet):
    def in_bbox(self, bbox: Polygon):
        return self.filter(geom__bboverlaps=bbox)

    def covering(self, point):
        return self.filter(geom__covers=point)
