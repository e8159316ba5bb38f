"""Refusals of the members API in the reader's language."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_role_refusal_is_in_the_readers_language(client_for, member, area):
    response = client_for(member("planner")).post(
        f"/api/areas/{area.slug}/members/",
        {"username": "anyone", "role": "participant"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "Din roll i området tillåter inte detta."}


def test_a_password_for_an_existing_account_is_refused_in_the_readers_language(
    client_for, member, area
):
    existing = member("participant")
    response = client_for(member("coordinator")).post(
        f"/api/areas/{area.slug}/members/",
        {"username": existing.username, "role": "planner", "password": "Vandring-2026-trygg"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="da",
    )
    assert response.status_code == 400
    assert response.json() == {
        "password": ["Der findes allerede en konto med det navn; udelad adgangskoden."]
    }
