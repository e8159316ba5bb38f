from django.urls import path

from layers import views_imports as views

urlpatterns = [
    path("areas/<slug:slug>/imports/", views.ImportCreate.as_view(), name="import-create"),
    path("imports/<int:pk>/", views.ImportDetail.as_view(), name="import-detail"),
    path("imports/<int:pk>/stop/", views.ImportStop.as_view(), name="import-stop"),
    path("areas/<slug:slug>/jobs/", views.AreaJobs.as_view(), name="area-jobs"),
    path("areas/<slug:slug>/survey/", views.SurveyRounds.as_view(), name="survey-rounds"),
    # `path`: a period may hold a slash (2025/26), which a client sends percent-encoded.
    path(
        "areas/<slug:slug>/survey/<path:period>/",
        views.SurveyRoundDetail.as_view(),
        name="survey-round",
    ),
    path("areas/<slug:slug>/crime/", views.CrimePoints.as_view(), name="crime-points"),
]
