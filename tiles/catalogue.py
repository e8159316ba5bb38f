"""The tile layers: what each one shows to whom, which data versions it depends on, which
filters it takes and which attributes it carries (for TileJSON and the style)."""

import json
from dataclasses import dataclass
from functools import lru_cache

from geo.access import Access, access_with_role
from geo.models import Area, Role

# Analysts see single incidents from this zoom on; below it a point per block is readable.
CRIME_POINTS_MINZOOM = 15
MAX_ZOOM = 22
# Modes that answer without a tile: the area does not exist for the user, or the layer is not
# theirs to see.
HIDDEN, FORBIDDEN = "hidden", "forbidden"


@dataclass(frozen=True)
class TileLayer:
    name: str
    versions: tuple[str, ...]
    filters: tuple[str, ...]
    fields: dict[str, str]
    minzoom: int = 10


LAYERS = {
    layer.name: layer
    for layer in (
        TileLayer(
            "blocks",
            versions=("analysis", "blocks"),
            filters=(),
            fields={
                "code": "String",
                "class": "String: both_high | fear_exceeds_crime | crime_exceeds_fear | both_low",
                "crime_gi_bin": "Number: -3…3",
                "insecurity_gi_bin": "Number: -3…3",
                "insecurity_index": "Number",
                "crime_value": "Number (suppressed below the minimum count for non-analysts)",
            },
        ),
        TileLayer(
            "crime",
            versions=("blocks", "crime"),
            filters=("from", "to", "category"),
            fields={
                "count": "Number: incidents assigned to the block (aggregated tiles)",
                "category": "String (analysts' point tiles)",
                "month": "String YYYY-MM (analysts' point tiles)",
            },
        ),
        TileLayer(
            "observations",
            versions=("observations", "walks"),
            filters=("from", "to", "kind", "light", "follow_up", "walk"),
            fields={
                "kind": "String",
                "severity": "Number 1–5",
                "feeling": "Number 1–5",
                "settled": "Number: 1 when followed up as fixed or no action, else absent",
            },
        ),
        TileLayer(
            "walks",
            versions=("walks",),
            filters=("from", "to", "light", "walk"),
            fields={"light": "String: day | night", "status": "String"},
        ),
        TileLayer("lamps", versions=("lamps",), filters=(), fields={"status": "String"}),
    )
}


def layer_mode(layer: str, access: Access, z: int) -> str:
    """What `access` shows of `layer` at zoom `z`; the mode also keys caches and ETags."""
    if not access.can("view_area"):
        return HIDDEN
    if layer == "blocks":
        if access.sees_crime_points:
            return "exact"
        return "suppressed" if access.can("view_layers") else "geometry"
    if layer == "crime":
        if not access.can("view_layers"):
            return FORBIDDEN
        if access.sees_crime_points:
            return "points" if z >= CRIME_POINTS_MINZOOM else "counts"
        return "suppressed"
    if layer in ("observations", "walks"):
        return "full" if access.can("view_walk_layers") else FORBIDDEN
    if layer == "lamps":
        return "full" if access.can("view_layers") else FORBIDDEN
    raise KeyError(layer)


@lru_cache(maxsize=256)
def mode_table(layer: str, z: int) -> dict[str, str]:
    """(role, published, superuser) → (mode, Access.cache_key) for every role and for none, as
    one JSON array bound to the tile statement's p_modes (one text parameter: binding the
    table as five arrays cost a third of a revalidation's Python time).

    Built from geo.access for an area that is or is not published, so the tile statement can
    look the requester and the role up itself and still apply exactly the API's rule.
    """
    table = []
    for role in [None, *Role.values]:
        for is_published in (False, True):
            for is_superuser in (False, True):
                area = Area(published=is_published)
                access = access_with_role(area, role, is_superuser=is_superuser)
                table.append(
                    {
                        "role": role,
                        "published": is_published,
                        "superuser": is_superuser,
                        "mode": layer_mode(layer, access, z),
                        "view": access.cache_key,
                    }
                )
    return {"p_modes": json.dumps(table)}
