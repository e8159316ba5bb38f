from django.urls import path

from layers.analysis import views

urlpatterns = [
    path("areas/<slug:slug>/analyses/", views.AnalysisCreate.as_view(), name="analysis-create"),
    path("analyses/<int:pk>/", views.AnalysisDetail.as_view(), name="analysis-detail"),
    path("analyses/<int:pk>/pin/", views.AnalysisPin.as_view(), name="analysis-pin"),
    path("analyses/<int:pk>/stop/", views.AnalysisStop.as_view(), name="analysis-stop"),
    path("analyses/<int:pk>/blocks/", views.AnalysisBlocks.as_view(), name="analysis-blocks"),
    path(
        "analyses/<int:pk>/rasters/<str:name>.tif",
        views.AnalysisRasterDownload.as_view(),
        name="analysis-raster",
    ),
]
