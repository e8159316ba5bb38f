"""Every observation kind has a symbol of its own shape in the style's sprite (tiles/sprite.py)."""

import io
import json
from itertools import combinations

import pytest
from PIL import Image, ImageChops

from geo.models import Role
from tiles import sprite
from walks.models import ObservationKind

pytestmark = pytest.mark.django_db


def sheet(client, suffix=""):
    base = f"/tiles/sprite/{sprite.version()}{suffix}"
    index = client.get(f"{base}.json")
    png = client.get(f"{base}.png")
    assert index.status_code == png.status_code == 200
    assert png["Content-Type"] == "image/png"
    return json.loads(index.content), Image.open(io.BytesIO(png.content))


def test_every_kind_of_the_taxonomy_has_a_symbol(client):
    index, image = sheet(client)
    codes = set(ObservationKind.objects.values_list("code", flat=True))
    assert codes and {f"kind-{code}" for code in codes} <= set(index)
    for entry in index.values():
        assert entry["pixelRatio"] == 1
        assert entry["x"] + entry["width"] <= image.width
        assert entry["y"] + entry["height"] <= image.height


def test_the_2x_sheet_has_the_same_symbols_twice_the_size(client):
    index, image = sheet(client)
    index2, image2 = sheet(client, "@2x")
    assert index2.keys() == index.keys()
    assert image2.size == (2 * image.width, 2 * image.height)
    assert all(index2[name]["width"] == 2 * index[name]["width"] for name in index)


def masks(index, image):
    """Each symbol's silhouette: where it is opaque, whatever its colour."""
    return {
        name: image.crop((e["x"], e["y"], e["x"] + e["width"], e["y"] + e["height"]))
        .getchannel("A")
        .point(lambda a: 255 if a > 127 else 0)
        for name, e in index.items()
    }


def test_no_two_kinds_share_a_shape(client):
    """Told apart without their colours (a red-blind reader, a grey printout)."""
    shapes = masks(*sheet(client, "@2x"))
    for (a, mask_a), (b, mask_b) in combinations(shapes.items(), 2):
        differing = ImageChops.difference(mask_a, mask_b).histogram()[255]
        assert differing > 0.05 * mask_a.width * mask_a.height, (a, b)


def test_the_sprite_is_cached_for_good_only_at_its_current_address(client):
    current = client.get(f"/tiles/sprite/{sprite.version()}.png")
    assert "immutable" in current["Cache-Control"]
    earlier = client.get("/tiles/sprite/000000000000.png")
    assert earlier.status_code == 200
    assert earlier["Cache-Control"] == "no-cache"
    assert client.get("/tiles/sprite/nothex.png").status_code == 404


def test_the_style_draws_findings_with_the_symbols(client_for, member, area):
    style = client_for(member(Role.PLANNER)).get("/tiles/testarea/style.json").json()
    assert style["sprite"].endswith(f"/tiles/sprite/{sprite.version()}")
    points = next(layer for layer in style["layers"] if layer["id"] == "observations-points")
    assert points["type"] == "symbol"
    assert "kind" in json.dumps(points["layout"]["icon-image"])


def test_a_style_without_findings_fetches_no_sprite(client, area):
    area.published = True  # the public sees blocks, crime aggregates and lamps
    area.save()
    style = client.get("/tiles/testarea/style.json").json()
    assert "observations" not in style["sources"]
    assert "sprite" not in style
