"""The pages a person lands on when something is refused or fails are Trygg's, in their
language: a form from a page older than the last sign-in (Django's CSRF check) changes nothing
and leads back to the form; a server error says what to do, without needing the database, and
machine clients get JSON."""

import pytest
from django.test import Client

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def stale_client(user=None) -> Client:
    """A browser whose page holds a token from before the last sign-in: the cookie's token is
    the new one, the form's the old one."""
    client = Client(enforce_csrf_checks=True)
    if user:
        client.force_login(user)
    client.get("/accounts/login/")  # sets the token's cookie
    return client


def test_a_stale_form_changes_nothing_and_leads_back_to_its_page(member):
    user = member("coordinator")
    client = stale_client(user)
    answer = client.post(
        "/accounts/logout/",
        {"csrfmiddlewaretoken": "x" * 64},
        HTTP_REFERER="http://testserver/walks/",
    )
    assert answer.status_code == 403
    page = answer.content.decode()
    assert "The form was not sent" in page and "Nothing was changed." in page
    assert 'href="http://testserver/walks/"' in page  # the page the form was on
    assert "Django" not in page and "CSRF" not in page
    assert client.get("/walks/").status_code == 200  # still signed in


def test_the_way_back_never_leads_off_the_site(member):
    answer = stale_client().post(
        "/accounts/login/",
        {"username": "a", "password": PASSWORD},
        HTTP_REFERER="https://elsewhere.example/phish",
    )
    assert answer.status_code == 403
    assert 'href="/"' in answer.content.decode()
    assert "elsewhere.example" not in answer.content.decode()


def test_the_stale_form_page_speaks_the_users_language():
    answer = stale_client().post("/accounts/login/", {}, HTTP_ACCEPT_LANGUAGE="sv")
    assert answer.status_code == 403
    assert "Formuläret skickades inte" in answer.content.decode()


@pytest.fixture
def failing(settings):
    settings.ROOT_URLCONF = "tests.config.failing_urls"
    client = Client(raise_request_exception=False)
    return client


def test_a_server_error_is_trygg_s_page_in_the_users_language(failing):
    answer = failing.get("/fails/", HTTP_ACCEPT_LANGUAGE="da")
    assert answer.status_code == 500
    page = answer.content.decode()
    assert '<html lang="da">' in page
    assert "Noget gik galt" in page
    assert "<form" not in page  # nothing to send to a server in trouble


def test_a_machine_client_gets_its_server_error_as_json(failing):
    answer = failing.get("/api/fails/")
    assert answer.status_code == 500
    assert answer.json() == {
        "detail": "Something went wrong on the server. It is logged; try again shortly."
    }
