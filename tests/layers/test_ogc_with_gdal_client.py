"""GDAL's own OGC API – Features client (the OAPIF driver) reads the live server: landing page,
API definition, collections, paging by `next` links, GeoJSON features, Basic authentication.

The client runs in a child process: pyogrio keeps the GIL while GDAL fetches pages, which would
stall the test server's threads in this process."""

import json
import math
import subprocess
import sys

import pytest

from geo.models import Area
from tests.factories import PASSWORD
from tests.layers.export_helpers import fast_passwords_fixture  # noqa: F401
from tests.layers.exports_data import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT = """
import json, sys
import pyogrio
url, layer, credentials, page_size = sys.argv[1:5]
options = {"GDAL_HTTP_TIMEOUT": "60"}
if credentials:
    options.update(GDAL_HTTP_AUTH="BASIC", GDAL_HTTP_USERPWD=credentials)
pyogrio.set_gdal_config_options(options)
source = "OAPIF:" + url
names = sorted(name for name, _ in pyogrio.list_layers(source))
open_options = {"PAGE_SIZE": page_size} if page_size else {}
meta, _, wkb, values = pyogrio.raw.read(source, layer=layer, **open_options)
rows = [dict(zip(meta["fields"], (v.item() if hasattr(v, "item") else v for v in row)))
        for row in zip(*values)]
print(json.dumps({"layers": names, "crs": meta["crs"], "rows": rows}, default=str))
"""


def gdal_read(url: str, layer: str, credentials: str = "", page_size: int | None = None) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CLIENT, url, layer, credentials, str(page_size or "")],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def test_gdal_reads_a_published_area_anonymously(live_server, world):
    Area.objects.filter(slug="testarea").update(published=True)
    read = gdal_read(f"{live_server.url}/ogc/", "testarea-crime_blocks")
    assert read["layers"] == ["testarea-blocks", "testarea-crime_blocks", "testarea-lamps"]
    counts = {row["code"]: row["crime_count"] for row in read["rows"]}
    # The public sees SW's 5; the other counts are below k = 3 and come empty.
    assert counts["SW"] == 5 and len(counts) == 4
    # GDAL reads an empty integer as NaN.
    assert all(counts[code] is None or math.isnan(counts[code]) for code in ("NE", "NW", "SE"))


def test_gdal_reads_walk_layers_with_basic_authentication(live_server, world, member):
    planner = member("planner")
    read = gdal_read(
        f"{live_server.url}/ogc/", "testarea-observations", f"{planner.username}:{PASSWORD}"
    )
    assert "testarea-observations" in read["layers"] and "testarea-crime" not in read["layers"]
    assert sorted(row["kind"] for row in read["rows"]) == [
        "blocked_sightline",
        "lighting_defect",
        "safe_place",
        "unsafe_spot",
    ]


def test_gdal_walks_a_layer_page_by_page_by_the_cursor_links(live_server, world, member):
    from layers.models import CrimeIncident

    analyst = member("analyst")
    read = gdal_read(
        f"{live_server.url}/ogc/", "testarea-crime", f"{analyst.username}:{PASSWORD}", page_size=3
    )
    everything = CrimeIncident.objects.order_by("pk").values_list("pk", flat=True)
    assert [row["id"] for row in read["rows"]] == list(everything)
