from django.urls import path, re_path, register_converter

from tiles import views
from tiles.catalogue import LAYERS


class LayerConverter:
    regex = "|".join(LAYERS)

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(LayerConverter, "tilelayer")

urlpatterns = [
    re_path(
        r"^sprite/(?P<version>[0-9a-f]{12})(?P<ratio>@2x)?\.(?P<kind>json|png)$",
        views.sprite_sheet,
        name="sprite",
    ),
    path("<slug:slug>/style.json", views.style, name="tile-style"),
    path("<slug:slug>/<tilelayer:layer>.json", views.tilejson, name="tilejson"),
    path(
        "<slug:slug>/<tilelayer:layer>/<int:z>/<int:x>/<int:y>.mvt",
        views.vector_tile,
        name="vector-tile",
    ),
    path(
        "<slug:slug>/raster/<slug:name>/<int:z>/<int:x>/<int:y>.png",
        views.raster_tile,
        name="raster-tile",
    ),
]
