"""Forms a screen reader can follow: an error or a help text is tied to its field by the ids the
field's aria-describedby names, and a failed login keeps the name and points at the error."""

import re

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def described_ids_resolve(html: str) -> list[str]:
    """The ids fields point at (aria-describedby) that the page does not hold."""
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    wanted = {i for group in re.findall(r'aria-describedby="([^"]+)"', html) for i in group.split()}
    return sorted(wanted - ids)


def test_a_refused_member_names_its_field(client, member):
    client.force_login(member("coordinator"))
    response = client.post(
        "/areas/testarea/members/",
        {"action": "add", "username": "newbie", "role": "participant", "password": "short"},
    )
    html = response.content.decode()
    assert response.status_code == 400 and 'aria-invalid="true"' in html
    assert described_ids_resolve(html) == []
    assert 'id="id_password_error"' in html


def test_a_failed_login_keeps_the_name_and_is_read_with_the_fields(client, member):
    user = member("planner")
    response = client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    html = response.content.decode()
    assert f'value="{user.username}"' in html
    assert 'role="alert"' in html and described_ids_resolve(html) == []
    assert re.search(r'name="password"[^>]*autofocus', html)
    assert (
        client.post(
            "/accounts/login/", {"username": user.username, "password": PASSWORD}
        ).status_code
        == 302
    )


def test_the_password_change_form_reads_its_rules_with_the_field(client, member):
    client.force_login(member("planner"))
    html = client.get("/accounts/password_change/").content.decode()
    assert described_ids_resolve(html) == []


def test_a_new_password_ends_the_api_token_too(client, member, api):
    # A token taken with the old password kept working after a coordinator reset it.
    from rest_framework.authtoken.models import Token

    coordinator, walker = member("coordinator"), member("participant")
    stale = Token.objects.create(user=walker).key
    client.force_login(coordinator)
    membership = walker.memberships.get()
    answer = client.post(
        "/areas/testarea/members/",
        {"action": "password", "membership": membership.pk, "password": "walk-at-dusk-42"},
        follow=True,
    )
    assert "has a new password" in answer.content.decode(), answer.content.decode()[-3000:]
    assert not Token.objects.filter(key=stale).exists()
    api.credentials(HTTP_AUTHORIZATION=f"Token {stale}")
    assert api.get("/api/areas/").status_code == 401
    # Changing one's own password ends one's token as well.
    own = Token.objects.create(user=walker).key
    walker.refresh_from_db()  # the new password, which the session is signed with
    client.force_login(walker)
    changed = client.post(
        "/accounts/password_change/",
        {
            "old_password": "walk-at-dusk-42",
            "new_password1": "evening-round-77",
            "new_password2": "evening-round-77",
        },
    )
    assert changed.status_code == 302 and changed["Location"].endswith("/done/")
    assert not Token.objects.filter(key=own).exists()
