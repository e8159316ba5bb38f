import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The test users' passwords need no strength; the default hasher costs a second per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
