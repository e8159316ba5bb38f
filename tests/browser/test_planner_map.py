"""The planner map in Chromium: layers toggle, a click on a block opens its figures and the
observations inside it, a click on one of them opens its details."""

import io
import re

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from accounts.models import Session
from geo.models import Area, Role
from layers.models import AnalysisRun
from tests.browser.conftest import screenshot, wait_until
from tests.browser.tablet import stored_photo
from tests.factories import make_area, make_member
from tests.tiles.data import add_observation, add_walk
from tests.tiles.layered import fill_every_layer
from tiles import views
from walks.models import Observation, ObservationKind

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 60, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def session_of(user) -> str:
    """The session cookie of a logged-in user, for the browser context."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def open_map(
    chromium,
    live_server,
    session,
    size=(1440, 900),
    address="/map/testarea/",
    language=None,
    touch=False,
):
    context = chromium.new_context(viewport={"width": size[0], "height": size[1]}, has_touch=touch)
    context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    if language:
        context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Console errors include Content-Security-Policy violations.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}{address}")
    page.wait_for_selector("body[data-map-ready]", state="attached", timeout=30_000)
    wait_until(page, "() => window.trygMap.loaded() && window.trygMap.areTilesLoaded()")
    return page, errors


def visibility(page, layer_id):
    return page.evaluate(f"window.trygMap.getLayoutProperty('{layer_id}', 'visibility')")


def click_lnglat(page, lon, lat):
    x, y = page.evaluate(
        f"(() => {{ const p = window.trygMap.project([{lon}, {lat}]); return [p.x, p.y]; }})()"
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


@pytest.fixture
def planner_session(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    area = make_area("testarea")
    walk = fill_every_layer(area)
    hidden = add_observation(
        walk, Point(13.003, 55.608, srid=4326), "hiding_place", severity=5, feeling=1
    )
    stored_photo(hidden, jpeg(), "hide")
    return session_of(make_member(area, Role.PLANNER))


@pytest.fixture
def participant_session():
    area = make_area("testarea")
    fill_every_layer(area)
    return session_of(make_member(area, Role.PARTICIPANT))


def test_planner_toggles_layers_and_reads_a_block(
    planner_session, live_server, chromium, monkeypatch
):
    confirmed = []  # sessions checked by the direct tile path (tiles/direct.py)

    def confirm(*session):
        views_confirm(*session)
        confirmed.append(session[0])

    views_confirm = views.confirm_session
    monkeypatch.setattr(views, "confirm_session", confirm)
    page, errors = open_map(chromium, live_server, planner_session)
    # The map's vector tiles carry its session cookie and took the one-statement path.
    assert len(confirmed) >= 5 and set(confirmed) == {Session.objects.get().user_id}

    # The legend names the analysis the blocks are coloured by.
    legend = page.locator(".bivariate .run").inner_text()
    run = AnalysisRun.objects.get()  # numbered as on the data page
    assert legend.startswith(f"Analysis {run.pk} of {timezone.localdate().isoformat()}: all months")
    assert visibility(page, "crime-counts") == "visible"
    page.uncheck("#toggle-crime")
    assert visibility(page, "crime-counts") == "none"
    assert visibility(page, "lamps-status") == "none"
    page.check("#toggle-lamps")
    assert visibility(page, "lamps-status") == "visible"
    page.uncheck("#toggle-walks")
    assert visibility(page, "walks-route") == "none"
    page.check("#toggle-walks")

    # The NW block, away from its observations.
    click_lnglat(page, 13.0015, 55.6095)
    popup = page.locator(".maplibregl-popup.details")
    popup.locator("h3").wait_for(timeout=10_000)
    assert popup.locator("h3").inner_text().startswith("Block NW")
    assert "Hiding place" in popup.inner_text()
    assert "Unsafe spot" in popup.inner_text()
    # The thumbnail really loads: through the API (media files are not served).
    thumb = popup.locator(".thumbs img").first
    assert thumb.get_attribute("src").endswith("/thumbnail/")
    wait_until(page, "document.querySelector('.thumbs img').naturalWidth > 0")
    screenshot(page, "planner-map-block")

    popup.get_by_role("button", name="Hiding place").click()
    popup.locator("h3", has_text="Hiding place").wait_for(timeout=10_000)
    assert "5" in popup.locator(".figures").inner_text()
    assert "very unsafe" in popup.inner_text()
    # When, on the area's clock as every page writes it (it was the device's "Nov 28, 2026, …").
    captured = timezone.localtime(Observation.objects.get(kind__code="hiding_place").captured_at)
    when = f"Captured\t{captured:%Y-%m-%d %H:%M}"
    assert when in popup.locator(".figures").inner_text()
    # Its walk's name leads to the walk's report.
    assert re.fullmatch(r"/walks/\d+/report/", popup.locator(".figures a").get_attribute("href"))
    screenshot(page, "planner-map-observation")

    # Findings are drawn, listed and named with their kind's symbol (the style's sprite).
    assert page.evaluate("window.trygMap.hasImage('kind-hiding_place')")
    symbol = popup.locator("h3 .swatch.symbol")
    assert "/tiles/sprite/" in symbol.evaluate("s => getComputedStyle(s).backgroundImage")
    kinds = page.locator(".kinds li:not(.settled) .swatch.symbol")
    assert kinds.count() == ObservationKind.objects.count()
    # The legend says what a faded symbol is (the style fades settled findings).
    assert page.locator(".kinds li.settled").inner_text() == "Faded: fixed or no action"

    # Without a pointer: Escape closes the details; the arrow keys move the map, and Enter
    # opens what lies at its centre, with the focus in the details.
    page.keyboard.press("Escape")
    expect(page.locator(".maplibregl-popup")).to_have_count(0)
    page.evaluate("window.trygMap.jumpTo({ center: [13.0015, 55.6095] })")
    page.locator("#map canvas").focus()
    page.keyboard.press("Enter")
    popup.locator("h3").wait_for(timeout=10_000)
    assert popup.locator("h3").inner_text().startswith("Block NW")
    assert page.evaluate("!!document.activeElement.closest('.maplibregl-popup')")
    assert popup.locator(".thumbs img").first.get_attribute("alt") == "Photo of the finding"

    # The SW block has figures in the analysis: its class and its count, rounded for planners.
    page.keyboard.press("Escape")
    page.evaluate("window.trygMap.jumpTo({ center: [13.0085, 55.6005] })")
    wait_until(page, "() => window.trygMap.loaded() && window.trygMap.areTilesLoaded()")
    click_lnglat(page, 13.0085, 55.6005)
    popup.locator("h3", has_text="Block SW").wait_for(timeout=10_000)
    figures = popup.locator(".figures").inner_text()
    assert "Crime exceeds insecurity" in figures
    assert re.search(r"Recorded incidents\s+5\b", figures)  # 4, rounded to 5
    # The Gi* hot spots are a layer of their own, drawn from the blocks' tiles.
    assert visibility(page, "hotspots-crime") == "none"
    page.check("#toggle-hotspots")
    assert visibility(page, "hotspots-crime") == "visible"
    assert visibility(page, "hotspots-insecurity") == "visible"
    assert errors == []


def test_a_block_s_crime_count_names_the_months_of_the_analysis(
    planner_session, live_server, chromium
):
    """An analysis of one month colours the blocks: its count is of that month, while the
    crime layer's circles beside it count every month the filters leave, so the figure says
    which months it counts."""
    from layers.models import AnalysisRun

    for run in AnalysisRun.objects.all():
        run.parameters = {**(run.parameters or {}), "from": "2025-06", "to": "2025-06"}
        run.save(update_fields=["parameters"])
    page, errors = open_map(chromium, live_server, planner_session)
    assert ": 2025-06, " in page.locator(".bivariate .run").inner_text()
    page.evaluate("window.trygMap.jumpTo({ center: [13.0085, 55.6005] })")
    wait_until(page, "() => window.trygMap.loaded() && window.trygMap.areTilesLoaded()")
    click_lnglat(page, 13.0085, 55.6005)
    popup = page.locator(".maplibregl-popup.details")
    popup.locator("h3", has_text="Block SW").wait_for(timeout=10_000)
    assert re.search(r"Recorded incidents, 2025-06\s+5\b", popup.locator(".figures").inner_text())
    assert errors == []


def test_a_toggle_takes_effect_while_tiles_are_still_loading(
    planner_session, live_server, chromium
):
    """While any source is fetching, MapLibre's isStyleLoaded() is false; a switch made then
    must still apply. Lamp tiles are held back so the map stays in that state."""
    page, errors = open_map(chromium, live_server, planner_session)
    held = []
    page.route("**/lamps/**", lambda route: held.append(route))
    page.check("#toggle-lamps")
    wait_until(page, "() => !window.trygMap.isStyleLoaded()", seconds=10)

    page.uncheck("#toggle-walks")
    assert visibility(page, "walks-route") == "none"
    assert visibility(page, "lamps-status") == "visible"

    assert held, "the lamp tiles were never requested"
    for route in held:
        route.continue_()
    page.unroute("**/lamps/**")
    wait_until(page, "() => window.trygMap.areTilesLoaded()")
    assert visibility(page, "walks-route") == "none"
    assert errors == []


def test_a_participant_sees_walk_layers_but_no_crime(participant_session, live_server, chromium):
    page, errors = open_map(chromium, live_server, participant_session, size=(768, 1024))
    toggles = page.locator(".layers input[type=checkbox]")
    assert sorted(toggles.evaluate_all("els => els.map(e => e.dataset.layer)")) == [
        "blocks",
        "observations",
        "walks",
    ]
    assert page.locator("#exports a").count() == 0
    # A tablet in portrait: the panel slides over the map when asked.
    assert not page.locator("#panel").is_visible() or page.locator("#panel").bounding_box()["x"] < 0
    # Out of sight is out of the keyboard's reach too (its controls were tab stops off-screen).
    assert page.evaluate("document.getElementById('panel').inert")
    page.click("#panel-toggle")
    page.wait_for_timeout(400)
    assert page.locator("#panel").bounding_box()["x"] >= 0
    assert not page.evaluate("document.getElementById('panel').inert")
    screenshot(page, "planner-map-tablet")
    assert errors == []


def chosen_walks(page) -> list[str]:
    """The ids of the walks the walk filter shows as chosen, in their order."""
    return page.locator(".walk-chip").evaluate_all("(chips) => chips.map((c) => c.dataset.walk)")


KINDS_ON_MAP = (
    "() => [...new Set(window.trygMap.querySourceFeatures('observations',"
    " {sourceLayer: 'observations'}).map((f) => f.properties.kind))].sort().join(',')"
)


def test_a_kind_filter_narrows_the_map_and_what_it_exports(planner_session, live_server, chromium):
    page, errors = open_map(chromium, live_server, planner_session)
    assert page.evaluate(KINDS_ON_MAP) == "blocked_sightline,hiding_place,unsafe_spot"

    page.select_option("select[name=kind]", "hiding_place")
    wait_until(page, f"() => ({KINDS_ON_MAP})() === 'hiding_place'")
    link = page.locator("a.export[data-layer=observations]").get_attribute("href")
    assert "kind=hiding_place" in link
    exported = page.request.get(f"{live_server.url}{link}")  # with the page's session
    assert exported.status == 200
    assert {f["properties"]["kind"] for f in exported.json()["features"]} == {"hiding_place"}
    # The same in a spreadsheet's format, and in QGIS's and CAD's.
    item = page.locator("#exports li", has=page.locator("a.export[data-layer=observations]"))
    csv = item.locator("a[data-format=csv]").get_attribute("href")
    assert csv == link.replace(".geojson", ".csv")
    rows = page.request.get(f"{live_server.url}{csv}").text().splitlines()
    assert len(rows) == 2 and "hiding_place" in rows[1]
    assert (
        item.locator("a[data-format=gpkg]").count()
        == item.locator("a[data-format=dxf]").count()
        == 1
    )
    # A planner's crime layer is per-block counts, and so is its export (crime points 404).
    crime = page.locator("a.export[data-layer=crime]").get_attribute("href")
    assert "/export/crime_blocks.geojson" in crime
    assert page.request.get(f"{live_server.url}{crime}").status == 200
    screenshot(page, "planner-map-filtered")
    # Switching the language keeps the filters (they live in the page's address).
    page.click("form.lang button[value=sv]")
    expect(page.locator("html")).to_have_attribute("lang", "sv", timeout=10_000)
    assert "kind=hiding_place" in page.url
    expect(page.locator("select[name=kind]")).to_have_value("hiding_place")
    assert errors == []


def test_a_walk_reports_link_shows_that_walk_alone(planner_session, live_server, chromium):
    """The report's "Show on the map" opens the map filtered to its walk (a value the panel
    cannot show, from an edited address, is dropped); the address follows the filters."""
    area = Area.objects.get(slug="testarea")
    other = add_walk(area, light="day", starts_at=None)
    add_observation(other, Point(13.012, 55.607, srid=4326), "safe_place")
    page, errors = open_map(
        chromium, live_server, planner_session, address=f"/map/testarea/?walk={other.pk}&kind=nope"
    )
    assert page.evaluate(KINDS_ON_MAP) == "safe_place"
    assert chosen_walks(page) == [str(other.pk)]
    assert page.locator("select[name=kind]").input_value() == ""
    link = page.locator("a.export[data-layer=observations]").get_attribute("href")
    assert link.endswith(f"?walk={other.pk}")

    page.get_by_role("button", name=re.compile(r"^Remove .* from the filter$")).click()
    wait_until(
        page,
        f"() => ({KINDS_ON_MAP})() === 'blocked_sightline,hiding_place,safe_place,unsafe_spot'",
    )
    assert page.evaluate("location.search") == ""
    page.select_option("select[name=kind]", "safe_place")
    assert page.evaluate("location.search") == "?kind=safe_place"
    assert errors == []


def test_an_address_naming_a_deleted_walk_shows_the_map_and_says_the_walk_is_dropped(
    planner_session, live_server, chromium
):
    """A bookmark of the map filtered to a walk deleted since: the tiles would refuse the walk
    (400) and leave its layers blank, so the map drops it from the filter and the address, says
    so, and shows the area with the other filters of the address."""
    area = Area.objects.get(slug="testarea")
    gone = add_walk(area, light="day", starts_at=None)
    gone_id = gone.pk
    gone.delete()
    page, errors = open_map(
        chromium,
        live_server,
        planner_session,
        address=f"/map/testarea/?walk={gone_id}&kind=hiding_place",
    )

    notice = page.locator("#filters #walk-dropped")
    expect(notice).to_have_text(re.compile("no longer one to choose"))
    assert page.evaluate("location.search") == "?kind=hiding_place"
    assert page.evaluate(KINDS_ON_MAP) == "hiding_place"
    assert chosen_walks(page) == []

    # Choosing a walk puts the notice away.
    page.select_option("select[name=walk]", str(area.walks.get().pk))
    expect(notice).to_have_count(0)
    assert errors == []  # no tile refused (a 400 is a console error)


def test_an_address_naming_a_deleted_walk_among_others_keeps_the_others(
    planner_session, live_server, chromium
):
    """A shared comparison of two walks, one deleted since: the other stays chosen."""
    area = Area.objects.get(slug="testarea")
    kept = area.walks.get()
    gone = add_walk(area, light="night")
    gone_id = gone.pk
    gone.delete()
    page, errors = open_map(
        chromium, live_server, planner_session, address=f"/map/testarea/?walk={gone_id},{kept.pk}"
    )
    expect(page.locator("#filters #walk-dropped")).to_have_text(
        "1 of the 2 walks this address named can no longer be chosen (deleted, or not yours):"
        " the map shows the others."
    )
    assert chosen_walks(page) == [str(kept.pk)]
    assert page.evaluate("location.search") == f"?walk={kept.pk}"
    assert page.evaluate(KINDS_ON_MAP) == "blocked_sightline,hiding_place,unsafe_spot"
    assert errors == []


def test_on_a_tablet_the_closed_panels_button_says_the_map_is_filtered(
    planner_session, live_server, chromium
):
    """The start page's "to follow up" link opens the map filtered; on a tablet the panel is
    closed, so its button carries the mark."""
    page, errors = open_map(
        chromium,
        live_server,
        planner_session,
        size=(768, 1024),
        address="/map/testarea/?follow_up=open",
        touch=True,
    )
    # A finger's size: zoom, print and PNG (MapLibre draws its buttons 29 px).
    sizes = page.eval_on_selector_all(
        ".maplibregl-ctrl-group button", "(all) => all.map((b) => b.getBoundingClientRect().height)"
    )
    assert len(sizes) == 4 and min(sizes) >= 44
    button = page.locator("#panel-toggle")
    expect(button).to_have_class(re.compile(r"\bfiltered\b"))
    assert button.get_attribute("aria-label") == "Layers and filters (filters on)"
    page.click("#panel-toggle")
    page.get_by_role("button", name="Reset filters").click()
    expect(button).not_to_have_class(re.compile(r"\bfiltered\b"))
    assert button.get_attribute("aria-label") == "Layers and filters"
    assert errors == []
