"""The members page: coordinators add, change and remove members (creating accounts for people
without one); planners read the list; everyone else is refused. An area keeps a coordinator."""

import pytest

from geo.models import Membership, Role
from tests.factories import PASSWORD, make_member, make_user

pytestmark = pytest.mark.django_db

PAGE = "/areas/testarea/members/"


def roles():
    return dict(Membership.objects.values_list("user__username", "role"))


def test_a_coordinator_creates_an_account_for_a_resident(client, coordinator):
    response = client.post(
        PAGE,
        {
            "action": "add",
            "username": "resident-7",
            "role": "participant",
            "password": "walk-at-dusk-42",
        },
    )
    assert response.status_code == 302 and response["Location"] == PAGE
    assert roles()["resident-7"] == Role.PARTICIPANT
    assert client.login(username="resident-7", password="walk-at-dusk-42")


def test_a_coordinator_adds_an_existing_account_without_a_password(client, coordinator):
    make_user("neighbour")
    client.post(PAGE, {"action": "add", "username": "neighbour", "role": "planner"})
    assert roles()["neighbour"] == Role.PLANNER
    page = client.get(PAGE).content.decode()
    assert "neighbour is planner in this area." in page  # the message after the redirect


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({"username": "ghost"}, "No user named &#x27;ghost&#x27;."),
        ({"username": "newbie", "password": "short"}, "This password is too short."),
        ({"username": "newbie", "password": "password123"}, "This password is too common."),
        ({"username": "two words", "password": "walk-at-dusk-42"}, "Enter a valid username."),
        (
            {"username": "neighbour", "password": "walk-at-dusk-42"},
            "There is already an account named neighbour.",
        ),
        ({"username": "newbie", "role": "boss"}, "Select a valid choice."),
    ],
)
def test_a_refused_addition_names_the_problem_and_changes_nothing(
    client, coordinator, fields, problem
):
    make_user("neighbour")
    before = roles()
    response = client.post(PAGE, {"action": "add", "role": "participant", **fields})
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert roles() == before
    assert not Membership.objects.filter(user__username="newbie").exists()
    # An existing account's password is never changed from here.
    assert client.login(username="neighbour", password=PASSWORD)


def test_a_coordinator_changes_a_role_and_removes_a_member(client, coordinator, member):
    participant = member("participant")
    membership = Membership.objects.get(user=participant)
    client.post(PAGE, {"action": "role", "membership": membership.pk, "role": "planner"})
    assert roles()[participant.username] == Role.PLANNER
    client.post(PAGE, {"action": "remove", "membership": membership.pk})
    assert participant.username not in roles()


def test_the_last_coordinator_can_neither_step_down_nor_leave(client, coordinator, member):
    own = Membership.objects.get(user=coordinator)
    for change in ({"action": "role", "role": "planner"}, {"action": "remove"}):
        response = client.post(PAGE, {"membership": own.pk, **change}, follow=True)
        assert "only coordinator; make someone else coordinator first" in response.content.decode()
        assert roles()[coordinator.username] == Role.COORDINATOR
    # With a second coordinator, the first may step down.
    other = member("coordinator")
    client.post(PAGE, {"action": "role", "membership": own.pk, "role": "planner"})
    assert roles() == {coordinator.username: Role.PLANNER, other.username: Role.COORDINATOR}


def test_the_api_keeps_the_last_coordinator_too(client_for, coordinator):
    own = Membership.objects.get(user=coordinator)
    response = client_for(coordinator).delete(f"/api/areas/testarea/members/{own.pk}/")
    assert response.status_code == 400 and "only coordinator" in response.json()["role"][0]
    assert Membership.objects.filter(pk=own.pk).exists()


def test_a_planner_reads_the_list_without_the_forms(client, member):
    client.force_login(member("planner"))
    member("participant")
    page = client.get(PAGE).content.decode()
    assert "Members of Testarea" in page
    assert 'name="action"' not in page
    assert (
        client.post(PAGE, {"action": "add", "username": "x", "role": "analyst"}).status_code == 403
    )


def test_a_membership_of_another_area_cannot_be_touched(client, coordinator):
    from tests.factories import make_area, make_member

    elsewhere = make_member(make_area("elsewhere"), Role.PARTICIPANT)
    foreign = Membership.objects.get(user=elsewhere)
    assert client.post(PAGE, {"action": "remove", "membership": foreign.pk}).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_the_page_speaks_swedish(client, coordinator):
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Medlemmar i Testarea" in page and "Lägg till en medlem" in page


def test_the_start_page_links_coordinators_and_planners_to_it(client, member):
    for role, linked in [
        ("coordinator", True),
        ("planner", True),
        ("participant", False),
        ("analyst", False),
    ]:
        client.force_login(member(role))
        assert (PAGE in client.get("/").content.decode()) is linked, role


def test_a_coordinator_gives_a_resident_who_forgot_it_a_new_password(client, coordinator, member):
    resident = member("participant")
    membership = Membership.objects.get(user=resident)
    page = client.get(PAGE).content.decode()
    assert 'value="password"' in page
    response = client.post(
        PAGE,
        {"action": "password", "membership": membership.pk, "password": "new-start-2026"},
        follow=True,
    )
    assert f"{resident.username} has a new password" in response.content.decode()
    resident.refresh_from_db()
    assert resident.check_password("new-start-2026")


@pytest.mark.parametrize("target", ["planner", "analyst", "coordinator", "staff", "also-elsewhere"])
def test_no_new_password_for_accounts_that_see_more_than_a_participant(
    client, coordinator, member, target
):
    from tests.factories import make_area

    user = member("participant" if target in ("staff", "also-elsewhere") else target)
    if target == "staff":
        user.is_staff = True
        user.save()
    if target == "also-elsewhere":  # a participant here, but a planner in another area
        Membership.objects.create(user=user, area=make_area("elsewhere"), role=Role.PLANNER)
    membership = Membership.objects.get(user=user, area__slug="testarea")
    response = client.post(
        PAGE,
        {"action": "password", "membership": membership.pk, "password": "taken-over-77"},
        follow=True,
    )
    assert "You can set the password only of accounts" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and not user.check_password("taken-over-77")


def test_a_new_password_must_pass_the_rules(client, coordinator, member):
    resident = member("participant")
    membership = Membership.objects.get(user=resident)
    response = client.post(
        PAGE, {"action": "password", "membership": membership.pk, "password": "123"}, follow=True
    )
    assert "This password is too short" in response.content.decode()
    resident.refresh_from_db()
    assert resident.check_password(PASSWORD)


@pytest.mark.parametrize("value", ["abc", "", "1.5", "٣", "9" * 30, "-1"])
def test_a_hand_edited_form_gets_404_not_a_server_error(client, coordinator, value):
    response = client.post(PAGE, {"action": "remove", "membership": value})
    assert response.status_code == 404


def test_the_api_creates_an_account_as_the_page_does(client_for, member):
    api = client_for(member("coordinator"))
    url = "/api/areas/testarea/members/"
    created = api.post(
        url, {"username": "resident-9", "role": "participant", "password": "night-walk-31"}
    )
    assert created.status_code == 201 and created.json()["username"] == "resident-9"
    assert "password" not in created.json()
    refused = [
        ({"username": "ghost", "role": "participant"}, "username"),  # no account, no password
        ({"username": "resident-10", "role": "participant", "password": "123"}, "password"),
        ({"username": "resident-9", "role": "planner", "password": "other-pass-99"}, "password"),
    ]
    for body, field in refused:
        response = api.post(url, body)
        assert response.status_code == 400 and field in response.json(), body
    assert roles()["resident-9"] == "participant"  # the refused change of role left it alone
    assert "resident-10" not in roles()


def test_a_name_differing_only_in_letter_case_is_the_existing_account(client, coordinator, area):
    # One of the area's own people, whom the hint may name (for an account outside the areas
    # whose members the coordinator sees, tests/geo/test_member_names_hidden.py).
    make_member(area, Role.PARTICIPANT, "neighbour")
    before = roles()
    for password in ("walk-at-dusk-42", ""):
        response = client.post(
            PAGE,
            {"action": "add", "username": "Neighbour", "role": "participant", "password": password},
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "account named neighbour" in page
    assert roles() == before


def test_adding_a_member_again_says_their_role_changed(client, coordinator):
    make_user("neighbour")
    client.post(PAGE, {"action": "add", "username": "neighbour", "role": "participant"})
    client.post(PAGE, {"action": "add", "username": "neighbour", "role": "planner"})
    page = client.get(PAGE).content.decode()
    assert "neighbour was participant and is now planner in this area." in page


def test_a_coordinator_who_removes_themselves_lands_on_the_start_page(client, coordinator, member):
    member("coordinator")  # another one keeps the area managed
    mine = Membership.objects.get(user=coordinator)
    response = client.post(PAGE, {"action": "remove", "membership": mine.pk})
    assert response.status_code == 302 and response["Location"] == "/"


def test_removing_a_member_asks_first(client, coordinator, member):
    member("participant")
    assert 'data-confirm="Remove ' in client.get(PAGE).content.decode()


def test_a_removed_member_leaves_the_areas_open_walks_but_stays_on_walks_done(
    client, coordinator, member
):
    # A resident removed from the area stayed listed on its coming walks, which they could no
    # longer open; the walks they took part in keep them, as a record of who walked.
    from tests.walks.helpers import make_walk

    participant = member("participant")
    coming = make_walk(participant.memberships.get().area, participants=[participant])
    done = make_walk(coming.area, participants=[participant], status="done")
    client.post(PAGE, {"action": "remove", "membership": participant.memberships.get().pk})
    assert list(coming.participants.all()) == []
    assert list(done.participants.all()) == [participant]


def test_a_coordinator_cannot_take_over_an_older_account_by_adding_it(client, coordinator):
    # An account of no area (a former member's) was added as a participant, then given a new
    # password by the adding coordinator: theirs to log in as.
    from datetime import timedelta

    from django.utils import timezone

    older = make_user("former-member")
    type(older).objects.filter(pk=older.pk).update(date_joined=timezone.now() - timedelta(days=40))
    client.post(PAGE, {"action": "add", "username": "former-member", "role": "participant"})
    membership = Membership.objects.get(user=older)
    response = client.post(
        PAGE,
        {"action": "password", "membership": membership.pk, "password": "taken-over-77"},
        follow=True,
    )
    assert "only of accounts" in response.content.decode()
    assert client.login(username="former-member", password=PASSWORD)
