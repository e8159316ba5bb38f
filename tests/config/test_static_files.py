"""collectstatic as `make run` runs it: what pages load is collected and compressed, MapLibre's
development builds and source maps are not."""

from django.core.management import call_command


def test_collectstatic_keeps_what_pages_load_and_leaves_out_the_rest(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", interactive=False, verbosity=0)
    maplibre = tmp_path / "vendor" / "maplibre"
    collected = {path.name for path in maplibre.iterdir()}
    assert {"maplibre-gl.mjs", "maplibre-gl.mjs.gz", "maplibre-gl-worker.mjs"} <= collected
    assert not [name for name in collected if "-dev." in name or name.endswith((".map", ".d.ts"))]
    assert (tmp_path / "map" / "map.js.gz").exists()
