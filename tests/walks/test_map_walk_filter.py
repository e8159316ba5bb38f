"""The planner map's walk filter: the walks it offers (as the walks API shows them), the block
popup narrowed to a walk, and the walk report's link to it."""

import json

import pytest

from tests.walks.helpers import INSIDE, item, make_walk, sync

pytestmark = pytest.mark.django_db


def map_config(client):
    page = client.get("/map/testarea/").content.decode()
    return json.loads(
        page.split('id="map-config" type="application/json">')[1].split("</script>")[0]
    )


@pytest.fixture
def two_walks(area, participant, capture_client, walk):
    """The participant's walk with one finding, and another walk they are not on."""
    sync(capture_client, walk, [item()])
    other = make_walk(area, name="Morning round", route=None)
    return walk, other


def test_planners_choose_among_every_walk_and_participants_among_their_own(
    client, member, participant, two_walks
):
    walk, other = two_walks
    client.force_login(member("planner"))
    offered = map_config(client)["walks"]
    assert [w["id"] for w in offered] == sorted([walk.pk, other.pk], reverse=True)
    mine = next(w for w in offered if w["id"] == walk.pk)
    assert mine["name"] == "Evening walk" and mine["date"] == "2026-11-20"
    assert mine["extent"] == pytest.approx([13.002, 55.602, 13.016, 55.608])
    # No route and no findings: nothing to fit the map to.
    assert next(w for w in offered if w["id"] == other.pk)["extent"] is None
    client.force_login(participant)
    assert [w["id"] for w in map_config(client)["walks"]] == [walk.pk]


def test_the_block_popup_lists_one_walks_findings(client, member, area, two_walks):
    walk, other = two_walks
    client.force_login(member("planner"))
    block = area.blocks.get(geom__intersects=f"POINT({INSIDE[0]} {INSIDE[1]})")
    url = f"/map/testarea/blocks/{block.pk}.json"
    assert len(client.get(f"{url}?walk={walk.pk}").json()["observations"]) == 1
    assert client.get(f"{url}?walk={other.pk}").json()["observations"] == []
    assert client.get(f"{url}?walk=x").status_code == 400


def test_the_report_links_to_its_walk_on_the_map(client, participant, walk):
    client.force_login(participant)
    page = client.get(f"/walks/{walk.pk}/report/").content.decode()
    assert f'href="/map/testarea/?walk={walk.pk}"' in page


def test_the_block_popup_lists_the_findings_next_to_the_block_as_the_report_does(
    client, member, area, capture_client, walk
):
    # On the pavement 20 m south of block SW, outside every block: the report and the exports
    # name SW as its block, and the map's popup of SW listed nothing.
    pavement = item(geometry={"type": "Point", "coordinates": [13.003, 55.5998]})
    sync(capture_client, walk, [pavement])
    client.force_login(member("planner"))
    south_west = area.blocks.get(code="SW")
    listed = client.get(f"/map/testarea/blocks/{south_west.pk}.json").json()["observations"]
    assert len(listed) == 1
    north_west = area.blocks.get(code="NW")
    assert client.get(f"/map/testarea/blocks/{north_west.pk}.json").json()["observations"] == []
    exported = client.get("/api/areas/testarea/export/observations.geojson")
    features = json.loads(b"".join(exported.streaming_content))["features"]
    assert [f["properties"]["block_code"] for f in features] == ["SW"]
