"""GeoJSON written around the geometry text PostGIS gives (ST_AsGeoJSON), never parsed and
written out again. For thousands of block outlines the parsing and re-encoding were most of an
answer's time: DRF's serializer took 3.5 s for the demo's 14,722 blocks, GEOS → OGR → JSON
twice a block (docs/benchmarks.md)."""

import json
from collections.abc import Iterable

from django.contrib.gis.db.models.functions import AsGeoJSON
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Func

# 7 decimals of a degree: about 1 cm, as the exports write.
PRECISION = 7


def geojson_of(field: str) -> AsGeoJSON:
    """A geometry column as GeoJSON text in WGS 84, polygons wound by the right-hand rule
    (RFC 7946), as the exports write them."""
    return AsGeoJSON(Func(field, function="ST_ForcePolygonCCW"), precision=PRECISION)


def feature(feature_id, geometry: str | None, properties: dict) -> str:
    return (
        f'{{"type": "Feature", "id": {json.dumps(feature_id)}, "geometry": {geometry or "null"}, '
        f'"properties": {json.dumps(properties, cls=DjangoJSONEncoder)}}}'
    )


def feature_collection(features: Iterable[str]) -> str:
    return '{"type": "FeatureCollection", "features": [' + ",\n".join(features) + "]}"


class Written(str):
    """JSON text already written (a geometry as PostGIS gave it, a list put together): put into
    `json_object` as it is."""


# As DRF's JSONRenderer writes its answers: compact, UTF-8 rather than \u escapes, no NaN.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def json_object(fields: dict) -> str:
    """`fields` as a JSON object written as DRF writes one, in their order; `Written` values go
    in as they are. The plain values between them are encoded together, in about half the time
    of encoding each value alone (5 ms rather than 9 for a walk list's 600 objects)."""
    parts, plain = [], {}
    for key, value in fields.items():
        if isinstance(value, Written):
            if plain:
                parts.append(_COMPACT.encode(plain)[1:-1])
                plain = {}
            parts.append(f"{_COMPACT.encode(key)}:{value}")
        else:
            plain[key] = value
    if plain:
        parts.append(_COMPACT.encode(plain)[1:-1])
    return "{" + ",".join(parts) + "}"


def json_list(items: Iterable[str]) -> Written:
    return Written("[" + ",".join(items) + "]")


def as_drf_writes(text: str) -> str:
    """DRF's JSONRenderer escapes U+2028 and U+2029, which a JavaScript engine before ES2019
    read as line ends inside a string: a walk's name may hold one."""
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
