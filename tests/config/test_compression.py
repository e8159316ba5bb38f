"""Data answers are gzipped for clients that accept it; pages are not (BREACH)."""

import gzip
import json

import pytest
from django.test import Client

from geo.models import Role
from tests.factories import make_member
from tests.layers.test_import_api import make_incidents

pytestmark = pytest.mark.django_db

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def body(response) -> bytes:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Encoding") == "gzip":
        return gzip.decompress(content)
    return content


def test_the_crime_points_come_gzipped_and_whole(client_for, area):
    make_incidents(area, 40)
    analyst = client_for(make_member(area, Role.ANALYST))
    plain = analyst.get("/api/areas/testarea/crime/")
    packed = analyst.get("/api/areas/testarea/crime/", **GZIP)
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"] and "Accept-Encoding" in plain["Vary"]
    assert len(packed.content) < len(plain.content) / 3
    assert int(packed["Content-Length"]) == len(packed.content)
    assert json.loads(body(packed)) == json.loads(plain.content)


def test_a_streamed_export_is_gzipped_as_it_streams(client_for, area):
    make_incidents(area, 40)
    analyst = client_for(make_member(area, Role.ANALYST))
    for name in ("crime.csv", "crime.geojson"):
        url = f"/api/areas/testarea/export/{name}"
        plain, packed = analyst.get(url), analyst.get(url, **GZIP)
        assert packed.streaming and packed["Content-Encoding"] == "gzip"
        assert "Content-Length" not in packed
        assert body(packed) == body(plain)


def test_pages_are_not_compressed(area):
    browser = Client()
    browser.force_login(make_member(area, Role.PLANNER))
    page = browser.get("/map/testarea/", **GZIP)
    assert page.status_code == 200
    assert "Content-Encoding" not in page


def test_small_answers_stay_as_they_are(client):
    small = client.get("/healthz", **GZIP)
    assert small.status_code == 200 and "Content-Encoding" not in small
