"""OGC items pages by keyset cursor: `next` and `prev` carry a signed cursor naming the feature
id a page starts after (or ends before), so a page costs the same at any depth."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing

from geo.models import AuditEntry
from layers.exports.ogc import Cursor
from layers.models import CrimeIncident
from tests.layers.export_helpers import fast_passwords_fixture  # noqa: F401
from tests.layers.exports_data import crime, world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
CRIME = "/ogc/collections/testarea-crime/items"
MAX_PAGES = 50  # every walk below is bounded


def rels(body) -> dict:
    return {link["rel"]: link for link in body["links"]}


def path_of(href: str) -> str:
    parts = urlsplit(href)
    return f"{parts.path}?{parts.query}"


def read(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


def walk(client, url: str, rel: str = "next") -> list[dict]:
    """Every page from `url` on, following `rel` links."""
    pages = []
    while url:
        assert len(pages) < MAX_PAGES
        body = read(client, url)
        pages.append(body)
        url = path_of(rels(body)[rel]["href"]) if rel in rels(body) else None
    return pages


def ids(pages: list[dict]) -> list:
    return [feature["id"] for page in pages for feature in page["features"]]


@pytest.fixture
def analyst(client_for, member):
    return client_for(member("analyst"))


def crime_ids(area, **filters) -> list[int]:
    return list(
        CrimeIncident.objects.filter(area=area, **filters)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@pytest.mark.parametrize(
    ("collection", "query", "expected"),
    [
        ("crime", "", lambda area, world: crime_ids(area)),
        ("crime", "&category=burglary", lambda area, world: crime_ids(area, category="burglary")),
        (
            "crime",
            "&datetime=2025-02-01/2025-04-30",
            lambda area, world: crime_ids(area, month__range=(date(2025, 2, 1), date(2025, 4, 1))),
        ),
        ("blocks", "", lambda area, world: ["NE", "NW", "SE", "SW"]),
        # West of 13.009: the two western blocks only.
        ("blocks", "&bbox=13.0,55.6,13.008,55.61", lambda area, world: ["NW", "SW"]),
        (
            "observations",
            "&datetime=2025-06-01",
            lambda area, world: sorted(
                world["obs"][name].pk for name in ("lamp_out", "dark_corner", "hedge")
            ),
        ),
    ],
)
def test_next_links_give_every_feature_once_in_order_with_the_filters(
    analyst, area, world, collection, query, expected
):
    want = expected(area, world)
    assert len(want) >= 2
    pages = walk(analyst, f"/ogc/collections/testarea-{collection}/items?limit=1{query}")
    assert ids(pages) == want
    assert len(pages) == len(want) and "next" not in rels(pages[-1])
    for page in pages[1:]:
        params = parse_qs(urlsplit(page["links"][0]["href"]).query)
        assert "cursor" in params and "offset" not in params and params["limit"] == ["1"]
        # The filters travel on in every link.
        for name, values in parse_qs(query.lstrip("&")).items():
            assert params[name] == values


def test_rows_added_or_removed_between_pages_neither_repeat_nor_skip(analyst, area, world):
    before = crime_ids(area)
    first = read(analyst, f"{CRIME}?limit=3")
    assert ids([first]) == before[:3]
    # Removing a feature already sent moved every later one a place forward: by offset the
    # next page skipped one. New incidents take higher ids and come at the end.
    CrimeIncident.objects.filter(pk=before[0]).delete()
    added = [crime(area, 13.003, 55.603, f"late{i}").pk for i in range(2)]
    rest = walk(analyst, path_of(rels(first)["next"]["href"]))
    assert ids([first, *rest]) == before + added


def test_prev_links_walk_back_through_the_same_pages(analyst, area, world):
    forward = walk(analyst, f"{CRIME}?limit=3")
    assert [len(page["features"]) for page in forward] == [3, 3, 2]
    assert "prev" not in rels(forward[0])
    backward = walk(analyst, path_of(rels(forward[-1])["prev"]["href"]), rel="prev")
    assert [ids([page]) for page in backward] == [ids([page]) for page in forward[-2::-1]]
    assert "prev" not in rels(backward[-1])
    # A page reached by `prev` leads on by `next` to the page it came from.
    assert ids([read(analyst, path_of(rels(backward[0])["next"]["href"]))]) == ids(forward[-1:])


def test_a_cursor_page_emptied_by_deletions_leads_back_to_the_features_left(analyst, area, world):
    forward = walk(analyst, f"{CRIME}?limit=3")
    everything = crime_ids(area)
    # The last page's features are deleted before the client follows `next` to it.
    CrimeIncident.objects.filter(pk__in=ids(forward[-1:])).delete()
    emptied = read(analyst, path_of(rels(forward[-2])["next"]["href"]))
    assert emptied["features"] == [] and "next" not in rels(emptied)
    # The page before the cursor's feature: the features left, none skipped on the way on.
    back = read(analyst, path_of(rels(emptied)["prev"]["href"]))
    assert ids([back]) == everything[2:5]
    assert ids(walk(analyst, path_of(rels(back)["next"]["href"]))) == everything[5:6]

    # Going back from the second page after the first page's features were deleted.
    CrimeIncident.objects.filter(pk__in=everything[:3]).delete()
    emptied = read(analyst, path_of(rels(forward[1])["prev"]["href"]))
    assert emptied["features"] == [] and "prev" not in rels(emptied)
    assert ids([read(analyst, path_of(rels(emptied)["next"]["href"]))]) == everything[3:6]


def test_only_the_first_page_and_offset_pages_count_the_collection(
    analyst, world, django_assert_max_num_queries
):
    first = read(analyst, f"{CRIME}?limit=3")
    assert (first["numberMatched"], first["numberReturned"]) == (8, 3)
    assert read(analyst, f"{CRIME}?limit=3&offset=6")["numberMatched"] == 8
    second = path_of(rels(first)["next"]["href"])
    # token, area, role, page, audit: no count
    with django_assert_max_num_queries(5) as queries:
        body = read(analyst, second)
    assert "numberMatched" not in body and body["numberReturned"] == 3
    assert not any("count(*)" in query["sql"] for query in queries.captured_queries)


def test_offset_still_pages_and_its_next_link_carries_a_cursor(analyst, area, world):
    everything = crime_ids(area)
    body = read(analyst, f"{CRIME}?limit=3&offset=4")
    assert ids([body]) == everything[4:7]
    assert parse_qs(urlsplit(rels(body)["prev"]["href"]).query)["offset"] == ["1"]
    rest = walk(analyst, path_of(rels(body)["next"]["href"]))
    assert ids(rest) == everything[7:]
    past_the_end = read(analyst, f"{CRIME}?limit=3&offset=8")
    assert past_the_end["features"] == [] and "next" not in rels(past_the_end)


@pytest.mark.parametrize("limit", [1, 7, 8, 9, 10_000])
def test_limits_at_the_edges_page_exactly(analyst, area, world, limit):
    pages = walk(analyst, f"{CRIME}?limit={limit}")
    assert ids(pages) == crime_ids(area)
    assert [len(page["features"]) for page in pages[:-1]] == [limit] * (len(pages) - 1)
    assert len(pages) == -(-8 // limit)  # a full last page has no `next` to an empty one


def test_a_cursor_does_not_depend_on_the_limit(analyst, area, world):
    first = read(analyst, f"{CRIME}?limit=2")
    link = rels(first)["next"]["href"].replace("limit=2", "limit=5")
    assert ids([read(analyst, path_of(link))]) == crime_ids(area)[2:7]


def signed(collection: str, value) -> str:
    return signing.Signer(salt=f"layers.exports.ogc.cursor:{collection}").sign_object(value)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "garbage",
        "eyJhZnRlciI6IDN9",  # {"after": 3}, unsigned
        # Signed by this server, for another collection.
        signed("testarea-lamps", {"after": 1}),
        # Signed for this collection, but no cursor it ever gives (a leaked key, a change of the
        # format): every shape is checked before it reaches a statement.
        signed("testarea-crime", {"after": "SW"}),
        signed("testarea-crime", {"after": True}),
        signed("testarea-crime", {"after": 2**63}),
        signed("testarea-crime", {"after": 1, "before": 2}),
        signed("testarea-crime", {"beyond": 1}),
        signed("testarea-crime", [1]),
    ],
)
def test_bad_or_forged_cursors_are_a_400_and_read_nothing(analyst, world, cursor):
    audited = AuditEntry.objects.count()
    response = analyst.get(CRIME, {"cursor": cursor})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidParameterValue"
    assert body["description"].startswith("cursor: Not a cursor of this collection")
    assert AuditEntry.objects.count() == audited


def test_a_tampered_cursor_is_a_400(analyst, world):
    token = Cursor(1).token("testarea-crime")
    tampered = signing.b64_encode(b'{"after":0}').decode() + token[token.index(":") :]
    assert analyst.get(CRIME, {"cursor": tampered}).status_code == 400
    assert analyst.get(CRIME, {"cursor": token[:-2]}).status_code == 400


def test_a_cursor_with_an_offset_is_a_400(analyst, world):
    first = read(analyst, f"{CRIME}?limit=3")
    response = analyst.get(path_of(rels(first)["next"]["href"]) + "&offset=3")
    assert response.status_code == 400
    assert response.json()["description"] == "offset: Give either offset or cursor, not both."


def test_a_cursor_opens_nothing_the_role_may_not_see(analyst, client_for, member, world):
    second = path_of(rels(read(analyst, f"{CRIME}?limit=3"))["next"]["href"])
    assert client_for(member("planner")).get(second).status_code == 404
    assert client_for(None).get(second).status_code == 404
    # A planner's blocks by cursor: small counts stay hidden on every page.
    planner = client_for(member("planner"))
    pages = walk(planner, "/ogc/collections/testarea-crime_blocks/items?limit=1")
    counts = {f["id"]: f["properties"]["crime_count"] for f in (p["features"][0] for p in pages)}
    assert counts == {"SW": 5, "SE": None, "NW": None, "NE": None}


def test_every_cursor_page_of_crime_points_is_audited(analyst, world):
    audited = AuditEntry.objects.filter(action="crime.read").count()
    pages = walk(analyst, f"{CRIME}?limit=3")
    assert AuditEntry.objects.filter(action="crime.read").count() == audited + len(pages)
