"""The map's sprite: one symbol per observation kind, a shape of its own in the kind's colour.

Colour alone does not tell twelve kinds apart for a reader with a colour vision deficiency (two
pairs are close for red-blind readers) or on a tablet in sunlight (WCAG 1.4.1, use of colour),
so every kind also has a shape: the style draws findings with these symbols, and the planner
map's legend, popups and lists show the same ones. A sprite is MapLibre's own format (a PNG
sheet and a JSON index, at pixel ratios 1 and 2), so QGIS and any MapLibre client draw the
style as the planner map does.

The sheet is drawn with Pillow once per process: four times over and scaled down, for smooth
edges, with a white outline that keeps a symbol legible on every block colour.
"""

import hashlib
import io
import json
import math
from functools import cache

from PIL import Image, ImageDraw

# One colour per kind, told apart at a glance on the map and in its legend: hues far apart, and
# where two kinds share a hue (the blues, the greys, the greens) lightness differs. Lighting
# defects are orange, apart from the lamps' yellow; positive kinds green.
KIND_COLOURS = {
    "unsafe_spot": "#d62728",
    "lighting_defect": "#ff7f0e",
    "blocked_sightline": "#7b3294",
    "neglect": "#8c564b",
    "vandalism": "#e7298a",
    "hiding_place": "#4d4d4d",
    "drug_dealing": "#08306b",
    "disturbance": "#4292c6",
    "poor_walk_path": "#17becf",
    "other": "#b3b3b3",
    "safe_place": "#1b7837",
    "meeting_place": "#7fbc41",
}

SIZE = 24  # px at pixel ratio 1: a finding of the highest severity
SUPERSAMPLE = 4
OUTLINE = 1.5  # px at pixel ratio 1, as the circles' stroke was
FALLBACK = "other"  # a kind added to the taxonomy after the sprite was drawn
# Its colour where a kind has none of its own (an area's own kinds).
FALLBACK_COLOUR = "#737373"


def _regular(corners: int, turn: float = -90, radius: float = 1.0) -> list[tuple[float, float]]:
    step = 360 / corners
    return [
        (
            radius * math.cos(math.radians(turn + i * step)),
            radius * math.sin(math.radians(turn + i * step)),
        )
        for i in range(corners)
    ]


def _star(points: int, inner: float) -> list[tuple[float, float]]:
    outer = _regular(points)
    within = _regular(points, turn=-90 + 180 / points, radius=inner)
    return [corner for pair in zip(outer, within, strict=True) for corner in pair]


def _cross(diagonal: bool) -> list[tuple[float, float]]:
    arm = 0.36
    plus = [
        (-arm, -1), (arm, -1), (arm, -arm), (1, -arm), (1, arm), (arm, arm),
        (arm, 1), (-arm, 1), (-arm, arm), (-1, arm), (-1, -arm), (-arm, -arm),
    ]  # fmt: skip
    if not diagonal:
        return plus
    cos = sin = math.sqrt(0.5)
    return [(x * cos - y * sin, x * sin + y * cos) for x, y in plus]


# Outlines in a unit box (-1…1, y down). Chosen so that no two are alike at 14 px: the warning
# triangle for unsafe spots, a burst for lighting, the positive kinds rounded or house-shaped.
SHAPES: dict[str, list[tuple[float, float]] | str] = {
    "unsafe_spot": [(0, -1), (1, 0.8), (-1, 0.8)],
    "lighting_defect": _star(8, 0.5),
    "blocked_sightline": [(0, -1), (1, 0), (0, 1), (-1, 0)],
    "neglect": [(-0.8, -0.8), (0.8, -0.8), (0.8, 0.8), (-0.8, 0.8)],
    "vandalism": _cross(diagonal=True),
    "hiding_place": [(-1, -0.8), (1, -0.8), (0, 1)],
    "drug_dealing": _regular(6, turn=0),
    "disturbance": _star(4, 0.4),
    "poor_walk_path": [(-1, -0.45), (1, -0.45), (1, 0.45), (-1, 0.45)],
    "other": "disc",
    "safe_place": [
        (0, -1),
        (1, -0.15),
        (0.75, -0.15),
        (0.75, 0.9),
        (-0.75, 0.9),
        (-0.75, -0.15),
        (-1, -0.15),
    ],
    "meeting_place": "ring",
}


def _symbol(shape, colour: str, pixels: int) -> Image.Image:
    big = pixels * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    outline = OUTLINE * big / SIZE
    half = big / 2
    reach = half - outline  # the outline stays inside the symbol's box
    if isinstance(shape, str):  # the disc and the ring
        box = [half - reach, half - reach, half + reach, half + reach]
        draw.ellipse(box, fill="white")
        inset = [v + (outline if i < 2 else -outline) for i, v in enumerate(box)]
        draw.ellipse(inset, fill=colour)
        if shape == "ring":  # a see-through hole in a white rim, unlike the disc's silhouette
            rim, hole = reach * 0.45 + outline, reach * 0.45
            draw.ellipse([half - rim, half - rim, half + rim, half + rim], fill="white")
            draw.ellipse([half - hole, half - hole, half + hole, half + hole], fill=(0, 0, 0, 0))
    else:
        corners = [(half + x * reach, half + y * reach) for x, y in shape]
        draw.polygon(corners, fill=colour, outline="white", width=round(outline))
    return image.resize((pixels, pixels), Image.Resampling.LANCZOS)


def image_name(kind: str) -> str:
    return f"kind-{kind}"


@cache
def sprite(ratio: int) -> tuple[bytes, bytes]:
    """The sheet (PNG) and its index (JSON) at a pixel ratio of 1 or 2: the symbols in a row."""
    pixels = SIZE * ratio
    sheet = Image.new("RGBA", (pixels * len(SHAPES), pixels), (0, 0, 0, 0))
    index = {}
    for i, (kind, shape) in enumerate(SHAPES.items()):
        sheet.paste(_symbol(shape, KIND_COLOURS[kind], pixels), (i * pixels, 0))
        index[image_name(kind)] = {
            "x": i * pixels,
            "y": 0,
            "width": pixels,
            "height": pixels,
            "pixelRatio": ratio,
        }
    png = io.BytesIO()
    sheet.save(png, format="PNG", optimize=True)
    return png.getvalue(), json.dumps(index, sort_keys=True).encode()


@cache
def version() -> str:
    """Changes with any symbol: part of the sprite's URL, so a browser never mixes two."""
    digest = hashlib.sha256()
    for ratio in (1, 2):
        digest.update(sprite(ratio)[0])
    return digest.hexdigest()[:12]


def symbol_index(kind: str) -> int:
    """The kind's place on the sheet (symbols in a row), for the planner map's legend."""
    kinds = list(SHAPES)
    return kinds.index(kind if kind in SHAPES else FALLBACK)
