"""Findings a tablet holds when the server no longer takes them for their walk (deleted, or the
participant taken off it): My walks lists them by the walk's name as the tablet remembers it,
hands them over as a file for the coordinator, and discards them after asking."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.tablet import camera_jpeg, place, sign_in_to_capture
from tests.factories import make_member
from tests.walks.helpers import make_walk
from walks.models import Walk
from walks.services import walk_update

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def walker_walk(capture_area):
    walker = make_member(capture_area, "participant", "walker")
    return make_walk(capture_area, [walker], name="Harbour at dusk")


def capture(page, kind, note, severity, photo: bytes | None = None, at=(300, 300)):
    place(page, kind, at)
    page.tap(f'.scale[data-field="severity"] button[value="{severity}"]')
    page.tap('.scale[data-field="feeling"] button[value="2"]')
    page.fill("#note", note)
    if photo:
        page.set_input_files(
            "#photo", {"name": "hedge.jpg", "mimeType": "image/jpeg", "buffer": photo}
        )
    page.tap("#save")
    expect(page.locator("#sheet")).to_be_hidden()


def my_walks(page, live_server):
    page.goto(f"{live_server.url}/walks/")
    page.wait_for_selector("body[data-kept-ready=true]", state="attached")
    return page.locator("#kept")


def downloaded(page, button) -> tuple[str, bytes]:
    with page.expect_download() as info:
        button.click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_findings_of_a_deleted_walk_are_downloaded_with_their_photo(
    live_server, tablet, walker_walk
):
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    tablet.set_offline(True)
    capture(page, "unsafe_spot", "Dark underpass", 4, photo=camera_jpeg())
    # Not on the first one's spot: a tap there may read that finding rather than place a pin.
    capture(page, "neglect", "Broken fence", 2, at=(420, 340))
    walk_id = walker_walk.pk
    Walk.objects.filter(pk=walk_id).delete()  # a planner deletes it meanwhile
    tablet.set_offline(False)
    expect(page.locator("#sync-count")).to_have_text("2 kept on this tablet")

    kept = my_walks(page, live_server)
    expect(kept).to_be_visible()
    expect(kept.locator("h2")).to_have_text("Findings on this tablet that could not be sent")
    row = kept.locator("li")
    expect(row).to_have_count(1)
    expect(row.locator(".name")).to_have_text("Harbour at dusk")  # as the tablet remembers it
    expect(row.locator(".meta")).to_have_text("Testarea · 2 findings · 1 photo")
    screenshot(page, "my_walks_kept")

    name, body = downloaded(page, row.locator(".download"))
    assert name == f"trygg-walk-{walk_id}.zip"
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    collection = json.loads(archive.read(f"trygg-walk-{walk_id}.geojson"))
    assert collection["type"] == "FeatureCollection"
    assert collection["walk"] == {"id": walk_id, "name": "Harbour at dusk", "area": "Testarea"}
    features = {f["properties"]["kind"]: f for f in collection["features"]}
    assert set(features) == {"unsafe_spot", "neglect"}
    spot = features["unsafe_spot"]
    assert spot["geometry"]["type"] == "Point"
    properties = spot["properties"]
    assert (properties["severity"], properties["feeling"], properties["note"]) == (
        4,
        2,
        "Dark underpass",
    )
    assert properties["captured_at"] and properties["accuracy_m"] == 15
    [photo] = properties["photos"]
    assert photo == f"photos/{properties['client_id']}-1.jpg"
    assert archive.read(photo) == camera_jpeg()
    assert features["neglect"]["properties"]["photos"] == []


def test_a_participant_taken_off_a_walk_downloads_then_discards_its_findings(
    live_server, tablet, walker_walk
):
    page = tablet.new_page()
    sign_in_to_capture(page, live_server, walker_walk, "walker")
    tablet.set_offline(True)
    capture(page, "unsafe_spot", "Dark underpass", 3)
    page.route("**/observations/sync", lambda route: route.abort())  # a bad connection
    tablet.set_offline(False)
    kept = my_walks(page, live_server)
    expect(kept).to_be_hidden()  # still the user's walk: its capture page sends them

    walk_update(walk=walker_walk, participants=[])  # the planner takes the walker off it
    kept = my_walks(page, live_server)
    expect(kept).to_be_visible()
    row = kept.locator("li")
    expect(row.locator(".meta")).to_have_text("Testarea · 1 finding")
    name, body = downloaded(page, row.locator(".download"))
    assert name == f"trygg-walk-{walker_walk.pk}.geojson"
    [feature] = json.loads(body)["features"]
    assert feature["properties"]["note"] == "Dark underpass"
    assert feature["properties"]["photos"] == []

    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        (dialog.dismiss if len(questions) == 1 else dialog.accept)()

    page.on("dialog", answer)
    row.locator(".discard").click()  # asked, and kept on "Cancel"
    expect(row).to_have_count(1)
    assert questions == [
        "Discard the findings of “Harbour at dusk” from this tablet? They were never sent,"
        " so they are then gone for good."
    ]
    row.locator(".discard").click()
    expect(kept).to_be_hidden()
    kept = my_walks(page, live_server)  # gone from the tablet, not only from the page
    expect(kept).to_be_hidden()
    assert (
        page.evaluate(
            """async () => {
          const { openQueue } = await import("/static/walks/queue.js");
          return (await (await openQueue()).outboxes()).length;
        }"""
        )
        == 0
    )
