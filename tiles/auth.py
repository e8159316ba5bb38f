"""Who is asking for a tile: a DRF token header (QGIS, scripts) or the browser's session."""

from rest_framework.authentication import TokenAuthentication


def tile_user(request):
    if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("token "):
        result = TokenAuthentication().authenticate(request)
        if result:
            request.user = result[0]
    return request.user
