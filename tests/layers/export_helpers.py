"""Reading exports back the way a designer's tools do: GDAL (pyogrio) and shapely."""

import json
import tempfile
from pathlib import Path

import pytest
import shapely
from pyogrio import raw as ogr


@pytest.fixture(autouse=True, name="fast_passwords")
def fast_passwords_fixture(settings):
    # Users are made in every test; the default hasher would spend most of the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def geojson_of(response) -> dict:
    assert response.status_code == 200, response.content
    return json.loads(body_of(response))


def by_id(collection: dict) -> dict:
    return {f["id"]: f for f in collection["features"]}


def read_with_gdal(response_or_bytes, suffix: str):
    """(info, geometries, {field: values}) of the export, read by GDAL from a real file."""
    data = response_or_bytes
    if not isinstance(data, bytes):
        assert data.status_code == 200, getattr(data, "content", b"")
        data = body_of(data)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"export{suffix}"
        path.write_bytes(data)
        meta, _, wkb, values = ogr.read(str(path))
    geoms = shapely.from_wkb(wkb) if wkb is not None else None
    return meta, geoms, dict(zip(meta["fields"], values, strict=True))
