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
