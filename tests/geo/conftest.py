import pytest


@pytest.fixture
def coordinator(client, member):
    """The test area's coordinator, signed in on the test client (the members page's tests)."""
    user = member("coordinator")
    client.force_login(user)
    return user
