import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_and_start_page_work_under_the_content_security_policy(
    live_server, browser_page, member
):
    user = member("planner")
    log_in(browser_page, live_server.url, user.username, PASSWORD)
    assert browser_page.locator("text=Testarea").is_visible()
    # the language switch is wired by a static module, not inline script
    browser_page.click("form.lang button[value=sv]")
    # The switch submits a form: wait for the new page (up to 10 s), not for the old one's
    # network to go idle, which it may already be before the navigation starts.
    expect(browser_page.locator("html")).to_have_attribute("lang", "sv", timeout=10_000)
    screenshot(browser_page, "start-page")
    assert browser_page.errors == []


def test_api_docs_render_with_local_assets(live_server, browser_page):
    browser_page.goto(f"{live_server.url}/api/docs/")
    browser_page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    assert browser_page.locator(".opblock").count() > 3
    assert not [e for e in browser_page.errors if "Content Security Policy" in e]


def test_the_language_switch_works_on_the_walk_pages(live_server, browser_page, member):
    """The walk pages have a base template of their own; its switch once used an inline
    handler, which the policy blocks: choosing a language did nothing."""
    user = member("participant")
    log_in(browser_page, live_server.url, user.username, PASSWORD)
    browser_page.goto(f"{live_server.url}/walks/")
    browser_page.click("form.lang button[value=da]")
    expect(browser_page.locator("html")).to_have_attribute("lang", "da", timeout=10_000)
    assert browser_page.errors == []


def test_signing_out_forgets_the_offline_copies(live_server, browser_page, member):
    # A walk's report and findings, kept for offline use, opened for the next person on a
    # tablet after the first signed out.
    user = member("participant")
    log_in(browser_page, live_server.url, user.username, PASSWORD)
    browser_page.evaluate(
        "caches.open('trygg-data').then((c) => c.put('/walks/1/report/', new Response('kept')))"
    )
    assert browser_page.evaluate("caches.has('trygg-data')")
    # The page is at "/" already: wait for the sign-out's own navigation, which comes once the
    # copies are deleted, not for an address it has before it.
    with browser_page.expect_navigation():
        browser_page.click("form.logout button")
    browser_page.wait_for_load_state()
    assert not browser_page.evaluate("caches.has('trygg-data')")
    # Trygg's own page, not the admin site's "Logged out" (which had no icon: a 404 for it).
    assert browser_page.locator("h1").inner_text() == "You are logged out"
    assert browser_page.errors == []
