from django.contrib.staticfiles.apps import StaticFilesConfig


class CollectedStaticFiles(StaticFilesConfig):
    """collectstatic leaves out what no page loads: MapLibre's development builds, source maps
    and type declarations. They were half of the collected megabytes, and compressing them took
    most of the 2.5 s that collectstatic adds to `make run`."""

    ignore_patterns = [*StaticFilesConfig.ignore_patterns, "*-dev.mjs", "*.map", "*.d.ts"]
