"""The members page in Chromium: a coordinator creates an account for a resident from the start
page's link; the resident logs in and changes the password the coordinator gave them."""

import pytest
from playwright.sync_api import expect

from geo.models import Membership, Role
from tests.browser.conftest import log_in, screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_adds_a_resident_who_then_sets_their_own_password(
    live_server, chromium, browser_page, member
):
    page = browser_page
    log_in(page, live_server.url, member("coordinator").username, PASSWORD)
    page.click("text=Members")
    page.fill("input[name=username]", "resident-12")
    page.select_option("select[name=role]", "participant")
    page.fill("input[name=password]", "first-walk-2026")
    page.click("button.primary")
    expect(page.locator(".messages")).to_contain_text("resident-12 is participant in this area.")
    expect(page.locator("table.members")).to_contain_text("resident-12")
    screenshot(page, "members")
    assert Membership.objects.get(user__username="resident-12").role == Role.PARTICIPANT
    assert page.errors == []

    resident = chromium.new_context(viewport={"width": 820, "height": 1180}).new_page()
    log_in(resident, live_server.url, "resident-12", "first-walk-2026")
    resident.click("a.who")  # their name in the top bar
    resident.fill("input[name=old_password]", "first-walk-2026")
    resident.fill("input[name=new_password1]", "my-own-secret-77")
    resident.fill("input[name=new_password2]", "my-own-secret-77")
    resident.click("button.primary")
    expect(resident.locator("h1")).to_have_text("Password changed")
    resident.context.close()
    log_in(page, live_server.url, "resident-12", "my-own-secret-77")
    expect(page.locator("a.who")).to_have_text("resident-12")
