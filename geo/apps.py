from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "geo"

    def ready(self):
        from geo import checks  # noqa: F401  (registers the PostGIS check)
