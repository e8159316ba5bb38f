"""A form on a page opened before the user signed in again in another tab: Django's CSRF check
refuses it, and the person reads Trygg's page saying why, with the way back to the form, which
then works."""

import pytest
from playwright.sync_api import expect

from tests.browser.axe import Audit
from tests.browser.conftest import log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_form_from_before_the_last_sign_in_leads_back_to_its_page(
    live_server, browser_page, member
):
    user = member("coordinator")
    first = browser_page
    log_in(first, live_server.url, user.username, PASSWORD)
    first.goto(f"{live_server.url}/walks/")

    # Another tab signs out and in again: the token in the first tab's forms is now old.
    second = first.context.new_page()
    second.goto(f"{live_server.url}/walks/")
    second.click("form.logout button")
    expect(second.locator("h1")).to_have_text("You are logged out")
    log_in(second, live_server.url, user.username, PASSWORD)
    second.close()

    first.click("form.logout button")
    expect(first.locator("h1")).to_have_text("The form was not sent")
    audit = Audit()
    audit.check(first, "the stale form's page")
    audit.assert_clean()
    first.errors.clear()  # the browser's own line for the 403
    first.get_by_role("link", name="Open the page again").click()
    expect(first).to_have_url(f"{live_server.url}/walks/")
    first.click("form.logout button")  # the page's form is fresh now
    expect(first.locator("h1")).to_have_text("You are logged out")
    assert first.errors == []
