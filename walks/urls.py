from django.urls import path

from walks import views

urlpatterns = [
    path("kinds/", views.KindList.as_view(), name="kind-list"),
    path("areas/<slug:slug>/walks/", views.WalkList.as_view(), name="walk-list"),
    path("walks/<int:pk>/", views.WalkDetail.as_view(), name="walk-detail"),
    path(
        "walks/<int:pk>/observations/sync",
        views.ObservationSync.as_view(),
        name="observation-sync",
    ),
    path("walks/<int:pk>/observations/", views.ObservationList.as_view(), name="observation-list"),
    path(
        "walks/<int:pk>/observations/<uuid:client_id>/",
        views.ObservationByClientId.as_view(),
        name="observation-by-client-id",
    ),
    path("observations/<int:pk>/", views.ObservationDetail.as_view(), name="observation-detail"),
    path("observations/<int:pk>/photos/", views.PhotoUpload.as_view(), name="photo-upload"),
    path("photos/<int:pk>/", views.PhotoDetail.as_view(), name="photo-detail"),
    path(
        "photos/<int:pk>/image/",
        views.PhotoFile.as_view(),
        {"variant": "image"},
        name="photo-image",
    ),
    path(
        "photos/<int:pk>/thumbnail/",
        views.PhotoFile.as_view(),
        {"variant": "thumbnail"},
        name="photo-thumbnail",
    ),
]
