"""Refusals of the layers API in the reader's language: filters, analysis parameters, import
options and URLs that match no route (README: every refusal in the language of the request)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from layers.models import AnalysisRun, ImportJob
from tests.layers.importing import POLICE_UK_HEADER, csv_text, police_row

pytestmark = pytest.mark.django_db
SWEDISH = {"HTTP_ACCEPT_LANGUAGE": "sv"}


@pytest.fixture
def analyst(client_for, member):
    return client_for(member("analyst"))


def test_a_bbox_refusal_is_in_swedish(analyst, area):
    url = reverse("crime-points", kwargs={"slug": area.slug})
    response = analyst.get(url, {"bbox": "1,2,3"}, **SWEDISH)
    assert response.status_code == 400
    assert response.json() == {"bbox": ["Ange fyra tal: minlon,minlat,maxlon,maxlat."]}


@pytest.mark.parametrize(
    "query, field, reason",
    [
        ("?light=dusk", "light", "Ange en av day, night."),
        ("?from=2025-06-02&to=2025-06-01", "to", "Perioden slutar innan den börjar."),
        ("?from=yesterday", "from", "'yesterday' är inget datum; använd YYYY-MM-DD eller YYYY-MM."),
        (
            "?follow_up=lost",
            "follow_up",
            "Okänt värde för follow_up: lost; kända värden: fixed, no_action, open, reported.",
        ),
        (
            "?follow_up=lost,gone",
            "follow_up",
            "Okända värden för follow_up: lost, gone; kända värden: fixed, no_action, open,"
            " reported.",
        ),
        ("?walk=999999", "walk", "Det finns ingen vandring 999999 i området."),
    ],
)
def test_an_export_filter_refusal_is_in_swedish(analyst, area, query, field, reason):
    url = f"/api/areas/{area.slug}/export/observations.geojson{query}"
    response = analyst.get(url, **SWEDISH)
    assert response.status_code == 400
    assert response.json()[field] == [reason]


def test_an_export_filter_refusal_stays_english_for_an_english_reader(analyst, area):
    response = analyst.get(f"/api/areas/{area.slug}/export/observations.geojson?walk=999999")
    assert response.json()["walk"] == ["No walk 999999 in this area."]


@pytest.mark.parametrize(
    "body, field, reason",
    [
        ({"k": 0}, "k", "Måste vara minst 1."),
        ({"weights": "rook"}, "weights", "Ange en av queen, distance, knn, inte 'rook'."),
        ({"from": "2025-13"}, "from", "Ange en månad som YYYY-MM, inte '2025-13'."),
        ({"colour": "red"}, "colour", "Okänd parameter."),
    ],
)
def test_an_analysis_parameter_refusal_is_in_swedish(analyst, area, body, field, reason):
    response = analyst.post(f"/api/areas/{area.slug}/analyses/", body, format="json", **SWEDISH)
    assert response.status_code == 400
    assert response.json()[field] == [reason]
    assert not AnalysisRun.objects.exists()


def upload(rows=1):
    text = csv_text(POLICE_UK_HEADER, [police_row(f"r{i}") for i in range(rows)])
    return SimpleUploadedFile("aug.csv", text.encode(), content_type="text/csv")


@pytest.mark.parametrize(
    "options, field, reason",
    [
        ({"srid": "abc"}, "srid", "'abc' är ingen EPSG-kod (ett heltal)."),
        ({"delimiter": ";;"}, "delimiter", "Avgränsaren är ett enda tecken, t.ex. ',' eller ';'."),
        ({"timezone": "Mars/Olympus"}, "timezone", "Okänd tidszon 'Mars/Olympus'."),
        (
            {"map": "lon"},
            "map",
            "'lon' har inte formen NYCKEL=KOLUMN med NYCKEL en av",
        ),
    ],
)
def test_an_import_option_refusal_is_in_swedish(
    analyst, area, settings, tmp_path, options, field, reason
):
    settings.MEDIA_ROOT = tmp_path
    response = analyst.post(
        f"/api/areas/{area.slug}/imports/",
        {"file": upload(), "kind": "crime", "format": "generic", **options},
        format="multipart",
        **SWEDISH,
    )
    assert response.status_code == 400, response.content
    [message] = response.json()[field]
    assert message.startswith(reason)
    assert not ImportJob.objects.exists()


def test_an_oversized_upload_is_refused_in_swedish_with_swedish_digit_groups(
    analyst, area, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with override_settings(TRYGG_IMPORT_MAX_BYTES=1000):
        response = analyst.post(
            f"/api/areas/{area.slug}/imports/",
            {"file": upload(rows=30), "kind": "crime", "format": "police-uk"},
            format="multipart",
            **SWEDISH,
        )
    assert response.status_code == 413
    [message] = response.json()["file"]
    assert message.startswith("Filen är ") and message.endswith("byte; gränsen är 1\xa0000.")


def test_a_url_matching_no_route_says_not_found_in_swedish(analyst):
    response = analyst.get("/api/no/such/thing/", **SWEDISH)
    assert response.status_code == 404
    assert response.json() == {"detail": "Hittades inte."}
