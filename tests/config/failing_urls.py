"""The site's routes and error handlers, with two views that fail, for the server-error pages."""

from django.urls import path

from config.urls import handler404, handler500, urlpatterns  # noqa: F401


def fails(request):
    raise RuntimeError("the database went away")


urlpatterns = [*urlpatterns, path("fails/", fails), path("api/fails/", fails)]
