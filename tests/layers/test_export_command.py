import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.layers.export_helpers import fast_passwords_fixture, read_with_gdal  # noqa: F401
from tests.layers.exports_data import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def test_export_layer_writes_a_geopackage_file(world, tmp_path, area):
    target = tmp_path / "crime.gpkg"
    call_command("export_layer", "testarea", "crime", "--format", "gpkg", "-o", str(target))
    meta, geoms, fields = read_with_gdal(target.read_bytes(), ".gpkg")
    assert meta["crs"] == f"EPSG:{area.analysis_srid}"
    assert len(geoms) == 8


def test_export_layer_names_the_file_in_a_directory(world, tmp_path):
    call_command(
        "export_layer", "testarea", "observations", "--kind", "safe_place", "-o", str(tmp_path)
    )
    [written] = tmp_path.iterdir()
    assert written.name.startswith("testarea_observations-safe_place_")
    features = json.loads(written.read_text())["features"]
    assert [f["properties"]["kind"] for f in features] == ["safe_place"]


def test_export_layer_as_a_user_applies_their_privacy(world, member, tmp_path):
    planner = member("planner")
    with pytest.raises(CommandError, match="No layer 'crime'"):
        call_command("export_layer", "testarea", "crime", "--user", planner.username)
    target = tmp_path / "c.geojson"
    call_command(
        "export_layer", "testarea", "crime_blocks", "--user", planner.username, "-o", str(target)
    )
    counts = {f["id"]: f["properties"]["crime_count"] for f in json.load(target.open())["features"]}
    assert counts["SE"] is None


def test_export_layer_reports_bad_filters(world):
    with pytest.raises(CommandError, match="not a date"):
        call_command("export_layer", "testarea", "walks", "--from", "soon", stdout=io.StringIO())


def test_export_layer_filters_by_light_and_follow_up(world, tmp_path):
    import json

    world["obs"]["lamp_out"].follow_up = "reported"
    world["obs"]["lamp_out"].save()
    target = tmp_path / "open-night.geojson"
    call_command(
        "export_layer",
        "testarea",
        "observations",
        "--light",
        "night",
        "--follow-up",
        "reported",
        "-o",
        str(target),
        verbosity=0,
    )
    features = json.loads(target.read_text())["features"]
    assert [f["properties"]["kind"] for f in features] == ["lighting_defect"]


def test_export_layer_writes_one_walks_findings(world, tmp_path):
    night = world["walks"]["night"]
    call_command(
        "export_layer",
        "testarea",
        "observations",
        "--format",
        "csv",
        "--walk",
        str(night.pk),
        "-o",
        str(tmp_path),
        verbosity=0,
    )
    [written] = tmp_path.iterdir()
    assert f"_observations-walk{night.pk}_" in written.name
    assert len(written.read_text().splitlines()) == 1 + 3  # the header and the walk's findings
    with pytest.raises(CommandError, match="not a list of up to 50 walk ids"):
        call_command("export_layer", "testarea", "walks", "--walk", "last", stdout=io.StringIO())
