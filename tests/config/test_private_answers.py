"""Answers made for a signed-in user are not for shared caches."""

import pytest
from django.test import Client

from geo.models import Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db

SIGNED_IN_URLS = [
    "/tiles/testarea/style.json",
    "/tiles/testarea/blocks.json",
    "/ogc/collections",
    "/map/testarea/",
    "/api/areas/",
]


@pytest.mark.parametrize("url", SIGNED_IN_URLS)
def test_what_a_token_holder_gets_is_private(client_for, area, url):
    client = client_for(make_member(area, Role.PLANNER))
    response = client.get(url)
    assert response.status_code == 200, url
    assert "private" in response["Cache-Control"]


@pytest.mark.parametrize("url", ["/tiles/testarea/style.json", "/map/testarea/"])
def test_what_a_session_gets_is_private(area, url):
    browser = Client()
    browser.force_login(make_member(area, Role.ANALYST))
    response = browser.get(url)
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]


def test_a_published_areas_style_for_anyone_may_be_shared(area):
    area.published = True
    area.save()
    response = Client().get("/tiles/testarea/style.json")
    assert response.status_code == 200
    assert "private" not in response.get("Cache-Control", "")


def test_a_view_that_chose_its_caching_keeps_it(client_for, area):
    client = client_for(make_member(area, Role.PLANNER))
    response = client.get("/tiles/testarea/blocks/0/0/0.mvt")
    assert response["Cache-Control"] == "private, no-cache"
