import pytest
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import make_area, make_member


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per user on this machine; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def language_of_its_own():
    """Each test starts in the site's language: a request in Swedish leaves Swedish active in
    its thread, and a management command run by a later test would then speak it."""
    yield
    translation.deactivate()


@pytest.fixture
def area(db):
    return make_area("testarea")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def client_for():
    """An API client authenticated by token as the given user (None: anonymous)."""

    def build(user):
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return build


@pytest.fixture
def member(area):
    """member('analyst') → a user holding that role in the test area."""

    def build(role, target=None):
        return make_member(target or area, role)

    return build
