"""OGC API – Features Part 1: the Core and GeoJSON requirement classes, and the roles."""

import base64
from urllib.parse import urlsplit

import pytest

from tests.factories import PASSWORD, make_area
from tests.layers.export_helpers import fast_passwords_fixture  # noqa: F401
from tests.layers.exports_data import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"


def rels(body) -> dict:
    return {link["rel"]: link for link in body["links"]}


def path_of(href: str) -> str:
    parts = urlsplit(href)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def collection_ids(client) -> set[str]:
    response = client.get("/ogc/collections")
    assert response.status_code == 200
    return {c["id"] for c in response.json()["collections"]}


@pytest.fixture
def analyst(client_for, member):
    return client_for(member("analyst"))


def test_landing_page_links_definition_conformance_and_data(api):
    body = api.get("/ogc/").json()
    links = rels(body)
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(links)
    assert path_of(links["conformance"]["href"]) == "/ogc/conformance"
    assert path_of(links["data"]["href"]) == "/ogc/collections"
    assert api.get(path_of(links["service-desc"]["href"])).status_code == 200


def test_conformance_declares_core_and_geojson(api):
    assert set(api.get("/ogc/conformance").json()["conformsTo"]) >= {CORE, GEOJSON}


def test_collections_are_each_layer_the_role_may_see(client_for, member, world):
    walk_layers = {"testarea-observations", "testarea-sightlines", "testarea-walks"}
    aggregate_layers = {"testarea-blocks", "testarea-lamps", "testarea-crime_blocks"}
    assert collection_ids(client_for(member("participant"))) == walk_layers
    assert collection_ids(client_for(member("planner"))) == walk_layers | aggregate_layers
    assert collection_ids(client_for(member("analyst"))) == (
        walk_layers | aggregate_layers | {"testarea-crime"}
    )


def test_anonymous_sees_only_published_areas_aggregates(api, world):
    make_area("open-town", published=True)
    assert collection_ids(api) == {"open-town-blocks", "open-town-lamps", "open-town-crime_blocks"}
    assert api.get("/ogc/collections/testarea-blocks").status_code == 404


def test_collection_describes_itself_with_items_link_and_extent(analyst, world):
    body = analyst.get("/ogc/collections/testarea-lamps").json()
    assert body["id"] == "testarea-lamps"
    assert body["itemType"] == "feature"
    assert body["extent"]["spatial"]["bbox"] == [[13.0, 55.6, 13.018, 55.61]]
    items = rels(body)["items"]
    assert items["type"] == "application/geo+json"
    assert path_of(items["href"]) == "/ogc/collections/testarea-lamps/items"


@pytest.mark.parametrize(
    "path",
    [
        "/ogc/collections/testarea-trees",
        "/ogc/collections/nowhere-blocks",
        "/ogc/collections/testarea-trees/items",
        "/ogc/collections/testarea-lamps/items/999999",
        "/ogc/collections/testarea-lamps/items/not-a-number",
        "/ogc/collections/testarea-blocks/items/XX",
    ],
)
def test_unknown_collections_and_features_are_404(analyst, world, path):
    response = analyst.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"


def test_crime_points_do_not_exist_for_planners(client_for, member, world):
    planner = client_for(member("planner"))
    assert planner.get("/ogc/collections/testarea-crime").status_code == 404
    assert planner.get("/ogc/collections/testarea-crime/items").status_code == 404


def test_items_are_geojson_with_counts_and_links(analyst, world):
    response = analyst.get("/ogc/collections/testarea-crime/items")
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert (body["numberMatched"], body["numberReturned"]) == (8, 8)
    assert "crs" not in body and "next" not in rels(body)
    assert rels(body)["self"]["type"] == "application/geo+json"
    assert body["timeStamp"].endswith("Z")


def test_paging_follows_next_links_through_every_feature(analyst, world):
    url, seen, pages = "/ogc/collections/testarea-crime/items?limit=3", [], 0
    while url and pages < 10:
        body = analyst.get(url).json()
        # Only the first page counts the collection (docs/exports.md).
        assert body.get("numberMatched") == (None if pages else 8)
        seen += [f["id"] for f in body["features"]]
        if pages:
            assert "prev" in rels(body)
        url = path_of(rels(body)["next"]["href"]) if "next" in rels(body) else None
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen)) == 8


def test_default_limit_is_ten(analyst, world, area):
    from django.contrib.gis.geos import Point

    from layers.models import Lamp

    Lamp.objects.bulk_create(
        [Lamp(area=area, geom=Point(13.001 + i * 1e-4, 55.601, srid=4326)) for i in range(12)]
    )
    body = analyst.get("/ogc/collections/testarea-lamps/items").json()
    assert (body["numberMatched"], body["numberReturned"]) == (14, 10)
    assert "limit=10" in rels(body)["next"]["href"]


@pytest.mark.parametrize("limit", ["0", "10001", "-5", "ten"])
def test_limit_out_of_bounds_is_a_400(analyst, world, limit):
    response = analyst.get(f"/ogc/collections/testarea-lamps/items?limit={limit}")
    assert response.status_code == 400
    assert response.json()["description"].startswith("limit:")


def test_limit_at_its_maximum_is_accepted(analyst, world):
    assert analyst.get("/ogc/collections/testarea-lamps/items?limit=10000").status_code == 200


def test_bbox_selects_intersecting_features(analyst, world):
    body = analyst.get("/ogc/collections/testarea-blocks/items?bbox=13.001,55.601,13.002,55.602")
    assert [f["id"] for f in body.json()["features"]] == ["SW"]


def test_datetime_instant_and_intervals(analyst, world):
    def kinds(value):
        url = f"/ogc/collections/testarea-observations/items?datetime={value}"
        response = analyst.get(url)
        assert response.status_code == 200, response.content
        return sorted(f["properties"]["kind"] for f in response.json()["features"])

    assert kinds("2025-06-01T20:15:00Z") == ["lighting_defect"]
    assert kinds("2025-07-01/..") == ["safe_place"]
    assert kinds("../2025-06-01T21:00:00Z") == ["lighting_defect", "unsafe_spot"]
    assert kinds("2025-06-01") == ["blocked_sightline", "lighting_defect", "unsafe_spot"]


@pytest.mark.parametrize(
    "value", ["yesterday", "../..", "2025-06-02/2025-06-01", "2025-06-01T20:00"]
)
def test_bad_datetime_is_a_400(analyst, world, value):
    response = analyst.get(f"/ogc/collections/testarea-observations/items?datetime={value}")
    assert response.status_code == 400 and "datetime" in response.json()["description"]


def test_unknown_query_parameter_is_a_400(analyst, world):
    response = analyst.get("/ogc/collections/testarea-lamps/items?colour=red")
    assert response.status_code == 400 and "colour" in response.json()["description"]
    # A kind filter belongs to observations only.
    assert analyst.get("/ogc/collections/testarea-lamps/items?kind=other").status_code == 400
    assert (
        analyst.get("/ogc/collections/testarea-observations/items?kind=safe_place").json()[
            "numberMatched"
        ]
        == 1
    )


def test_single_feature_has_links(analyst, world):
    lamp_out = world["obs"]["lamp_out"]
    response = analyst.get(f"/ogc/collections/testarea-observations/items/{lamp_out.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    feature = response.json()
    assert feature["type"] == "Feature" and feature["id"] == lamp_out.pk
    assert feature["geometry"]["coordinates"] == [13.0012346, 55.6019877]
    assert {"self", "collection"} <= set(rels(feature))
    block = analyst.get("/ogc/collections/testarea-blocks/items/SW").json()
    assert block["properties"]["crime_count"] == 5


def test_items_hide_small_counts_from_planners(client_for, member, world):
    body = client_for(member("planner")).get("/ogc/collections/testarea-crime_blocks/items")
    counts = {f["id"]: f["properties"]["crime_count"] for f in body.json()["features"]}
    assert counts == {"SW": 5, "SE": None, "NW": None, "NE": None}


def test_basic_authentication_works_for_qgis(api, member, world):
    user = member("planner")
    credentials = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    api.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert "testarea-blocks" in collection_ids(api)


def test_collections_list_uses_constant_queries(
    client_for, member, world, django_assert_max_num_queries
):
    client = client_for(member("planner"))
    for i in range(3):
        make_area(f"open-{i}", published=True, blocks=False)
    with django_assert_max_num_queries(5):
        client.get("/ogc/collections")


def test_items_use_constant_queries(analyst, world, area, django_assert_max_num_queries):
    from django.contrib.gis.geos import Point

    from layers.models import Lamp

    Lamp.objects.bulk_create(
        [Lamp(area=area, geom=Point(13.001 + i * 1e-5, 55.601, srid=4326)) for i in range(50)]
    )
    # token, area, role, count, page
    with django_assert_max_num_queries(5):
        body = analyst.get("/ogc/collections/testarea-lamps/items?limit=40").json()
    assert body["numberReturned"] == 40


@pytest.mark.parametrize(
    "accept", ["application/geo+json", "application/geo+json, application/json", "text/html"]
)
def test_items_answer_geojson_whatever_the_accept_header(analyst, world, accept):
    # A client asking only for GeoJSON got 406 from DRF's negotiation, though it is GeoJSON.
    for path in ("items?limit=2", "items/SW"):
        response = analyst.get(f"/ogc/collections/testarea-blocks/{path}", HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/geo+json")


def test_bbox_with_heights_and_the_default_bbox_crs_are_understood(analyst, world):
    url = "/ogc/collections/testarea-blocks/items"
    plain = analyst.get(f"{url}?bbox=13.0,55.6,13.009,55.605").json()["numberMatched"]
    heights = analyst.get(f"{url}?bbox=13.0,55.6,-10,13.009,55.605,90").json()["numberMatched"]
    crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    named = analyst.get(f"{url}?bbox=13.0,55.6,13.009,55.605&bbox-crs={crs84}")
    assert plain == heights == named.json()["numberMatched"]
    other = analyst.get(f"{url}?bbox=0,0,1,1&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3006")
    assert other.status_code == 400 and "bbox-crs" in other.json()["description"]


def test_an_offset_beyond_the_databases_integers_is_a_400(analyst, world):
    response = analyst.get("/ogc/collections/testarea-blocks/items?offset=9223372036854775808")
    assert response.status_code == 400 and "offset" in response.json()["description"]


def test_a_participant_reads_the_notes_of_their_own_walks_only(client_for, member, area):
    # A participant of another walk read a finding's note, and the coordinator's follow-up note
    # naming who was told, through OGC and the map, though the walks API refused them the walk.
    from django.contrib.gis.geos import Point

    from tests.tiles.data import add_observation, add_walk

    walk = add_walk(area)
    finding = add_observation(walk, Point(13.005, 55.605, srid=4326), "unsafe_spot")
    finding.note, finding.follow_up_note = "Dark stairs", "Told the housing company (Lisa B.)"
    finding.save()
    outsider, walker = member("participant"), member("participant")
    walk.participants.add(walker)
    item = f"/ogc/collections/testarea-observations/items/{finding.pk}"
    details = f"/map/testarea/observations/{finding.pk}.json"
    seen = client_for(outsider).get(item).json()["properties"]
    assert seen["note"] in ("", None) and seen["follow_up_note"] in ("", None)
    assert "note" not in client_for(outsider).get(details).json()
    assert client_for(walker).get(details).json()["note"] == "Dark stairs"
    assert client_for(member("planner")).get(item).json()["properties"]["note"] == "Dark stairs"


def test_documents_say_they_are_english_and_refusals_speak_the_asked_language(analyst, world):
    # The titles and descriptions are English; a Swedish browser's session was told "sv".
    analyst.cookies["django_language"] = "sv"
    for path in ("/ogc/", "/ogc/collections", "/ogc/collections/testarea-blocks/items"):
        assert analyst.get(path)["Content-Language"] == "en"
    refused = analyst.get("/ogc/collections/nowhere")
    assert refused.status_code == 404 and refused["Content-Language"] == "sv"
    assert refused.json()["description"].startswith("Ingen samling")
