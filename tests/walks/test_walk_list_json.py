"""The walks list written around PostGIS's text (walks.listing) is WalkSerializer's answer, byte
for byte: the same fields in the same order, the same text of each value. A walk alone and the
browsable API still come from the serializer, so the two must not drift apart."""

import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from isal import igzip
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from tests.factories import make_member
from tests.walks.helpers import item, make_walk, sync
from walks.models import Walk
from walks.serializers import WalkSerializer
from walks.views import walks_with_counts

pytestmark = pytest.mark.django_db

URL = "/api/areas/testarea/walks/"
ESCAPED = 'Söder "by night"\u2028\\ <b>'  # a name JSON must escape


@pytest.fixture
def walks(area, participant, client_for):
    """A walk with a route, participants and findings; one with none of them; one done, with
    a name that JSON must escape."""
    neighbour = make_member(area, "participant", "neighbour")
    walked = make_walk(area, [participant, neighbour], name="Evening walk")
    assert sync(client_for(participant), walked, [item(), item()]).json()["created"] == 2
    bare = make_walk(
        area,
        [],
        name="Unplanned",
        route=None,
        starts_at=datetime(2026, 12, 1, 9, 30, 15, 250000, tzinfo=UTC),
    )
    done = make_walk(
        area,
        [participant],
        name=ESCAPED,
        starts_at=datetime(2026, 6, 1, 20, 0, tzinfo=UTC),
        ends_at=datetime(2026, 6, 1, 22, 0, tzinfo=UTC),
        status="done",
        closed_at=datetime(2026, 6, 2, 7, 0, tzinfo=UTC),
    )
    Walk.objects.filter(pk=done.pk).update(version=3)
    return walked, bare, done


def serialized(user, *, show_names: bool, walks=None) -> list:
    """What WalkSerializer gives for `walks` (all of the area's) as `user` reads the list."""
    request = APIRequestFactory().get(URL)
    request.user = user
    queryset = walks_with_counts(walks if walks is not None else Walk.objects.all())
    context = {"request": request, "show_names": show_names}
    return WalkSerializer(queryset, many=True, context=context).data


@pytest.mark.parametrize("role", ["coordinator", "planner", "analyst"])
def test_the_list_is_the_serializers_byte_for_byte(client_for, member, walks, role):
    user = member(role)
    answer = client_for(user).get(URL)
    expected = serialized(user, show_names=role != "analyst")
    assert answer["Content-Type"] == "application/json"
    assert answer.content == JSONRenderer().render(expected)
    listed = answer.json()
    assert [w["name"] for w in listed] == ["Unplanned", "Evening walk", ESCAPED]
    assert b"\\u2028" in answer.content  # escaped, as DRF writes it
    unplanned, walked, done = listed
    assert unplanned["route"] is None and unplanned["participant_count"] == 0
    assert unplanned["starts_at"] == "2026-12-01T10:30:15.250000+01:00"
    assert walked["observation_count"] == 2 and walked["participant_count"] == 2
    assert walked["route"]["coordinates"] == [[13.002, 55.602], [13.016, 55.608]]
    assert done["etag"] == f'"walk-{walks[2].pk}-3"' and done["closed_at"]
    if role != "analyst":
        assert walked["participant_names"] == sorted(walked["participant_names"])
        assert "neighbour" in walked["participant_names"]


def test_a_participant_lists_only_their_walks_as_the_serializer_does(
    client_for, participant, walks
):
    answer = client_for(participant).get(URL)
    theirs = Walk.objects.filter(participants=participant)
    assert answer.content == JSONRenderer().render(
        serialized(participant, show_names=False, walks=theirs)
    )
    assert [w["name"] for w in answer.json()] == ["Evening walk", ESCAPED]
    assert all(w["you_participate"] and w["participant_names"] is None for w in answer.json())
    assert b"neighbour" not in answer.content


def test_a_page_holds_the_serializers_walks(client_for, member, walks):
    planner = member("planner")
    page = client_for(planner).get(f"{URL}?limit=1&offset=1").json()
    whole = json.loads(JSONRenderer().render(serialized(planner, show_names=True)))
    assert list(page) == ["count", "next", "previous", "results"]
    assert page["count"] == 3 and page["results"] == whole[1:2]
    assert "offset=2" in page["next"] and "offset" not in page["previous"]
    found = client_for(planner).get(f"{URL}?limit=5&q=evening").json()
    assert found["count"] == 1 and found["results"] == whole[1:2] and found["next"] is None


def test_the_browsable_api_still_shows_the_walks(client, member, walks):
    client.force_login(member("planner"))
    page = client.get(URL, HTTP_ACCEPT="text/html")
    assert page["Content-Type"].startswith("text/html")
    assert "Evening walk" in page.content.decode()


def test_the_list_is_gzipped_for_who_accepts_it(client_for, member, walks):
    client = client_for(member("planner"))
    plain = client.get(URL)
    packed = client.get(URL, HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip" and "ETag" not in packed
    assert igzip.decompress(packed.content) == plain.content


@pytest.mark.parametrize("role", ["planner", "participant"])
def test_the_lists_queries_do_not_grow_with_walks_or_participants(client_for, area, role):
    user = make_member(area, role)
    client = client_for(user)

    def queries(query=""):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL + query).status_code == 200
        return len(captured)

    make_walk(area, [user], name="first")
    few = queries(), queries("?limit=5")
    for n in range(6):
        make_walk(area, [user, *(make_member(area, "participant") for _ in range(3))], name=str(n))
    assert (queries(), queries("?limit=5")) == few
