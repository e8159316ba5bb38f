"""The capture app on a phone: the bar wraps instead of pushing its buttons off the screen, and
the hint sits below the bar, whatever its height."""

import pytest
from django.db import connections

from tests.browser.tablet import place, sign_in_to_capture
from tests.factories import make_member
from tests.walks.helpers import make_walk

PHONE = {"width": 390, "height": 844}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_capture_app_fits_a_phone(live_server, chromium, capture_area):
    walk = make_walk(capture_area, [make_member(capture_area, "participant", "walker")])
    context = chromium.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        sign_in_to_capture(page, live_server, walk, "walker")
        for control in ("#locate", "#language", "#sync-count"):
            box = page.locator(control).bounding_box()
            assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], control
        bar = page.locator(".bar").bounding_box()
        hint = page.locator("#hint").bounding_box()
        assert hint["y"] >= bar["y"] + bar["height"]  # not over the bar's buttons
        place(page, "unsafe_spot", (200, 500))
        sheet = page.locator("#sheet").bounding_box()
        assert sheet["x"] >= 0 and sheet["x"] + sheet["width"] <= PHONE["width"]
        assert page.locator("#save").is_visible()
    finally:
        context.close()
        connections.close_all()  # as the tablet fixture does (tests/browser/conftest.py)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1024, 820, 390])
def test_the_bars_buttons_stay_put_whatever_the_connection_says(
    live_server, chromium, capture_area, width
):
    """The connection's words ("Online", "Retrying in 32 s", "You are no longer a participant…")
    moved the buttons between the bar's rows as they changed length: a thumb on its way to
    *My findings* met *My position*."""
    walk = make_walk(capture_area, [make_member(capture_area, "participant", "walker")])
    context = chromium.new_context(
        viewport={"width": width, "height": 768}, has_touch=True, is_mobile=True
    )
    try:
        page = context.new_page()
        sign_in_to_capture(page, live_server, walk, "walker")
        places = []
        for words in (
            "Online",
            "Retrying in 32 s",
            "You are no longer a participant of this walk: ask your coordinator.",
            "Vandringen finns inte längre på servern",
        ):
            page.evaluate(f"document.getElementById('net').textContent = {words!r}")
            places.append(
                [page.locator(c).bounding_box() for c in ("#locate", "#mine-button", "#language")]
            )
        assert all(place == places[0] for place in places), places
        for box in places[0]:
            assert 0 <= box["x"] and box["x"] + box["width"] <= width
    finally:
        context.close()
        connections.close_all()
