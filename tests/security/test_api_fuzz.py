"""Schemathesis against the OpenAPI schema, authenticated: no 5xx, and every response conforms
to the schema it documents. Hypothesis draws the inputs; the example count is bounded."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from config.wsgi import application
from tests.security.world import build_world

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def keep_test_connection():
    """Calling the WSGI app directly would close the test's database connection at the end of
    each request; Django's own test client prevents that the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def analyst_token(db, keep_test_connection, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = build_world(tmp_path)
    return Token.objects.create(user=world.users["analyst"]).key


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_operations_never_fail_and_match_their_schema(case, analyst_token):
    # Uncompressed: over WSGI, Schemathesis would read a gzipped body (config.middleware
    # CompressData, tested in tests/config) as it is.
    headers = {"Authorization": f"Token {analyst_token}", "Accept-Encoding": "identity"}
    case.call_and_validate(headers=headers)
