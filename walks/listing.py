"""An area's walks as the walks API lists them, written around the text PostGIS gives.

WalkSerializer took 0.3–0.6 s for an area's 600 walks (docs/benchmarks.md): a third of it making
a User of each of their 4,800 participants for the prefetch, most of the rest DRF's fields walk
by walk and a GEOS line made of each route and written out again.
Here one query gives each walk's route as GeoJSON text, its participants and its number of
findings, and Python only puts the text together, as the blocks and crime points are written
(geo.geojson). The JSON is WalkSerializer's field for field, in its order
(tests/walks/test_walk_list_json.py holds the two equal); a walk alone, and the browsable API,
still come from the serializer.
"""

from collections.abc import Iterable, Iterator

from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.db.models import CharField, OuterRef, Value
from django.urls import reverse
from django.utils import timezone
from rest_framework.fields import DateTimeField

from geo.geojson import Written, json_object
from geo.querysets import count_of
from walks.models import Walk
from walks.serializers import walk_etag_of

# walks.views.walks_with_counts orders the same way: the serializer's list and pages.
LATEST_FIRST = ("-starts_at", "id")

# Decimals of a route's coordinates. PostGIS (≥ 3.1) writes the shortest text that reads back as
# the same double, as Python's repr does for the serializer's route: at 15 the text is the same.
ROUTE_DECIMALS = 15

ROW = (
    "pk",
    "name",
    "route_json",
    "starts_at",
    "ends_at",
    "light",
    "status",
    "closed_at",
    "version",
    "participant_ids",
    "participant_names",
    "observation_count",
)


def walk_rows(walks, *, names: bool):
    """`walks` (a queryset) as rows of ROW, latest first. Participants' usernames only with
    `names` (those who plan walks see them)."""
    participants = Walk.participants.through.objects.filter(walk_id=OuterRef("pk")).order_by()
    return (
        walks.annotate(
            route_json=AsGeoJSON("route", precision=ROUTE_DECIMALS),
            participant_ids=ArraySubquery(participants.values("user_id")),
            participant_names=(
                ArraySubquery(participants.values("user__username"))
                if names
                else Value(None, output_field=ArrayField(CharField()))
            ),
            observation_count=count_of("walks.Observation", "walk"),
        )
        .order_by(*LATEST_FIRST)
        .values_list(*ROW)
    )


def walks_json(rows: Iterable[tuple], *, area_slug: str, user_id: int | None) -> Iterator[str]:
    """Each walk of `rows` (walk_rows) as WalkSerializer writes it for user `user_id`."""
    # DRF's ISO 8601 in the current time zone, looked up once rather than for every value.
    when = DateTimeField(default_timezone=timezone.get_current_timezone()).to_representation
    capture_url = reverse("walk-capture", args=[0]).replace("/0/", "/{id}/")
    for (
        pk,
        name,
        route,
        starts_at,
        ends_at,
        light,
        status,
        closed_at,
        version,
        participant_ids,
        participant_names,
        observation_count,
    ) in rows:
        yield json_object(
            {
                "id": pk,
                "area": area_slug,
                "name": name,
                "route": Written(route or "null"),
                "starts_at": when(starts_at),
                "ends_at": when(ends_at),
                "light": light,
                "status": status,
                "closed_at": when(closed_at),
                # Sorted here, as the serializer sorts them: the database's collation may not.
                "participant_names": (
                    None if participant_names is None else sorted(participant_names)
                ),
                "participant_count": len(participant_ids),
                "you_participate": user_id in participant_ids,
                "observation_count": observation_count,
                "capture_url": capture_url.format(id=pk),
                "etag": walk_etag_of(pk, version),
            }
        )
