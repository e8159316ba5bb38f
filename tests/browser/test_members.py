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


def test_a_coordinator_adds_a_walks_residents_at_once_and_prints_their_passwords(
    live_server, browser_page, member
):
    from tests.browser.axe import Audit

    page = browser_page
    log_in(page, live_server.url, member("coordinator").username, PASSWORD)
    page.goto(f"{live_server.url}/areas/testarea/members/")
    page.click("text=Add several at once")
    page.fill("textarea[name=many-usernames]", "resident-a\nresident-b\nresident-c")
    page.click("text=Add them")
    listed = page.locator("section.added")
    expect(listed.locator("h2")).to_have_text("3 people on the list")
    expect(listed).to_contain_text(f"Log in at {live_server.url}/accounts/login/")  # on the slip
    expect(listed.locator(".login-at svg.qr")).to_be_visible()  # its QR code, for a phone
    passwords = listed.locator("table.first-passwords code").all_inner_texts()
    assert len(passwords) == 3 and len(set(passwords)) == 3
    assert Membership.objects.filter(user__username__startswith="resident-").count() == 3
    audit = Audit()
    audit.check(page, "members with first passwords")
    audit.assert_clean()

    # On paper: a slip per new account, to cut apart, and nothing else of the page.
    slips = listed.locator(".slip")
    expect(slips.first).to_be_hidden()  # not on screen
    page.emulate_media(media="print")
    expect(slips).to_have_count(3)
    expect(slips.nth(1)).to_be_visible()
    expect(slips.nth(1)).to_contain_text(f"First password: {passwords[1]}")
    expect(slips.nth(1).locator("svg.qr")).to_be_visible()
    for elsewhere in (
        ".topbar",
        "table.first-passwords",
        "table.members >> nth=1",
        "form.add-member >> nth=0",
    ):
        expect(page.locator(elsewhere)).to_be_hidden()
    expect(listed.locator("button[data-print]")).to_be_hidden()
    page.emulate_media(media="screen")
    screenshot(page, "members-first-passwords")

    # A resident's first password works, and they choose their own.
    resident = page.context.browser.new_context()
    other = resident.new_page()
    username = listed.locator("tbody td").first.inner_text()
    log_in(other, live_server.url, username, passwords[0])
    expect(other.locator(".topbar .who")).to_have_text(username)
    resident.close()
    assert page.errors == []
