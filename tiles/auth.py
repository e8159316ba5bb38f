"""Who is asking for a tile: a DRF token header (QGIS, scripts) or the browser's session."""

from dataclasses import dataclass

from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


def tile_user(request):
    """The full Django user, for pages and documents that hand it to geo.access."""
    if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("token "):
        result = TokenAuthentication().authenticate(request)
        if result:
            request.user = result[0]
    return request.user


@dataclass(frozen=True)
class Requester:
    """Who asks for a vector tile, as the tile statement needs it: the session's user id and
    superuser flag, or a token the statement itself checks (tiles/sql.py), so that a tile with
    a token header still costs one statement."""

    pk: int | None = None
    is_superuser: bool = False
    token: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.pk is not None or self.token is not None

    @classmethod
    def of(cls, user) -> "Requester":
        if not user.is_authenticated:
            return cls()
        return cls(user.pk, user.is_superuser and user.is_active)


def tile_requester(request) -> Requester:
    """The requester of a vector tile; a malformed token header fails as DRF's would."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.lower().startswith("token "):
        return Requester.of(request.user)
    parts = header.split()
    if len(parts) != 2:
        raise AuthenticationFailed("Invalid token header. Token string should not contain spaces.")
    return Requester(token=parts[1])
