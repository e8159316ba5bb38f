"""A tablet that still holds findings when the server no longer takes them for its walk: the
walk was deleted (404; a deletion racing the sync makes the sync wait, then 404), or its
participant left the area (403). The findings stay on the tablet, the participant is told why,
and the app does not keep asking the server."""

import json

import pytest
from playwright.sync_api import expect

from geo.models import Membership
from geo.services import membership_remove
from tests.browser.tablet import place, sign_in_to_capture
from tests.factories import make_member
from tests.walks.helpers import make_walk
from walks.models import Observation, Walk

GONE = (
    "This walk no longer exists on the server; your finding stays on this tablet."
    " Download it under My walks for your coordinator."
)


@pytest.fixture
def walker_walk(capture_area):
    walker = make_member(capture_area, "participant", "walker")
    return make_walk(capture_area, [walker])


def counting_syncs(page) -> list:
    syncs = []
    page.on(
        "request",
        lambda request: (
            syncs.append(request.url) if request.url.endswith("/observations/sync") else None
        ),
    )
    return syncs


def capture_offline(page, tablet):
    tablet.set_offline(True)
    place(page, "unsafe_spot", (300, 300))
    page.tap("#save")
    expect(page.locator("#sync-count")).to_have_attribute("data-count", "1")


def the_finding_stays_and_no_more_is_asked(page, syncs):
    counter = page.locator("#sync-count")
    expect(counter).to_have_text("1 kept on this tablet")
    expect(counter).to_have_attribute("data-count", "1")  # still in the outbox
    asked = len(syncs)
    # Neither the connection coming back nor a new save sends the walk's outbox again.
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(4000)
    assert len(syncs) == asked
    page.click("#mine-button")
    expect(page.locator("#mine-list li")).to_have_count(1)
    expect(page.locator("#mine-list li")).to_contain_text("Unsafe spot")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_deleted_walk_keeps_the_findings_on_the_tablet_and_says_so(
    live_server, tablet, walker_walk
):
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    syncs = counting_syncs(page)
    capture_offline(page, tablet)
    Walk.objects.filter(pk=walker_walk.pk).delete()  # a planner deletes it meanwhile

    tablet.set_offline(False)
    gone = page.locator("#rejected .walk-gone")
    expect(gone).to_have_text(GONE)
    expect(page.locator("#rejected")).to_contain_text("1 not accepted")
    expect(page.locator("#rejected .stranded")).to_have_count(1)
    expect(page.locator("#rejected .stranded button")).to_have_count(0)  # nothing to dismiss
    expect(page.locator("#toast")).to_have_text(GONE)
    expect(page.locator("#net")).to_have_text("Walk no longer on the server")
    expect(page.locator('.kind[data-kind="unsafe_spot"]')).to_be_disabled()
    expect(page.locator("#hint")).to_have_text("Walk no longer on the server")
    assert len(syncs) == 1
    the_finding_stays_and_no_more_is_asked(page, syncs)

    page.click("#mine-close")
    page.select_option("#language", "sv")
    expect(gone).to_contain_text("Vandringen finns inte längre på servern")
    # The hint says it too, in the new language: not "choose what you see".
    expect(page.locator("#hint")).to_have_text("Vandringen finns inte längre på servern")
    page.select_option("#language", "da")
    expect(gone).to_contain_text("Vandringen findes ikke længere på serveren")
    assert not Observation.objects.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_passing_conflict_is_sent_again_not_taken_for_a_gone_walk(
    live_server, tablet, walker_walk
):
    """A 409 (a database conflict of the moment) is not a deleted walk: the outbox is sent
    again after a pause and arrives."""
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    syncs = counting_syncs(page)
    capture_offline(page, tablet)
    conflicts = []

    def once_in_conflict(route):
        if conflicts:
            return route.continue_()
        conflicts.append(route.request.url)
        return route.fulfill(
            status=409,
            content_type="application/json",
            body=json.dumps(
                {"detail": "The change conflicts with stored data and was not applied."}
            ),
        )

    page.route("**/observations/sync", once_in_conflict)
    tablet.set_offline(False)
    expect(page.locator("#sync-count")).to_have_attribute("data-count", "0", timeout=15_000)
    assert len(conflicts) == 1 and len(syncs) >= 2
    expect(page.locator("#rejected .walk-gone")).to_have_count(0)
    assert Observation.objects.filter(walk=walker_walk).count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_participant_who_left_the_area_is_told_so_and_keeps_the_findings(
    live_server, tablet, walker_walk
):
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    capture_offline(page, tablet)
    membership_remove(membership=Membership.objects.get(user__username="walker"))

    tablet.set_offline(False)
    told = "You are no longer a participant of this walk: ask your coordinator."
    expect(page.locator("#net")).to_have_text(told)
    # Said out loud once, and nothing new can be captured that could never be sent.
    expect(page.locator("#toast")).to_have_text(told)
    expect(page.locator("#kinds button").first).to_be_disabled()
    expect(page.locator("#hint")).to_have_text(told)  # not "choose what you see"
    expect(page.locator("#sync-count")).to_have_text("1 waiting to sync")
    expect(page.locator("#rejected .walk-gone")).to_have_count(0)
    assert not Observation.objects.exists()
