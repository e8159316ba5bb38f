"""A coordinator adding a member learns nothing of accounts outside the areas whose members they
see: a name spelt with other letter case answers as a name nobody has, where the account is
someone else's (geo.services._spelling_known_to). Their own people still get the hint."""

import pytest
from django.contrib.auth import get_user_model

from geo.models import Membership, Role
from tests.factories import make_area, make_member, make_user

pytestmark = pytest.mark.django_db

API = "/api/areas/testarea/members/"
PAGE = "/areas/testarea/members/"
NEW_PASSWORD = "Vandring-2026-trygg"


@pytest.fixture
def coordinator(member):
    return member("coordinator")


@pytest.fixture
def outsiders():
    """Karin is a member of another area only; Sven of none."""
    make_member(make_area("elsewhere", blocks=False), Role.PARTICIPANT, "Karin")
    make_user("Sven")


def accounts() -> tuple:
    return (
        sorted(get_user_model().objects.values_list("username", flat=True)),
        sorted(Membership.objects.values_list("user__username", "area__slug", "role")),
    )


def nobody_named(name: str) -> dict:
    return {"username": [f"No user named {name!r}."]}


@pytest.mark.parametrize("typed", ["karin", "sven"])
def test_an_outsiders_name_in_other_letter_case_answers_as_no_account(
    client_for, coordinator, outsiders, typed
):
    api = client_for(coordinator)
    before = accounts()
    answer = api.post(API, {"username": typed, "role": "participant"})
    nobody = api.post(API, {"username": "ghost", "role": "participant"})
    assert (answer.status_code, nobody.status_code) == (400, 400)
    assert answer.json() == nobody_named(typed) and nobody.json() == nobody_named("ghost")
    assert accounts() == before


def test_a_new_account_in_an_outsiders_name_is_refused_without_naming_it(
    client_for, coordinator, outsiders
):
    before = accounts()
    answer = client_for(coordinator).post(
        API, {"username": "karin", "role": "participant", "password": NEW_PASSWORD}
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "username": ["No new account can be made with the name 'karin'; choose another."]
    }
    assert accounts() == before  # no second account for one person


def test_the_members_page_does_not_name_an_outsider_either(client, coordinator, outsiders):
    client.force_login(coordinator)
    before = accounts()
    for fields in ({}, {"password": NEW_PASSWORD}):
        page = client.post(
            PAGE, {"action": "add", "username": "karin", "role": "participant", **fields}
        )
        assert page.status_code == 400
        assert "Karin" not in page.content.decode()
    assert accounts() == before


@pytest.mark.parametrize("fields", [{}, {"password": NEW_PASSWORD}])
def test_the_coordinators_own_people_still_get_the_letter_case_hint(
    client_for, coordinator, area, fields
):
    # A member of an area whose members the coordinator sees, as a planner here: theirs.
    other = make_area("neighbouring", blocks=False)
    Membership.objects.create(user=coordinator, area=other, role=Role.PLANNER)
    make_member(other, Role.PARTICIPANT, "Liv")
    answer = client_for(coordinator).post(API, {"username": "liv", "role": "participant", **fields})
    assert answer.status_code == 400
    assert answer.json() == {
        "username": [
            "There is an account named Liv; names that differ only in letter case are not"
            " told apart. Add that one."
        ]
    }


def test_an_account_added_by_its_exact_name_is_added_wherever_it_is(
    client_for, coordinator, outsiders
):
    answer = client_for(coordinator).post(API, {"username": "Karin", "role": "participant"})
    assert answer.status_code == 201
    assert Membership.objects.filter(user__username="Karin", area__slug="testarea").exists()
