import logging

import pytest
from django.core.cache import caches
from django.test import override_settings

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_throttle():
    caches["shared"].clear()
    yield
    caches["shared"].clear()


def test_token_endpoint_stops_a_brute_force(api, member):
    user = member("analyst")
    statuses = [
        api.post(
            "/api/auth/token/", {"username": user.username, "password": f"guess-{i}"}
        ).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10:] == [429, 429]
    # even the right password is refused until the window passes
    right = api.post("/api/auth/token/", {"username": user.username, "password": PASSWORD})
    assert right.status_code == 429 and "Retry-After" in right.headers


def test_login_form_stops_a_brute_force(client, member):
    user = member("planner")
    statuses = [
        client.post("/accounts/login/", {"username": user.username, "password": "x"}).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [200] * 10  # the form again, with its error
    assert statuses[10] == 429


def test_a_throttled_login_is_the_login_page_in_the_visitors_language(client, member):
    # It was a line of English plain text, with no way back but the browser's.
    user = member("planner")
    client.cookies["django_language"] = "sv"
    for _ in range(10):
        client.post("/accounts/login/", {"username": user.username, "password": "x"})
    refused = client.post("/accounts/login/", {"username": user.username, "password": "x"})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert refused["Content-Type"].startswith("text/html")
    html = refused.content.decode()
    assert 'role="alert"' in html and "För många inloggningsförsök" in html
    assert f'value="{user.username}"' in html  # the form, to try again in a minute


@override_settings(DEBUG=False)
def test_passwords_and_tokens_are_never_logged(api, member, caplog):
    user = member("analyst")
    caplog.set_level(logging.DEBUG)
    api.post("/api/auth/token/", {"username": user.username, "password": "secret-guess-123"})
    token = api.post("/api/auth/token/", {"username": user.username, "password": PASSWORD}).json()[
        "token"
    ]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    api.get("/api/areas/nowhere/blocks/")  # a logged 404
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "secret-guess-123" not in logged and PASSWORD not in logged and token not in logged


def test_a_made_up_forwarded_address_does_not_reset_the_count(api, member):
    # Each guess claimed another X-Forwarded-For and was counted as a new client.
    user = member("analyst")
    statuses = [
        api.post(
            "/api/auth/token/",
            {"username": user.username, "password": f"guess-{i}"},
            HTTP_X_FORWARDED_FOR=f"10.9.{i}.1",
        ).status_code
        for i in range(12)
    ]
    assert statuses[10:] == [429, 429]


def basic(username, password) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_http_basic_on_the_ogc_api_counts_failed_passwords(client, member):
    # QGIS sends its password with every request, so only the wrong ones count; they were not
    # counted at all, and any web page could guess through its visitors' browsers (CORS *).
    user = member("analyst")
    right = basic(user.username, PASSWORD)
    for _ in range(20):  # a GIS client at work is never held back
        assert client.get("/ogc/collections", HTTP_AUTHORIZATION=right).status_code == 200
    wrong = [
        client.get("/ogc/collections", HTTP_AUTHORIZATION=basic(user.username, f"x{i}")).status_code
        for i in range(11)
    ]
    assert wrong[:10] == [401] * 10 and wrong[10] == 429
    assert client.get("/ogc/collections", HTTP_AUTHORIZATION=right).status_code == 429


def test_the_admins_login_is_throttled_too(client, member):
    statuses = [
        client.post("/admin/login/", {"username": "admin", "password": f"x{i}"}).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429
