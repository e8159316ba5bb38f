"""Spatial and permission-aware reads for areas and blocks."""

from django.contrib.gis.db import models
from django.contrib.gis.geos import Polygon
from django.core.cache import cache
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

# How long a process keeps an area's crime count for one crime data version. The version changes
# with every import (in its transaction), so this only bounds the memory of versions gone by.
CRIME_COUNT_SECONDS = 24 * 60 * 60


def count_of(model_path: str, field: str):
    """A correlated COUNT per row of the outer query, of the rows of `model_path` whose `field`
    is that row (an area's blocks, a walk's findings); separate subqueries avoid the row
    explosion of joins."""
    from django.apps import apps

    model = apps.get_model(model_path)
    counted = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
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
        """Areas with their numbers of blocks, walks and observations, and the version of their
        crime data, for `crime_counts_fill` to give them their number of crime incidents."""
        from geo.models import DataVersion

        version = DataVersion.objects.filter(area=OuterRef("pk"), layer="crime").values("version")
        return self.annotate(
            block_count=count_of("geo.Block", "area"),
            walk_count=count_of("walks.Walk", "area"),
            observation_count=count_of("walks.Observation", "walk__area"),
            crime_version=Coalesce(Subquery(version[:1]), 1),  # 1: never changed (data_versions)
        )


def crime_counts_fill(areas) -> None:
    """Set `crime_count` on each area of `with_counts()`.

    Counting an area's incidents reads every one of them (300,000 at scale 10: 75 ms of each
    request), and they change only with an import, which bumps the area's crime data version in
    its own transaction (as the admin does when it changes or deletes some). So the count is kept
    per area and crime version, and only the areas whose version this process has not counted
    yet are counted, in one query. The version is read before the count, so a count kept under
    a version is never older than it."""
    from layers.models import CrimeIncident

    keys = {area.pk: f"areas:crime-count:{area.pk}:{area.crime_version}" for area in areas}
    kept = cache.get_many(list(keys.values()))
    missing = [pk for pk, key in keys.items() if key not in kept]
    if missing:
        counted = dict(
            CrimeIncident.objects.filter(area__in=missing)
            .order_by()
            .values("area")
            .annotate(n=Count("pk"))
            .values_list("area", "n")
        )
        fresh = {keys[pk]: counted.get(pk, 0) for pk in missing}
        cache.set_many(fresh, timeout=CRIME_COUNT_SECONDS)
        kept |= fresh
    for area in areas:
        area.crime_count = kept[keys[area.pk]]


def crime_sources(area) -> list[str]:
    """The datasets `area`'s crime data came from (as each import named it, else its format:
    "police-uk"), for the printed map's data notice.

    Like the count (crime_counts_fill), they are read from every incident and change only with
    the crime data version, so they are kept per area and version."""
    from geo.models import DataVersion
    from layers.models import CrimeIncident

    version = DataVersion.objects.filter(area=area, layer="crime").values_list("version")
    key = f"areas:crime-sources:{area.pk}:{(version.first() or (1,))[0]}"
    sources = cache.get(key)
    if sources is None:
        sources = sorted(
            CrimeIncident.objects.filter(area=area)
            .order_by()
            .values_list("source_dataset", flat=True)
            .distinct()
        )
        cache.set(key, sources, timeout=CRIME_COUNT_SECONDS)
    return sources


class BlockQuerySet(models.QuerySet):
    def in_bbox(self, bbox: Polygon):
        return self.filter(geom__bboverlaps=bbox)

    def covering(self, point):
        return self.filter(geom__covers=point)
