from django.urls import path

from layers import pages, views_map

urlpatterns = [
    path("map/<slug:slug>/", views_map.planner_map, name="planner-map"),
    path("areas/<slug:slug>/data/", pages.data_page, name="area-data"),
    path("map/<slug:slug>/blocks/<int:pk>.json", views_map.block_detail, name="map-block"),
    path(
        "map/<slug:slug>/observations/<int:pk>.json",
        views_map.observation_detail,
        name="map-observation",
    ),
]
