"""Browser sessions that name the user they sign in.

Django's database session keeps its user inside the signed, encoded session data, which only
Python can read, so a map tile for a browser used to cost two lookups (session, then user)
before its statement. This session row also holds the user's id, and the tile statement finds
the user by the session cookie itself (tiles/sql.py): one statement a tile, as for a token.
"""

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class Session(AbstractBaseSession):
    # Set whenever the session is saved (accounts.sessions); empty for a signed-out visitor.
    # Deleting a user ends their sessions.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    @classmethod
    def get_session_store_class(cls):
        from accounts.sessions import SessionStore

        return SessionStore
