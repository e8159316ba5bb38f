from django.urls import path

from layers.exports import ogc

urlpatterns = [
    path("", ogc.Landing.as_view(), name="ogc-landing"),
    path("conformance", ogc.Conformance.as_view(), name="ogc-conformance"),
    path("collections", ogc.Collections.as_view(), name="ogc-collections"),
    path("collections/<str:collection_id>", ogc.Collection.as_view(), name="ogc-collection"),
    path("collections/<str:collection_id>/items", ogc.Items.as_view(), name="ogc-items"),
    path(
        "collections/<str:collection_id>/items/<str:feature_id>",
        ogc.Item.as_view(),
        name="ogc-item",
    ),
]
