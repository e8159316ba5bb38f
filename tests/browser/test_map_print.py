"""The planner map on paper and as a picture: Download PNG saves the view with a strip that
says what it shows; Print lays the view out for A4 with its title, legends and scale bar, the
panel, controls and popups left on the screen. MapLibre's WebGL canvas prints blank unless it
is copied, so the pictures are checked for the map's own colours."""

import io
import os
import re
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone
from PIL import Image

from geo.models import Area, Role
from geo.services import data_version_bump
from layers.models import CrimeIncident
from tests.browser.conftest import SCREENSHOTS, wait_until
from tests.browser.test_planner_map import click_lnglat, open_map, session_of
from tests.factories import make_area, make_member
from tests.tiles.data import add_crime, add_observation, add_walk
from tests.tiles.layered import fill_every_layer
from tiles.sprite import KIND_COLOURS
from tiles.styles import CLASS_COLOURS, LAMP_COLOURS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The pictures and the PDF, to look at: beside the other browser tests' screenshots, or where
# TRYGG_PRINT_OUT says.
OUT = Path(os.environ.get("TRYGG_PRINT_OUT", SCREENSHOTS))
SETTLED = "() => window.trygMap.loaded() && window.trygMap.areTilesLoaded()"


@pytest.fixture
def planner_session():
    area = make_area("testarea")
    walk = fill_every_layer(area)
    add_observation(walk, Point(13.003, 55.608, srid=4326), "hiding_place", severity=5)
    return session_of(make_member(area, Role.PLANNER))


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def has_colour(picture: Image.Image, colour: tuple[int, int, int], box=None, slack=6) -> bool:
    """Whether some pixel of `picture` (within `box`) is `colour`, give or take `slack` (the
    blocks' fill is drawn a little transparent over the background)."""
    part = picture.convert("RGB").crop(box) if box else picture.convert("RGB")
    return any(
        all(abs(a - b) <= slack for a, b in zip(pixel, colour, strict=True))
        for _, pixel in part.getcolors(part.width * part.height)
    )


def map_size(page) -> tuple[int, int]:
    return tuple(
        page.evaluate("(m => [m.clientWidth, m.clientHeight])(document.getElementById('map'))")
    )


def test_download_png_saves_the_view_with_what_it_shows(planner_session, live_server, chromium):
    page, errors = open_map(
        chromium, live_server, planner_session, address="/map/testarea/?light=night"
    )
    page.uncheck("#toggle-crime")  # the blocks' colours, not covered by the crime circles
    wait_until(page, SETTLED)
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / "screen.png"))
    with page.expect_download() as info:
        page.click("#download-png")
    download = info.value
    assert download.suggested_filename.startswith("testarea-")
    assert download.suggested_filename.endswith(".png")
    saved = OUT / "download.png"
    download.save_as(saved)

    data = saved.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    picture = Image.open(io.BytesIO(data))
    width, height = map_size(page)
    # The view at twice the screen's pixels, with the strip below it.
    assert picture.width == 2 * width
    assert picture.height > 2 * height + 100
    view = (0, 0, picture.width, 2 * height)
    # Not blank: the background the style draws and a block in its class's colour are there.
    assert has_colour(picture, (0xF4, 0xF1, 0xEA), view)
    assert has_colour(picture, rgb(CLASS_COLOURS["crime_exceeds_fear"]), view, slack=40)
    # The strip shows the four classes of the bivariate legend in their colours.
    strip = (0, 2 * height, picture.width, picture.height)
    for name in ("both_high", "fear_exceeds_crime", "crime_exceeds_fear", "both_low"):
        assert has_colour(picture, rgb(CLASS_COLOURS[name]), strip, slack=0), name
    # And the legends of the other layers shown, as print has them: the routes' day and night
    # lines, the findings' symbols (the unsafe spot's red); crime and lamps are off.
    assert has_colour(picture, rgb("#e08a00"), strip, slack=0)
    assert has_colour(picture, rgb("#1f2a6b"), strip, slack=0)
    assert has_colour(picture, rgb(KIND_COLOURS["unsafe_spot"]), strip, slack=10)
    assert not has_colour(picture, rgb(LAMP_COLOURS["broken"]), strip, slack=0)
    assert errors == []


def test_the_picture_carries_the_legends_of_the_layers_switched_on(
    planner_session, live_server, chromium
):
    page, errors = open_map(chromium, live_server, planner_session)
    page.uncheck("#toggle-walks")
    page.check("#toggle-lamps")
    wait_until(page, SETTLED)
    with page.expect_download() as info:
        page.click("#download-png")
    saved = OUT / "download-lamps.png"
    OUT.mkdir(exist_ok=True)
    info.value.save_as(saved)
    picture = Image.open(saved)
    strip = (0, 2 * map_size(page)[1], picture.width, picture.height)
    assert has_colour(picture, rgb(LAMP_COLOURS["broken"]), strip, slack=0)
    assert not has_colour(picture, rgb("#e08a00"), strip, slack=0)
    # The crime layer's circles, drawn at 70 % over the strip's white.
    assert has_colour(picture, (202, 77, 77), strip, slack=3)
    assert errors == []


def test_print_shows_the_view_its_title_and_legends_and_hides_the_controls(
    planner_session, live_server, chromium
):
    page, errors = open_map(
        chromium, live_server, planner_session, address="/map/testarea/?light=night&from=2025-01-01"
    )
    # A popup open when printing stays on the screen.
    click_lnglat(page, 13.0015, 55.6095)
    page.locator(".maplibregl-popup.details h3").wait_for(timeout=10_000)

    # The Print button prepares the sheet, then asks the browser to print (a dialog headless
    # Chromium would not show: counted instead).
    page.evaluate("() => { window.print = () => (window.printed = (window.printed || 0) + 1); }")
    page.click("#print-map")
    assert page.evaluate("window.printed") == 1
    sheet = page.locator("#print-sheet")
    assert sheet.locator("canvas.print-picture").count() == 1

    page.emulate_media(media="print")
    for hidden in (
        ".topbar",
        "#panel",
        ".maplibregl-ctrl-zoom-in",
        ".maplibregl-popup",
        "#toggle-blocks",
    ):
        assert not page.locator(hidden).first.is_visible(), hidden
    assert sheet.is_visible()
    head = sheet.locator(".print-head").inner_text()
    assert sheet.locator(".print-head h1").inner_text() == "Testarea"
    # Dates as every page writes them (ISO in English), not the browser's "Jan 1, 2025".
    today = timezone.localdate().isoformat()
    assert "From 2025-01-01" in head and "Light: Night" in head and f"Printed {today}" in head
    # The legends of the layers shown: the bivariate one with its four classes; lamps are off.
    legends = sheet.locator(".print-legends")
    assert legends.locator(".bivariate .grid .cell").count() == 4
    assert "Crime exceeds insecurity" in legends.inner_text()
    assert "Street lamps" not in legends.inner_text()
    notice = sheet.locator(".print-notice").inner_text()
    assert "no outside basemap" in notice
    # The crime layer is shown: its data are named by the datasets imported.
    assert "Crime data: test." in notice

    # The copied view is not blank, and carries the scale bar.
    picture = Image.open(io.BytesIO(sheet.locator("canvas.print-picture").screenshot()))
    assert has_colour(picture, (0xF4, 0xF1, 0xEA))
    assert has_colour(picture, rgb(CLASS_COLOURS["crime_exceeds_fear"]), slack=40)
    scale = page.evaluate("document.querySelector('.maplibregl-ctrl-scale').textContent")
    assert scale.endswith("m")

    # As the printable area of A4 landscape (277 × 190 mm at 96 px an inch), to look at.
    OUT.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1047, "height": 718})
    page.screenshot(path=str(OUT / "print-a4.png"), full_page=True)
    page.emulate_media(media="null")  # none: the PDF below is made in print media
    page.set_viewport_size({"width": 1440, "height": 900})
    wait_until(page, SETTLED)
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert sheet.locator("canvas").count() == 0  # the copy is let go

    # Printed without the button (Ctrl+P: Chromium fires beforeprint when it makes a PDF too):
    # one A4 landscape sheet (the page's @page) with the view at twice the screen's pixels.
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (OUT / "map.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    width, height = map(float, re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf).groups())
    assert (round(width), round(height)) == (842, 595)  # points: 297 × 210 mm
    images = re.findall(rb"/Subtype\s*/Image\s*/Width\s*(\d+)", pdf)
    assert str(2 * map_size(page)[0]).encode() in images, images
    assert sheet.locator("canvas").count() == 0  # afterprint
    assert errors == []


def test_the_printed_title_names_each_walk_the_map_is_filtered_to(live_server, chromium):
    area = make_area("testarea")
    day = fill_every_layer(area)
    night = add_walk(area, light="night")
    session = session_of(make_member(area, Role.PLANNER))
    page, errors = open_map(
        chromium, live_server, session, address=f"/map/testarea/?walk={day.id},{night.id}"
    )
    page.evaluate("() => { window.print = () => {}; }")
    page.click("#print-map")
    head = page.locator("#print-sheet .print-head").inner_text()
    assert "day walk" in head and "night walk" in head, head
    assert f"{day.id},{night.id}" not in head
    assert errors == []


def test_the_map_follows_the_screens_pixel_ratio_again_after_a_download(
    planner_session, live_server, chromium
):
    """The picture is drawn at twice the screen's pixels; afterwards the map is left to follow
    the screen's ratio, not kept at the one it had: after a browser zoom or a move to a sharper
    screen it would be drawn blurred."""
    page, errors = open_map(chromium, live_server, planner_session)
    with page.expect_download():
        page.click("#download-png")
    # The screen's ratio changes (a browser zoom, a window moved to another screen).
    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1440, "height": 900, "deviceScaleFactor": 2, "mobile": False},
    )
    assert page.evaluate("window.devicePixelRatio") == 2
    page.evaluate("window.trygMap.resize()")
    width, _height = map_size(page)
    assert page.evaluate("window.trygMap.getCanvas().width") == 2 * width
    assert errors == []


def test_a_view_too_wide_for_twice_its_pixels_is_saved_whole_with_its_scale_bar(
    planner_session, live_server, chromium
):
    """MapLibre draws at most 4,096 pixels across (maxCanvasSize): a wide view is drawn at
    less than twice its pixels, and the scale bar and the strip are drawn at the ratio it was
    drawn at, not the one asked for (the scale bar would fall under the strip, the strip run
    off the picture's edge)."""
    page, errors = open_map(chromium, live_server, planner_session, size=(2600, 900))
    page.uncheck("#toggle-crime")
    wait_until(page, SETTLED)
    width, height = map_size(page)
    assert 2 * width > 4096  # drawn at less than twice its pixels
    with page.expect_download() as info:
        page.click("#download-png")
    OUT.mkdir(exist_ok=True)
    saved = OUT / "download-wide.png"
    info.value.save_as(saved)
    picture = Image.open(saved)
    ratio = picture.width / width
    assert ratio < 2
    view = round(height * ratio)
    # The scale bar's line, in the view's lower left corner, above the strip.
    corner = (0, view - round(40 * ratio), round(200 * ratio), view)
    assert has_colour(picture, (0x33, 0x33, 0x33), corner, slack=0)
    # The strip starts where the view ends: its top line (smoothed: 1 px at a ratio under 2),
    # across the whole picture.
    line = picture.convert("RGB").getpixel((picture.width - 2, view))
    assert all(abs(a - b) <= 10 for a, b in zip(line, (0xD9, 0xDE, 0xE3), strict=True)), line
    assert errors == []


def test_printed_dates_are_written_as_the_pages_write_them_in_danish(live_server, chromium):
    """Danish pages write 28.11.2026 (Django's short date), so does the printed map, whatever
    the browser's own way of writing dates."""
    area = make_area("testarea")
    fill_every_layer(area)
    session = session_of(make_member(area, Role.PLANNER))
    page, errors = open_map(
        chromium, live_server, session, address="/map/testarea/?from=2025-01-01", language="da"
    )
    page.evaluate("() => { window.print = () => {}; }")
    page.click("#print-map")
    head = page.locator("#print-sheet .print-head").inner_text()
    today = timezone.localdate().strftime("%d.%m.%Y")
    assert "Fra 01.01.2025" in head and f"Udskrevet {today}" in head, head
    assert "Kriminalitetsdata: test." in page.locator("#print-sheet .print-notice").inner_text()
    assert errors == []


def test_the_notice_names_each_crime_dataset_and_none_when_crime_is_off(
    planner_session, live_server, chromium
):
    area = Area.objects.get(slug="testarea")
    other = add_crime(area, 13.005, 55.604)
    CrimeIncident.objects.filter(pk=other.pk).update(source_dataset="police-uk")
    data_version_bump(area=area, layers=["crime"])  # as an import does
    page, errors = open_map(chromium, live_server, planner_session)
    page.evaluate("() => { window.print = () => {}; }")
    page.click("#print-map")
    assert "Crime data: police-uk, test." in page.locator("#print-sheet .print-notice").inner_text()
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    page.uncheck("#toggle-crime")
    page.click("#print-map")
    assert "Crime data" not in page.locator("#print-sheet .print-notice").inner_text()
    assert errors == []


@pytest.mark.parametrize("size", [(768, 1024), (390, 844)], ids=["tablet", "phone"])
def test_print_and_download_are_map_controls_reached_without_the_panel(
    planner_session, live_server, chromium, size
):
    """On a tablet in portrait or a phone the panel is closed: Print and Download PNG sit with
    the zoom buttons, labelled in the page's language, and work from the keyboard."""
    page, errors = open_map(chromium, live_server, planner_session, size=size, language="sv")
    controls = page.locator(".maplibregl-ctrl-top-right .print-control")
    for button, label in (("#print-map", "Skriv ut"), ("#download-png", "Ladda ner PNG")):
        assert controls.locator(button).is_visible()
        assert controls.locator(button).get_attribute("aria-label") == label
        box = page.locator(button).bounding_box()
        assert box["x"] + box["width"] <= size[0] and box["y"] >= 0
    assert page.locator("#panel").get_attribute("inert") is not None  # the panel stays closed
    page.focus("#download-png")
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    assert info.value.suggested_filename.endswith(".png")
    page.evaluate("() => { window.print = () => (window.printed = 1); }")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "print-map"
    page.keyboard.press("Enter")
    assert page.evaluate("window.printed") == 1
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / f"map-controls-{size[0]}.png"))
    assert errors == []
