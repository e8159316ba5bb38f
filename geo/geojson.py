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
