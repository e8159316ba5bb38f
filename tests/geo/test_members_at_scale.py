"""An area of hundreds of members: the members API page by page and by username, the members
page a page at a time with a search box, in queries that do not grow with the members."""

import pytest

from geo.models import Membership, Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

MANY = 60  # more than a page of the members page (50)


@pytest.fixture
def residents(area):
    users = [make_user(f"resident-{i:02d}") for i in range(MANY - 2)]
    users += [make_user("caretaker-anna"), make_user("police-bo")]
    Membership.objects.bulk_create(
        Membership(user=user, area=area, role=Role.PARTICIPANT) for user in users
    )
    return users


def test_the_members_api_answers_page_by_page_by_username(client_for, member, residents):
    client = client_for(member("coordinator"))
    first = client.get("/api/areas/testarea/members/?limit=25").json()
    assert first["count"] == MANY + 1
    assert [m["username"] for m in first["results"][:2]] == ["caretaker-anna", "police-bo"]
    names = [m["username"] for m in first["results"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        names += [m["username"] for m in page["results"]]
    assert len(names) == len(set(names)) == MANY + 1 and names == sorted(names)
    # Without `limit` the whole list, as before.
    assert len(client.get("/api/areas/testarea/members/").json()) == MANY + 1


def test_the_members_api_finds_members_by_username(client_for, member, residents):
    client = client_for(member("planner"))
    found = client.get("/api/areas/testarea/members/?q=POLICE").json()
    assert [m["username"] for m in found] == ["police-bo"]
    assert client.get("/api/areas/testarea/members/?limit=x").status_code == 400


def test_member_lists_cost_the_same_queries_at_60_members(
    client, client_for, member, residents, django_assert_max_num_queries
):
    coordinator = member("coordinator")
    api = client_for(coordinator)
    with django_assert_max_num_queries(6):
        response = api.get("/api/areas/testarea/members/?limit=50")
    assert len(response.json()["results"]) == 50
    client.force_login(coordinator)
    with django_assert_max_num_queries(12):
        page = client.get("/areas/testarea/members/").content.decode()
    assert page.count('name="action" value="remove"') == 50


def test_the_members_page_finds_a_member_and_pages_through_the_rest(client, member, residents):
    client.force_login(member("coordinator"))
    page = client.get("/areas/testarea/members/").content.decode()
    assert "caretaker-anna" in page and "resident-47" in page and "resident-48" not in page
    assert "Page 1 of 2" in page and 'href="?page=2"' in page
    second = client.get("/areas/testarea/members/?page=2").content.decode()
    assert "resident-48" in second and "caretaker-anna" not in second
    found = client.get("/areas/testarea/members/?q=Bo").content.decode()
    assert "police-bo" in found and "resident-01" not in found and "Page 1" not in found
    nobody = client.get("/areas/testarea/members/?q=zz").content.decode()
    assert "No member's username contains “zz”." in nobody
