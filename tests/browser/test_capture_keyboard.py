"""The capture app without a pointer: a participant who uses a keyboard or a screen reader
places, describes and saves a finding, and hears what happened."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_until
from tests.browser.tablet import sign_in_to_capture
from tests.factories import make_member
from tests.walks.helpers import make_walk
from walks.models import Observation


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_finding_is_placed_described_and_saved_by_keyboard(live_server, tablet, capture_area):
    walker = make_member(capture_area, "participant", "walker")
    walk = make_walk(capture_area, [walker])
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walk, "walker")
    # Zoom is not forbidden (a participant with poor sight enlarges the sheet).
    assert "user-scalable" not in page.locator('meta[name="viewport"]').get_attribute("content")

    kind = page.locator('.kind[data-kind="neglect"]')
    kind.focus()
    page.keyboard.press("Enter")
    expect(kind).to_have_attribute("aria-pressed", "true")
    # The map moves under the cross with the arrow keys; the button places the pin there.
    expect(page.locator("#crosshair")).to_be_visible()
    page.locator("#map canvas").focus()
    centre = page.evaluate("window.tryggCapture.map.getCenter().toArray()")
    page.keyboard.press("ArrowRight")
    wait_until(page, f"window.tryggCapture.map.getCenter().lng > {centre[0]}", 5)
    page.locator("#place").focus()
    page.keyboard.press("Enter")
    # The sheet opens and takes the focus, so the keyboard is in it, not left on the map.
    expect(page.locator("#sheet")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "sheet-title"
    expect(page.locator("#place")).to_be_hidden()
    severity = page.locator('.scale[data-field="severity"]')
    expect(severity).to_have_attribute("role", "group")
    severity.locator('button[value="4"]').focus()
    page.keyboard.press("Enter")
    expect(severity.locator('button[value="4"]')).to_have_attribute("aria-pressed", "true")
    page.locator("#save").focus()
    page.keyboard.press("Enter")
    # Said aloud, and the focus returns to the kind the participant chose.
    expect(page.locator("#toast")).to_have_attribute("role", "status")
    expect(page.locator("#sync-count")).to_have_text("All synced")
    wait_until(page, "document.activeElement.dataset.kind === 'neglect'", 5)
    for _ in range(100):  # the sync runs in the background: up to 10 s
        if Observation.objects.exists():
            break
        page.wait_for_timeout(100)
    stored = Observation.objects.get()
    assert stored.severity == 4 and stored.geom.x > centre[0]

    # Escape gives up a finding being drafted.
    page.keyboard.press("Enter")
    expect(page.locator("#crosshair")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#crosshair")).to_be_hidden()
    expect(kind).to_have_attribute("aria-pressed", "false")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_participant_opens_and_withdraws_their_own_finding_from_a_list(
    live_server, tablet, capture_area
):
    # Findings opened only when their dot was tapped: a keyboard or screen reader could not
    # read or withdraw them.
    walker = make_member(capture_area, "participant", "walker")
    walk = make_walk(capture_area, [walker])
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walk, "walker")
    page.locator('.kind[data-kind="neglect"]').click()
    page.click("#place")
    page.click("#save")
    for _ in range(100):  # synced in the background: up to 10 s
        if Observation.objects.exists():
            break
        page.wait_for_timeout(100)
    page.locator("#mine-button").focus()
    page.keyboard.press("Enter")
    listed = page.locator("#mine-list button")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Neglect")
    listed.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#finding")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "finding-title"
    page.locator("#withdraw").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # "Keep it" has the focus: the finding stays
    expect(page.locator("#withdraw")).to_be_focused()
    page.keyboard.press("Enter")
    page.locator("#withdraw-confirm").focus()
    page.keyboard.press("Enter")
    for _ in range(100):
        if not Observation.objects.exists():
            break
        page.wait_for_timeout(100)
    assert not Observation.objects.exists()
    page.locator("#mine-button").click()
    expect(page.locator("#mine-list li")).to_have_text(["You have no findings on this walk yet."])
