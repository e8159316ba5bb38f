"""A coordinator adds a walk's residents at once, a username a line: those without an account
get one with a first password of its own, shown once to be printed; existing accounts are added
by name, members already there keep their role, and one refused name changes nothing."""

import re

import pytest
from django.contrib.auth import get_user_model

from geo.models import Membership, Role
from geo.services import FIRST_PASSWORD_SIGNS, first_password, members_add
from tests.factories import PASSWORD, make_member, make_user
from tests.geo.test_members_page import PAGE

pytestmark = pytest.mark.django_db


def add_many(client, names: str, role="participant"):
    return client.post(PAGE, {"action": "add_many", "many-usernames": names, "many-role": role})


def shown_passwords(page: str) -> dict[str, str]:
    rows = re.findall(r"<tr><td>([^<]+)</td><td>[^<]+</td>\s*<td><code>([^<]+)</code>", page)
    return dict(rows)


def test_residents_get_accounts_with_first_passwords_shown_once(client, coordinator, area):
    make_user("neighbour")  # has an account elsewhere: added by its name
    response = add_many(client, "anna-k\n\n  bo.lind \nneighbour\nANNA-K\n")
    assert response.status_code == 200  # the page itself: a redirect would lose the passwords
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    passwords = shown_passwords(page)
    assert set(passwords) == {"anna-k", "bo.lind"}  # ANNA-K is anna-k, listed once
    for username, password in passwords.items():
        assert client.login(username=username, password=password)
        assert Membership.objects.get(user__username=username, area=area).role == "participant"
    assert "has an account: added" in page
    assert Membership.objects.filter(user__username="neighbour", area=area).exists()
    assert client.login(username="neighbour", password=PASSWORD)  # its password untouched

    # Shown once: the page again, or the list sent again, shows none.
    coordinator_client = client
    coordinator_client.force_login(coordinator)
    assert "<code>" not in coordinator_client.get(PAGE).content.decode()
    again = add_many(coordinator_client, "anna-k\nbo.lind").content.decode()
    assert shown_passwords(again) == {} and again.count("a member already; role kept") == 2


def test_a_member_on_the_list_keeps_their_role(client, coordinator, area):
    make_member(area, Role.PLANNER, "planner-pia")
    add_many(client, "planner-pia\nnew-one")
    roles = dict(Membership.objects.values_list("user__username", "role"))
    assert roles["planner-pia"] == Role.PLANNER and roles["new-one"] == Role.PARTICIPANT


def test_one_refused_name_adds_nobody_and_says_which(client, coordinator, area):
    make_user("Karin")  # a name differing only in letter case from one typed
    users = get_user_model().objects.count()
    response = add_many(client, "fresh-one\ntwo words\nkarin")
    assert response.status_code == 400
    page = response.content.decode()
    assert "two words: Enter a valid username." in page
    assert "karin: " in page
    assert get_user_model().objects.count() == users  # fresh-one was not made either
    assert not Membership.objects.filter(user__username="fresh-one").exists()
    assert "<code>" not in page
    assert 'class="add-many" open' in page  # the list is still there to correct


def test_an_empty_list_and_an_unknown_role_are_refused(client, coordinator):
    assert "This field is required." in add_many(client, "\n \n").content.decode()
    assert add_many(client, "someone", role="boss").status_code == 400
    assert not Membership.objects.filter(user__username="someone").exists()


def test_only_coordinators_add_many(client, member):
    client.force_login(member("planner"))
    assert add_many(client, "someone").status_code == 403
    assert not get_user_model().objects.filter(username="someone").exists()


def test_first_passwords_are_readable_and_differ():
    passwords = {first_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert re.fullmatch(
            rf"[{FIRST_PASSWORD_SIGNS}]{{4}}(-[{FIRST_PASSWORD_SIGNS}]{{4}}){{2}}", password
        )


def test_a_first_password_is_hashed_lightly_until_its_first_login(area, member, settings):
    """The site's own hashers: a first password costs milliseconds to store, not Django's 0.45 s
    a person's password costs, and the first login rehashes it with the default."""
    from config import settings as site

    settings.PASSWORD_HASHERS = site.PASSWORD_HASHERS
    from django.test import Client

    added = members_add(
        area=area, usernames=["walker-1"], role="participant", requester=member("coordinator")
    )
    user = get_user_model().objects.get(username="walker-1")
    assert user.password.startswith("pbkdf2_sha256_first$20000$")
    assert Client().login(username="walker-1", password=added[0].password)
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$1000000$")  # the default's, from now on


def test_the_slip_carries_a_qr_code_of_the_login_address(client, coordinator):
    import segno

    page = add_many(client, "resident-q").content.decode()
    svg = re.search(r'<svg [^>]*class="qr".*?</svg>', page, re.S).group(0)
    assert "<title>Scan to log in</title>" in svg
    # The code is the login address's, as segno draws it.
    expected = segno.make("http://testserver/accounts/login/", error="m").svg_inline(
        scale=3, title="Scan to log in", svgclass="qr"
    )
    assert svg == expected


def test_scripts_add_a_list_through_the_api(client_for, member, area):
    api = client_for(member("coordinator"))
    make_member(area, Role.PLANNER, "planner-pia")
    answer = api.post(
        "/api/areas/testarea/members/many/",
        {"usernames": ["api-one", "planner-pia"], "role": "participant"},
        format="json",
    )
    assert answer.status_code == 201 and answer["Cache-Control"] == "no-store"
    one, pia = answer.json()
    assert (one["username"], one["role"], one["already"]) == ("api-one", "participant", False)
    assert re.fullmatch(r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}", one["first_password"])
    assert (pia["role"], pia["first_password"], pia["already"]) == ("planner", None, True)

    refused = api.post(
        "/api/areas/testarea/members/many/",
        {"usernames": ["api-two", "two words"], "role": "participant"},
        format="json",
    )
    assert refused.status_code == 400
    assert list(refused.json()) == ["two words"]
    assert refused.json()["two words"][0].startswith("Enter a valid username.")
    assert not get_user_model().objects.filter(username="api-two").exists()
    too_many = {"usernames": [f"r{i}" for i in range(201)], "role": "participant"}
    assert api.post("/api/areas/testarea/members/many/", too_many, format="json").status_code == 400


def test_only_coordinators_add_a_list_through_the_api(client_for, member):
    answer = client_for(member("planner")).post(
        "/api/areas/testarea/members/many/",
        {"usernames": ["x"], "role": "participant"},
        format="json",
    )
    assert answer.status_code == 403
