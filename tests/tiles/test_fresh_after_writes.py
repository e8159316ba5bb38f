"""The three writers the map waits for, end to end: a finding synced from a tablet, a crime
import and a finished analysis run each show on the very next tile request of a map holding
the old ETag (test_tile_caching.py bumps the versions by hand; this goes through the writers)."""

import pytest
from django.utils import timezone

from geo.models import Role
from layers.analysis.runs import analysis_run
from tests.layers.importing import POLICE_UK_HEADER, csv_text, police_row, run_import, write
from tests.tiles.data import WHOLE_AREA, features
from tests.tiles.layered import fill_every_layer
from tests.walks.helpers import item, make_walk, sync

pytestmark = pytest.mark.django_db

TILE = "/".join(map(str, WHOLE_AREA))


def fetch(client, layer, etag=None):
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    return client.get(f"/tiles/testarea/{layer}/{TILE}.mvt", **headers)


@pytest.fixture
def analyst(client_for, member, area):
    fill_every_layer(area)
    return client_for(member(Role.ANALYST))


def test_a_synced_finding_shows_on_the_next_request(analyst, client_for, member, area):
    participant = member(Role.PARTICIPANT)
    walk = make_walk(area, [participant], ends_at=timezone.now() + timezone.timedelta(hours=1))
    etag = fetch(analyst, "observations")["ETag"]
    assert fetch(analyst, "observations", etag).status_code == 304
    answer = sync(client_for(participant), walk, [item(kind="vandalism")])
    assert answer.status_code == 200 and answer.json()["created"] == 1
    after = fetch(analyst, "observations", etag)
    assert after.status_code == 200
    assert "vandalism" in {f["properties"]["kind"] for f in features(after, "observations")}


def test_a_crime_import_shows_on_the_next_request(analyst, area, tmp_path):
    etag = fetch(analyst, "crime")["ETag"]
    before = sum(f["properties"]["count"] for f in features(fetch(analyst, "crime"), "crime"))
    path = write(tmp_path, "p.csv", csv_text(POLICE_UK_HEADER, [police_row("x1")]))
    assert run_import(area, "crime", "police-uk", path).status == "done"
    after = fetch(analyst, "crime", etag)
    assert after.status_code == 200
    assert sum(f["properties"]["count"] for f in features(after, "crime")) == before + 1


def test_a_finished_run_shows_on_the_next_request(analyst, area, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    etag = fetch(analyst, "blocks")["ETag"]
    run = analysis_run(area=area, parameters={"bandwidth_m": 100, "cell_m": 5, "permutations": 9})
    assert run.status == "done", run.error
    after = fetch(analyst, "blocks", etag)
    assert after.status_code == 200
    # The new run's classes (an empty class is left out of the tile).
    stored = {r.block.code: r.comparison_class or None for r in run.block_results.all()}
    tiled = features(after, "blocks")
    shown = {f["properties"]["code"]: f["properties"].get("class") for f in tiled}
    assert shown == stored
