"""Sessions name the user they sign in (accounts.Session), for the tile statement."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY

from accounts.models import Session
from accounts.sessions import SessionStore, signed_in_user_id
from geo.models import Role

pytestmark = pytest.mark.django_db


def test_a_signed_in_session_names_its_user_and_a_signed_out_one_none(client, member):
    user = member(Role.PLANNER)
    client.force_login(user)
    key = client.cookies["sessionid"].value
    assert Session.objects.get(pk=key).user == user

    session = SessionStore(key)
    session["map_filters"] = "anything"  # saved again: the user stays
    session.save()
    assert Session.objects.get(pk=key).user == user

    client.logout()
    assert not Session.objects.filter(pk=key).exists()
    visitor = SessionStore()
    visitor["language"] = "sv"
    visitor.create()
    assert Session.objects.get(pk=visitor.session_key).user is None


def test_deleting_a_user_ends_their_sessions(client, member):
    user = member(Role.ANALYST)
    client.force_login(user)
    user.delete()
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    "data, expected",
    [
        ({SESSION_KEY: "7", BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend"}, 7),
        ({SESSION_KEY: "7", BACKEND_SESSION_KEY: "somewhere.else.Backend"}, None),
        (
            {
                SESSION_KEY: "seven",
                BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            },
            None,
        ),
        ({BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend"}, None),
        ({}, None),
    ],
)
def test_the_user_a_session_signs_in_is_djangos(data, expected):
    assert signed_in_user_id(data) == expected
