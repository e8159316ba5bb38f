"""Who is asking for a tile: a DRF token header (QGIS, scripts) or the browser's session."""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.sessions import SessionStore


def tile_user(request):
    """The full Django user, for pages and documents that hand it to geo.access."""
    if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("token "):
        result = TokenAuthentication().authenticate(request)
        if result:
            request.user = result[0]
    return request.user


@dataclass(frozen=True)
class Requester:
    """Who asks for a vector tile, as the tile statement needs it: the user id and superuser
    flag Django's middleware found, or a token or session cookie the statement itself looks up
    (tiles/sql.py), so that any tile costs one statement."""

    pk: int | None = None
    is_superuser: bool = False
    token: str | None = None
    session: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.pk is not None or self.token is not None or self.session is not None

    @classmethod
    def of(cls, user) -> "Requester":
        if not user.is_authenticated:
            return cls()
        return cls(user.pk, user.is_superuser and user.is_active)


def tile_requester(request) -> Requester:
    """The requester of a vector tile; a malformed token header fails as DRF's would. A token
    header comes first; then the session cookie tiles/direct.py hands over, if any."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.lower().startswith("token "):
        session = getattr(request, "tile_session", None)
        return Requester(session=session) if session else Requester.of(request.user)
    parts = header.split()
    if len(parts) != 2:
        raise AuthenticationFailed(
            _("Invalid token header. Token string should not contain spaces.")
        )
    return Requester(token=parts[1])


class UnconfirmedSession(Exception):
    """The session cookie does not sign its user in by itself: Django's middleware decides
    (a visitor, an expired session, a changed password, a key rotated out)."""


def confirm_session(user_id: int | None, password: str | None, session_data: str | None):
    """Raise UnconfirmedSession unless the session the tile statement found signs in its user
    as django.contrib.auth.get_user would, without its side effects: the statement checked
    expiry and that the user is active; this checks the signed data and its auth hash, which
    change when the user's password or the secret key does."""
    if user_id is None or not signs_in(
        user_id,
        password,
        session_data,
        settings.SECRET_KEY,
        tuple(settings.AUTHENTICATION_BACKENDS),
    ):
        raise UnconfirmedSession


@lru_cache(maxsize=4096)
def signs_in(user_id, password, session_data, secret_key, backends) -> bool:
    """Whether the session data signs the user in: a pure function of its arguments (the
    secret key and backends are passed for that reason), so a map's tiles, which all carry
    the same session, check it once per process (40 µs each otherwise)."""
    data = SessionStore().decode(session_data)
    claimed = data.get(HASH_SESSION_KEY)
    user = get_user_model()(pk=user_id, password=password)
    return bool(
        data.get(BACKEND_SESSION_KEY) in backends
        and str(data.get(SESSION_KEY)) == str(user_id)
        and claimed
        and constant_time_compare(claimed, user.get_session_auth_hash())
    )
