from django.urls import re_path

from layers.exports.views import LayerExport

urlpatterns = [
    re_path(
        r"^areas/(?P<slug>[-\w]+)/export/(?P<layer>\w+)\.(?P<fmt>\w+)$",
        LayerExport.as_view(),
        name="layer-export",
    ),
]
