import pytest

from tests.walks.helpers import make_walk


@pytest.fixture
def participant(member):
    return member("participant")


@pytest.fixture
def walk(area, participant):
    return make_walk(area, [participant])


@pytest.fixture
def capture_client(client_for, participant):
    return client_for(participant)
