"""Browser tests: Playwright (Python) driving Debian's Chromium against pytest-django's
live server, serving the application uWSGI serves. Playwright's own browser download cannot
work here, so the system Chromium runs."""

import os
from pathlib import Path

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.db import connections
from django.test.testcases import LiveServerThread
from pytest_django.live_server_helper import LiveServer

from config.wsgi import served
from tests.browser.tablet import TABLET
from tiles import direct

# Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
# around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("TRYGG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"


class ServedLiveServer(LiveServer):
    """pytest-django's live server, serving what uWSGI serves (config.wsgi.served: the direct
    tile path included) behind a static file handler."""

    def __init__(self, addr: str):
        super().__init__(addr, start=False)
        self.lender = direct.Connections()
        app = served(self.lender)
        bare = self.thread
        self.thread = LiveServerThread(
            bare.host,
            # Static files as WhiteNoise serves them; no media files, which the served
            # application never exposes (photos go through the API's permission check).
            static_handler=lambda _django: StaticFilesHandler(app),
            connections_override=bare.connections_override,
            port=bare.port,
        )
        self.thread.daemon = True
        self.start()

    def stop(self):
        super().stop()
        self.lender.close_all()  # or the test database could not be dropped


@pytest.fixture(scope="session")
def live_server(request):
    server = ServedLiveServer(os.environ.get("DJANGO_LIVE_SERVER_ADDRESS", "localhost"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh_login_throttle(transactional_db):
    """Browser tests commit their logins, so the throttle's counts (in a cache table that a
    flush leaves alone) would add up across tests and lock later ones out."""
    from django.core.cache import caches

    caches["shared"].clear()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium):
    """A fresh desktop page; console errors and CSP violations are collected in page.errors."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on(
        "console",
        lambda message: page.errors.append(message.text) if message.type == "error" else None,
    )
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def wait_until(page, function: str, seconds: float = 30) -> None:
    """Poll a predicate: wait_for_function evaluates strings, which the page's CSP forbids."""
    for _ in range(int(seconds / 0.2)):
        if page.evaluate(function):
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"still false after {seconds} s: {function}")


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button.primary")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def capture_area(settings):
    """The area of a capture test, with the built-in kinds, and quick password hashing for
    the logins the tablet makes."""
    from tests.factories import make_area
    from walks.taxonomy import builtin_kinds_ensure

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    builtin_kinds_ensure()
    return make_area("testarea")


@pytest.fixture
def tablet(chromium):
    """A tablet's browser context in the session's Chromium: a Playwright of its own cannot
    start while the session's event loop runs."""
    context = chromium.new_context(
        viewport=TABLET,
        has_touch=True,
        is_mobile=True,
        geolocation={"latitude": 55.6052, "longitude": 13.0061, "accuracy": 15},
        permissions=["geolocation"],
        locale="en-GB",
    )
    context.set_default_timeout(20000)
    yield context
    context.close()
    # ORM calls made while Playwright's loop runs get their own connection; close it here,
    # or it keeps the test database from being dropped.
    connections.close_all()
