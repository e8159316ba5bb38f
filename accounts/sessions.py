"""The session engine (settings.SESSION_ENGINE): Django's database sessions, stored in
accounts.Session with the id of the user they sign in."""

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore

from accounts.models import Session


class SessionStore(DatabaseStore):
    @classmethod
    def get_model_class(cls):
        return Session

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.user_id = signed_in_user_id(data)
        return session


def signed_in_user_id(data: dict) -> int | None:
    """The user a session's data signs in, by django.contrib.auth's keys; None for a visitor
    or a backend no longer configured (Django would not sign them in either)."""
    if data.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return None
    try:
        return int(data[SESSION_KEY])
    except (KeyError, TypeError, ValueError):
        return None
