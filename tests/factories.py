"""Small explicit test data: a 1 km square area near Malmö split into four blocks, and users."""

import itertools

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import MultiPolygon, Polygon

from geo.models import Area, Block, Membership, Role

PASSWORD = "test-pass-123"
_counter = itertools.count(1)

# About 1.1 km east-west and north-south at 55.6°N.
WEST, SOUTH, EAST, NORTH = 13.000, 55.600, 13.018, 55.610


def square(xmin, ymin, xmax, ymax) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((xmin, ymin, xmax, ymax)), srid=4326)


def make_area(slug=None, *, published=False, blocks=True, **fields) -> Area:
    slug = slug or f"area-{next(_counter)}"
    area = Area.objects.create(
        slug=slug,
        name=fields.pop("name", slug.title()),
        boundary=fields.pop("boundary", square(WEST, SOUTH, EAST, NORTH)),
        published=published,
        **fields,
    )
    if blocks:
        make_quadrant_blocks(area)
    return area


def make_quadrant_blocks(area: Area) -> list[Block]:
    """Four blocks: SW, SE, NW, NE quarters of the area's extent."""
    xmin, ymin, xmax, ymax = area.boundary.extent
    xmid, ymid = (xmin + xmax) / 2, (ymin + ymax) / 2
    cells = {
        "SW": (xmin, ymin, xmid, ymid),
        "SE": (xmid, ymin, xmax, ymid),
        "NW": (xmin, ymid, xmid, ymax),
        "NE": (xmid, ymid, xmax, ymax),
    }
    return [
        Block.objects.create(area=area, code=code, geom=square(*bounds), population=100)
        for code, bounds in cells.items()
    ]


def make_user(username=None, **fields):
    username = username or f"user-{next(_counter)}"
    return get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)


def make_member(area: Area, role: str, username=None):
    user = make_user(username)
    Membership.objects.create(user=user, area=area, role=role)
    return user


ROLES = [r.value for r in Role]
