"""A coordinator previews a walk's capture app on a tablet before the evening: the night map,
the route, the area's own kinds, placing a finding and its sheet, as the participants will see
them. Nothing is kept: not on the server, not in the tablet's IndexedDB or caches."""

import pytest
from playwright.sync_api import expect

from tests.browser.tablet import place
from tests.factories import PASSWORD, make_member
from tests.walks.helpers import make_walk
from walks.models import Observation, ObservationKind


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_coordinator_previews_the_capture_app_and_nothing_is_kept(
    live_server, tablet, capture_area
):
    area = capture_area
    ObservationKind.objects.create(
        code="broken_bench",
        area=area,
        label_en="Broken bench",
        label_sv="Trasig bänk",
        label_da="Ødelagt bænk",
        geometry_types=["Point"],
    )
    make_member(area, "coordinator", "coordinator")
    walk = make_walk(area, [make_member(area, "participant", "resident")], light="night")

    page = tablet.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    writes = []
    page.on("request", lambda r: writes.append(r.url) if r.method != "GET" else None)
    page.goto(f"{live_server.url}/walks/{walk.pk}/capture/?preview=1")
    page.fill("input[name=username]", "coordinator")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-ready=true]")
    writes.clear()  # the login's own POST

    banner = page.locator("#preview")
    expect(banner).to_have_text("Preview: nothing you place is sent or kept")
    expect(page.locator("body")).to_have_class("capture night")  # the walk's night map
    expect(page.locator('.kind[data-kind="broken_bench"]')).to_have_text("Broken bench")
    expect(page.locator(".status")).to_be_hidden()  # no outbox to tell of

    place(page, "unsafe_spot", (300, 250))
    page.tap('.scale[data-field="severity"] button[value="4"]')
    page.fill("#note", "Dark underpass")
    page.tap("#save")
    expect(page.locator("#sheet")).to_be_hidden()
    expect(page.locator("#toast")).to_have_text("This is a preview: the finding is not kept.")
    assert page.locator(".maplibregl-marker").count() == 0  # the pin went with the sheet

    # The banner stays, and speaks the language chosen.
    page.select_option("#language", "sv")
    expect(banner).to_have_text("Förhandsvisning: inget du placerar skickas eller sparas")

    assert not Observation.objects.filter(walk=walk).exists()
    assert writes == []  # no sync, no photo, no withdrawal was even tried
    stored = page.evaluate(
        """async () => ({
            databases: (await indexedDB.databases()).map((d) => d.name),
            caches: await caches.keys(),
            workers: (await navigator.serviceWorker.getRegistrations()).length,
        })"""
    )
    assert stored == {"databases": [], "caches": [], "workers": 0}
    assert errors == []
