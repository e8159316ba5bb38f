from django.urls import path

from geo import pages

urlpatterns = [
    path("areas/<slug:slug>/members/", pages.members, name="area-members"),
]
