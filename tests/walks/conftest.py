import pytest

from tests.walks.helpers import make_walk


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The default PBKDF2 work factor costs about a second per test user on this machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def participant(member):
    return member("participant")


@pytest.fixture
def walk(area, participant):
    return make_walk(area, [participant])


@pytest.fixture
def capture_client(client_for, participant):
    return client_for(participant)
