import os
import re

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()  # sets Django up before tiles.direct is imported

from config.framing import framed  # noqa: E402
from tiles import direct  # noqa: E402

TILE_PATH = re.compile(r"^/tiles/.+\.(mvt|png)$")


class TileHandler(WSGIHandler):
    """Django's handler with settings.TILE_MIDDLEWARE instead of settings.MIDDLEWARE."""

    def load_middleware(self, is_async=False):
        # BaseHandler reads settings.MIDDLEWARE; this runs once, at start-up.
        pages = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.TILE_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = pages


def dispatch(pages, tiles):
    """One WSGI application: map tiles through `tiles`, everything else through `pages`, with
    every answer framed for the web server's router (config/framing.py) except tiles asked
    for with GET, the hot path, which always carry their length (tiles/direct.py)."""
    pages, framed_tiles = framed(pages), framed(tiles)

    def application(environ, start_response):
        if not TILE_PATH.match(environ.get("PATH_INFO", "")):
            return pages(environ, start_response)
        if environ.get("REQUEST_METHOD") == "GET":
            return tiles(environ, start_response)
        return framed_tiles(environ, start_response)

    return application


def served(lender=None):
    """What the web server serves: pages through Django's handler, tiles through the tile
    handler, and vector tiles straight to their view (tiles/direct.py), on `lender`'s
    connections."""
    return dispatch(django_application, direct.serving(TileHandler(), lender))


application = served()
