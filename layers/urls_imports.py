from django.urls import path

from layers import views_imports as views

urlpatterns = [
    path("areas/<slug:slug>/imports/", views.ImportCreate.as_view(), name="import-create"),
    path("imports/<int:pk>/", views.ImportDetail.as_view(), name="import-detail"),
    path("imports/<int:pk>/stop/", views.ImportStop.as_view(), name="import-stop"),
    path("areas/<slug:slug>/crime/", views.CrimePoints.as_view(), name="crime-points"),
]
