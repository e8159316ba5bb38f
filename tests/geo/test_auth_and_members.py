import pytest
from django.core.management import CommandError, call_command

from geo.models import Membership, Role
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_token_auth_gives_a_token_that_opens_the_api(api, member):
    user = member("analyst")
    response = api.post("/api/auth/token/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert [a["slug"] for a in api.get("/api/areas/").json()] == ["testarea"]


def test_wrong_password_gets_no_token(api, member):
    user = member("analyst")
    response = api.post("/api/auth/token/", {"username": user.username, "password": "nope"})
    assert response.status_code == 400
    assert "token" not in response.json()


def test_session_login_works_for_the_api(client, member):
    user = member("planner")
    assert client.login(username=user.username, password=PASSWORD)
    assert client.get("/api/areas/testarea/blocks/").status_code == 200


def test_add_member_command_creates_user_and_role(area):
    call_command(
        "add_member",
        "testarea",
        "kari",
        "--role",
        "planner",
        "--create",
        "--password",
        "x-pass-123",
    )
    membership = Membership.objects.get(user__username="kari")
    assert (membership.area.slug, membership.role) == ("testarea", "planner")
    assert membership.user.check_password("x-pass-123")


def test_add_member_command_changes_an_existing_role(area):
    user = make_user("liv")
    call_command("add_member", "testarea", "liv", "--role", "participant")
    call_command("add_member", "testarea", "liv", "--role", "analyst")
    assert list(Membership.objects.filter(user=user).values_list("role", flat=True)) == ["analyst"]


def test_add_member_command_refuses_unknown_user_and_area(area):
    with pytest.raises(CommandError, match="No user named"):
        call_command("add_member", "testarea", "ghost", "--role", "planner")
    with pytest.raises(CommandError, match="No area"):
        call_command("add_member", "nowhere", "ghost", "--role", "planner")


def test_coordinator_adds_a_member_through_the_api(client_for, member):
    newcomer = make_user("newcomer")
    response = client_for(member("coordinator")).post(
        "/api/areas/testarea/members/", {"username": "newcomer", "role": "participant"}
    )
    assert response.status_code == 201, response.json()
    assert Membership.objects.get(user=newcomer).role == Role.PARTICIPANT


@pytest.mark.parametrize("role", ["participant", "planner", "analyst"])
def test_only_coordinators_manage_members(client_for, member, role):
    make_user("newcomer")
    response = client_for(member(role)).post(
        "/api/areas/testarea/members/", {"username": "newcomer", "role": "analyst"}
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(user__username="newcomer").exists()


def test_member_api_names_a_bad_role(client_for, member):
    make_user("newcomer")
    response = client_for(member("coordinator")).post(
        "/api/areas/testarea/members/", {"username": "newcomer", "role": "boss"}
    )
    assert response.status_code == 400
    assert "role" in response.json()
