import gzip
import json

import pytest
import shapely

from geo.models import Role
from tests.factories import make_area, make_member, make_user

pytestmark = pytest.mark.django_db


def slugs(response):
    return sorted(a["slug"] for a in response.json())


def test_anonymous_sees_only_published_areas(api, area):
    make_area("open-town", published=True)
    assert slugs(api.get("/api/areas/")) == ["open-town"]


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_sees_its_area_with_its_role(client_for, member, area, role):
    make_area("elsewhere")
    response = client_for(member(role)).get("/api/areas/")
    assert response.status_code == 200
    [only] = response.json()
    assert (only["slug"], only["role"], only["block_count"]) == ("testarea", role, 4)


def test_user_without_membership_sees_no_private_area(client_for, area):
    assert client_for(make_user()).get("/api/areas/").json() == []


def test_superuser_sees_every_area(client_for, area):
    make_area("elsewhere")
    admin = make_user(is_superuser=True, is_staff=True)
    assert slugs(client_for(admin).get("/api/areas/")) == ["elsewhere", "testarea"]


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_blocks_are_geojson_for_every_member(client_for, member, role):
    response = client_for(member(role)).get("/api/areas/testarea/blocks/")
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert [f["id"] for f in body["features"]] == ["NE", "NW", "SE", "SW"]
    first = body["features"][0]
    assert set(first["properties"]) == {"code", "name", "population"}
    assert first["properties"]["code"] == "NE"
    assert first["geometry"]["type"] == "MultiPolygon"
    # RFC 7946: exterior rings counter-clockwise (the right-hand rule), ≤ 7 decimals.
    ring = first["geometry"]["coordinates"][0][0]
    assert shapely.LinearRing(ring).is_ccw
    assert all(len(str(c).split(".")[-1]) <= 7 for point in ring for c in point)


def test_blocks_of_a_private_area_are_hidden_from_outsiders(client_for, api, area):
    other = make_area("other")
    outsider = make_member(other, Role.ANALYST)
    assert client_for(outsider).get("/api/areas/testarea/blocks/").status_code == 404
    assert api.get("/api/areas/testarea/blocks/").status_code == 404


def test_published_area_blocks_are_public(api):
    make_area("open-town", published=True)
    assert len(api.get("/api/areas/open-town/blocks/").json()["features"]) == 4


def test_blocks_filter_by_bbox(client_for, member):
    client = client_for(member("planner"))
    # A box inside the south-west quarter only.
    response = client.get("/api/areas/testarea/blocks/?bbox=13.001,55.601,13.002,55.602")
    assert [f["id"] for f in response.json()["features"]] == ["SW"]


@pytest.mark.parametrize(
    "bbox, reason",
    [
        ("1,2,3", "four numbers"),
        ("a,b,c,d", "must be a number"),
        ("55.6,13.0,55.61,13.02,", "four numbers"),
        ("13.02,55.6,13.0,55.61", "must not exceed"),
        ("200,55,201,56", "WGS 84"),
        ("nan,55,13,56", "finite"),
    ],
)
def test_bad_bbox_is_a_400_naming_the_field(client_for, member, bbox, reason):
    response = client_for(member("planner")).get(f"/api/areas/testarea/blocks/?bbox={bbox}")
    assert response.status_code == 400
    assert reason in response.json()["bbox"][0]


def test_blocks_list_uses_constant_queries(client_for, member, django_assert_max_num_queries):
    client = client_for(member("planner"))
    with django_assert_max_num_queries(4):
        client.get("/api/areas/testarea/blocks/")


def test_area_list_gives_counts_in_constant_queries(
    client_for, member, area, django_assert_max_num_queries
):
    from django.utils import timezone

    from walks.models import Walk

    make_area("second")
    Walk.objects.create(area=area, name="w", starts_at=timezone.now())
    client = client_for(make_user(is_superuser=True))
    with django_assert_max_num_queries(4):
        response = client.get("/api/areas/")
    by_slug = {a["slug"]: a for a in response.json()}
    assert (by_slug["testarea"]["block_count"], by_slug["testarea"]["walk_count"]) == (4, 1)
    assert (by_slug["second"]["walk_count"], by_slug["second"]["crime_count"]) == (0, 0)


def test_home_page_lists_the_users_areas(client, member):
    from tests.factories import PASSWORD

    user = member("planner")
    client.login(username=user.username, password=PASSWORD)
    page = client.get("/").content.decode()
    assert "Testarea" in page and "/map/testarea/" in page


@pytest.mark.parametrize(
    "role, links",
    [
        ("participant", {"/map/testarea/"}),
        ("planner", {"/map/testarea/", "/walks/plan/testarea/"}),
        ("coordinator", {"/map/testarea/", "/walks/plan/testarea/"}),
        ("analyst", {"/map/testarea/", "/areas/testarea/data/"}),
    ],
)
def test_home_page_links_each_role_to_its_work(client, member, role, links):
    client.force_login(member(role))
    page = client.get("/").content.decode()
    for link in ("/map/testarea/", "/walks/plan/testarea/", "/areas/testarea/data/"):
        assert (f'href="{link}"' in page) == (link in links), link


def test_blocks_go_compressed_to_clients_that_accept_it(client_for, member):
    client = client_for(member("participant"))
    plain = client.get("/api/areas/testarea/blocks/")
    packed = client.get("/api/areas/testarea/blocks/", HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain
    assert json.loads(gzip.decompress(packed.content)) == plain.json()


def test_an_unknown_page_is_a_404_page_leading_back_home(client):
    response = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="sv")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Sidan finns inte" in page and 'href="/"' in page
    assert client.get("/api/no/such/thing/").json() == {"detail": "Not found."}


def test_home_page_lists_a_participants_walks_with_capture_and_report(client, member, area):
    from tests.walks.helpers import make_walk

    participant = member("participant")
    walks = [make_walk(area, [participant], name=f"Walk {n}") for n in range(7)]
    client.force_login(participant)
    page = client.get("/").content.decode()
    shown = [walk for walk in walks if f'href="/walks/{walk.pk}/report/"' in page]
    assert len(shown) == 5  # the latest five, then a link to all of them
    assert all(f'href="/walks/{walk.pk}/capture/"' in page for walk in shown)
    assert 'href="/walks/"' in page


@pytest.mark.parametrize(
    "role, shown", [("coordinator", True), ("planner", True), ("participant", False)]
)
def test_the_start_page_counts_the_findings_to_follow_up(
    client, client_for, member, area, role, shown
):
    from tests.walks.helpers import item, make_walk, sync
    from walks.models import Observation

    walker = member("participant")
    walk = make_walk(area, [walker])
    # Three problems, one of them fixed, and a safe place, which no one follows up.
    sync(client_for(walker), walk, [item(), item(), item(), item(kind="safe_place")])
    first = Observation.objects.filter(kind__positive=False).order_by("pk").first()
    Observation.objects.filter(pk=first.pk).update(follow_up="fixed")
    client.force_login(walker if role == "participant" else member(role))
    page = client.get("/").content.decode()
    link = '<a href="/map/testarea/?follow_up=open">2 findings to follow up</a>'
    assert (link in page) is shown
