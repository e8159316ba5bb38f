"""Raster tiles: a real GeoTIFF in the area's UTM zone with overviews, warped to Web Mercator."""

import io

import numpy as np
import pytest
import rasterio
from PIL import Image

from geo.models import Role
from tests.tiles.data import tile_of, write_density_raster
from tiles import raster
from tiles.raster import overview_level

pytestmark = pytest.mark.django_db


@pytest.fixture
def density(area, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return write_density_raster(area, tmp_path)


def png(response):
    assert response["Content-Type"] == "image/png"
    return np.asarray(Image.open(io.BytesIO(response.content)))


def test_raster_tile_is_a_transparent_ramp_over_the_area(client_for, member, density):
    client = client_for(member(Role.PLANNER))
    z, x, y = tile_of(13.009, 55.605, 14)
    response = client.get(f"/tiles/testarea/raster/crime_density/{z}/{x}/{y}.png")
    assert response.status_code == 200
    pixels = png(response)
    assert pixels.shape == (256, 256, 4)
    alpha = pixels[..., 3]
    assert (alpha == 0).any() and (alpha > 150).any()
    # Values rise eastwards, so does the opacity along a row through the area.
    row = alpha[alpha.any(axis=1)][0]
    visible = row[row > 0]
    assert visible[-1] > visible[0]


def test_raster_tile_outside_the_raster_is_204(client_for, member, density):
    assert (
        client_for(member(Role.PLANNER))
        .get("/tiles/testarea/raster/crime_density/14/0/0.png")
        .status_code
        == 204
    )


def test_raster_tiles_follow_roles_and_revalidate(client_for, member, client, density):
    z, x, y = tile_of(13.009, 55.605, 14)
    url = f"/tiles/testarea/raster/crime_density/{z}/{x}/{y}.png"
    assert client.get(url).status_code == 404
    assert client_for(member(Role.PARTICIPANT)).get(url).status_code == 403
    planner = client_for(member(Role.PLANNER))
    assert planner.get("/tiles/testarea/raster/insecurity/14/0/0.png").status_code == 404
    etag = planner.get(url)["ETag"]
    assert planner.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_low_zooms_read_an_overview(density):
    with rasterio.open(density) as src:
        assert overview_level(src, tile_metres=5.0) is None
        assert overview_level(src, tile_metres=25.0) == 0  # factor 2: 20 m
        assert overview_level(src, tile_metres=500.0) == 2  # factor 8: 80 m


def test_the_style_carries_the_rasters_for_roles_that_see_them(client_for, member, density):
    # "One MapLibre style per area with every layer": a QGIS or MapLibre client reading the
    # style alone got the vector layers but not the analysis rasters.
    style = client_for(member(Role.PLANNER)).get("/tiles/testarea/style.json").json()
    source = style["sources"]["raster-crime_density"]
    assert source["type"] == "raster" and source["tileSize"] == 256
    assert source["tiles"][0].endswith("/tiles/testarea/raster/crime_density/{z}/{x}/{y}.png")
    layer = next(layer for layer in style["layers"] if layer["id"] == "raster-crime_density")
    assert layer["source"] == "raster-crime_density" and layer["layout"]["visibility"] == "none"
    # Drawn under the points and lines, above the blocks' colours.
    ids = [layer["id"] for layer in style["layers"]]
    assert ids.index("blocks-class") < ids.index("raster-crime_density") < ids.index("lamps-status")
    participant = client_for(member(Role.PARTICIPANT)).get("/tiles/testarea/style.json").json()
    assert not any(name.startswith("raster-") for name in participant["sources"])


def test_a_thin_crime_surface_is_left_out_for_those_who_may_not_see_incidents(
    client_for, member, density
):
    # Fitting Gaussian kernels back to the float surface gave every incident's place within
    # metres, and its count, to planners (and the public of a published area).
    from layers.models import AnalysisRun

    run = AnalysisRun.objects.get()
    run.figures = {"bandwidth_m": 100.0}  # one incident peaks at 15.9 a km²; these reach 1
    run.save()
    z, x, y = tile_of(13.009, 55.605, 14)
    url = f"/tiles/testarea/raster/crime_density/{z}/{x}/{y}.png"
    assert client_for(member(Role.ANALYST)).get(url).status_code == 200
    assert client_for(member(Role.PLANNER)).get(url).status_code == 204
    # The GeoTIFFs themselves are for analysts; the run's summary offers them to analysts only.
    tif = f"/api/analyses/{run.pk}/rasters/crime_density.tif"
    planner = client_for(member(Role.PLANNER))
    assert planner.get(tif).status_code == 403
    assert planner.get(f"/api/analyses/{run.pk}/").json()["rasters"] == {}
    analyst = client_for(member(Role.ANALYST))
    assert analyst.get(tif).status_code == 200
    assert set(analyst.get(f"/api/analyses/{run.pk}/").json()["rasters"]) == {"crime_density"}


def test_the_findings_surfaces_are_not_for_the_public(client, area, density, settings):
    from layers.models import AnalysisRaster, AnalysisRun

    area.published = True
    area.save()
    run = AnalysisRun.objects.get()
    AnalysisRaster.objects.create(run=run, name="insecurity", path=run.rasters.get().path)
    z, x, y = tile_of(13.009, 55.605, 14)
    assert client.get(f"/tiles/testarea/raster/insecurity/{z}/{x}/{y}.png").status_code == 403
    assert client.get(f"/tiles/testarea/raster/crime_density/{z}/{x}/{y}.png").status_code == 200
    style = client.get("/tiles/testarea/style.json").json()
    assert (
        "raster-crime_density" in style["sources"] and "raster-insecurity" not in style["sources"]
    )


def test_the_maps_legend_gets_the_range_the_tiles_are_coloured_by(client_for, member, density):
    # The raster legends read "low … high" without a number.
    import json
    import re

    from layers.models import AnalysisRun

    def ranges(role):
        page = client_for(member(role)).get("/map/testarea/").content.decode()
        found = re.search(r'<script id="map-config" type="application/json">(.*?)</script>', page)
        return json.loads(found.group(1))["rasterRanges"]

    from tiles.raster import value_range

    coloured = list(value_range(str(density), density.stat().st_mtime))  # as the tiles are
    assert ranges(Role.ANALYST)["crime_density"] == coloured and 0.9 < coloured[1] <= 1.0
    run = AnalysisRun.objects.get()
    run.figures = {"bandwidth_m": 2000.0}  # three incidents' peak: 0.119 a km²
    run.save()
    low, high = ranges(Role.PLANNER)["crime_density"]
    assert round(low, 3) == 0.119 and high == coloured[1]  # the thinned surface starts there
    assert ranges(Role.ANALYST)["crime_density"] == coloured


def test_the_analysis_writes_its_surfaces_with_overviews(tmp_path):
    """The rasters a run writes (not only this module's fixture) carry the overviews the tiles
    read at low zooms: a 10 km square at 10 m cells."""
    import numpy as np

    from layers.analysis.rasters import Grid, cog_write

    size = 1000
    grid = Grid(380_000.0, 6_170_000.0, 10.0, size, size, (slice(0, size), slice(0, size)))
    path = tmp_path / "surface.tif"
    cog_write(path, np.ones((size, size), dtype="float32"), grid, srid=3006)
    with rasterio.open(path) as src:
        assert src.overviews(1)[0] == 2
        assert overview_level(src, tile_metres=40.0) is not None


def test_a_raster_deleted_while_its_tile_is_drawn_is_a_404(
    client_for, member, density, monkeypatch
):
    """The run's files go when its deletion commits, which can fall after the view has found
    the raster and before it reads it."""
    found = raster.raster_for

    def found_then_deleted(*args, **kwargs):
        source = found(*args, **kwargs)
        source.path.unlink()
        return source

    monkeypatch.setattr(raster, "raster_for", found_then_deleted)
    z, x, y = tile_of(13.009, 55.605, 14)
    response = client_for(member(Role.PLANNER)).get(
        f"/tiles/testarea/raster/crime_density/{z}/{x}/{y}.png"
    )
    assert response.status_code == 404
