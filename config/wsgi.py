import os
import re

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()  # sets Django up before tiles.direct is imported

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
    """One WSGI application: map tiles through `tiles`, everything else through `pages`."""

    def application(environ, start_response):
        handler = tiles if TILE_PATH.match(environ.get("PATH_INFO", "")) else pages
        return handler(environ, start_response)

    return application


def served(lender=None):
    """What the web server serves: pages through Django's handler, tiles through the tile
    handler, and vector tiles straight to their view (tiles/direct.py), on `lender`'s
    connections."""
    return dispatch(django_application, direct.serving(TileHandler(), lender))


application = served()
