"""Hostile input: each attack gets a clear 4xx (or is harmless) and changes nothing."""

import json
import math

import pytest
from django.db import connection

from layers.models import CrimeIncident
from tests.tiles.layered import fill_every_layer
from tests.walks.helpers import INSIDE, item, make_walk, sync
from walks.models import Observation

pytestmark = pytest.mark.django_db

INJECTIONS = [
    "1,2,3,4); DROP TABLE geo_block; --",
    "2025-01' OR '1'='1",
    "'; DELETE FROM layers_crimeincident; --",
    "burglary') OR 1=1 --",
]


@pytest.fixture
def analyst(member, area):
    fill_every_layer(area)
    return member("analyst")


def table_counts():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM geo_block), (SELECT count(*) FROM layers_crimeincident)"
        )
        return cursor.fetchone()


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize(
    "url",
    [
        "/api/areas/testarea/blocks/?bbox={p}",
        "/api/areas/testarea/crime/?bbox={p}",
        "/api/areas/testarea/crime/?from={p}",
        "/api/areas/testarea/export/crime.geojson?category={p}",
        "/api/areas/testarea/export/observations.csv?kind={p}&from={p}",
        "/tiles/testarea/crime/9/274/160.mvt?category={p}",
        "/tiles/testarea/observations/9/274/160.mvt?kind={p}&to={p}",
        "/ogc/collections/testarea-crime/items?bbox={p}&datetime={p}",
    ],
)
def test_sql_injection_through_filters_is_refused_or_inert(client_for, analyst, url, payload):
    before = table_counts()
    response = client_for(analyst).get(url.format(p=payload))
    assert response.status_code in (200, 204, 400), response.content[:300]
    if response.status_code == 200 and "crime" in url and "geojson" in url:
        # an unknown category matches nothing rather than everything
        assert json.loads(b"".join(response.streaming_content))["features"] == []
    assert table_counts() == before


@pytest.mark.parametrize(
    "url",
    [
        "/api/kinds/?area=demo%00x",
        "/api/areas/?bbox=1,2,3,4%00",
        "/tiles/testarea/crime/9/274/160.mvt?category=burglary%00",
        "/ogc/collections?f=json%00",
    ],
)
def test_a_nul_character_in_a_query_parameter_is_a_400(client_for, analyst, url):
    """PostgreSQL text cannot hold NUL: found by the API fuzzer as a 500 from /api/kinds/."""
    response = client_for(analyst).get(url)
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_an_unknown_path_with_a_nul_in_its_query_is_still_a_404(client_for, analyst):
    assert client_for(analyst).get("/api/nowhere/?x=%00").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/tiles/testarea/raster/..%2F..%2Fsettings/9/274/160.png",
        "/tiles/testarea/raster/%2e%2e/9/274/160.png",
        "/api/analyses/1/rasters/..%2F..%2F..%2Fetc%2Fpasswd.tif",
        "/api/areas/testarea/export/..%2Fsecret.geojson",
        "/api/areas/testarea/export/blocks.geojson%2F..%2F..%2Fx",
        "/tiles/testarea/..%2F..%2Fblocks/9/274/160.mvt",
    ],
)
def test_path_traversal_in_tile_raster_and_export_names_is_a_404(client_for, analyst, url):
    response = client_for(analyst).get(url)
    assert response.status_code == 404


def test_a_50_mb_json_body_is_refused_and_stores_nothing(client_for, member, area):
    participant = member("participant")
    walk = make_walk(area, [participant])
    huge = {"observations": [item(note="x" * 4000) for _ in range(12_000)]}
    body = json.dumps(huge)
    assert len(body) > 50_000_000
    response = client_for(participant).post(
        f"/api/walks/{walk.pk}/observations/sync", body, content_type="application/json"
    )
    assert response.status_code in (400, 413)
    assert Observation.objects.count() == 0


def test_a_polygon_with_100000_vertices_is_rejected_with_a_reason(client_for, member, area):
    participant = member("participant")
    walk = make_walk(area, [participant])
    lon, lat = INSIDE
    ring = [
        [
            lon + 0.001 * math.cos(2 * math.pi * i / 100_000),
            lat + 0.001 * math.sin(2 * math.pi * i / 100_000),
        ]
        for i in range(100_000)
    ]
    ring.append(ring[0])
    polygon = item(kind="neglect", geometry={"type": "Polygon", "coordinates": [ring]})
    response = sync(client_for(participant), walk, [polygon])
    assert response.status_code in (200, 400, 413)
    if response.status_code == 200:
        [result] = response.json()["results"]
        assert result["status"] == "rejected"
        assert "vertices" in json.dumps(result["errors"])
    assert Observation.objects.count() == 0


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_and_infinite_coordinates_are_rejected(client_for, member, area, bad):
    participant = member("participant")
    walk = make_walk(area, [participant])
    body = json.dumps({"observations": [item()]}).replace(json.dumps(INSIDE), f"[{bad}, 55.605]")
    response = client_for(participant).post(
        f"/api/walks/{walk.pk}/observations/sync", body, content_type="application/json"
    )
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        [result] = response.json()["results"]
        assert result["status"] == "rejected" and "geometry" in result["errors"]
    assert Observation.objects.count() == 0


def test_script_in_a_note_is_stored_as_text_and_served_escaped(client_for, member, area):
    participant = member("participant")
    walk = make_walk(area, [participant])
    note = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = sync(client_for(participant), walk, [item(note=note)])
    assert response.json()["results"][0]["status"] == "created"
    stored = Observation.objects.get()
    assert stored.note == note  # kept as the participant wrote it, never interpreted
    planner = client_for(member("planner"))
    page = planner.get(f"/map/testarea/observations/{stored.pk}.json")
    assert page["Content-Type"].startswith("application/json")
    assert page.json()["note"] == note
    html = planner.get("/map/testarea/")
    assert "script-src 'self'" in html["Content-Security-Policy"]
    assert "<script>alert" not in html.content.decode()


def test_crime_rows_untouched_by_a_hostile_import_name(client_for, analyst):
    before = CrimeIncident.objects.count()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("<img src=x onerror=alert(1)>.csv", b"not,a,crime,file\n1,2,3,4\n")
    response = client_for(analyst).post(
        "/api/areas/testarea/imports/", {"file": upload, "kind": "crime", "format": "police-uk"}
    )
    assert response.status_code == 400
    assert "<img" not in response.content.decode() or response["Content-Type"].startswith(
        "application/json"
    )
    assert CrimeIncident.objects.count() == before
