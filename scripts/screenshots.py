"""The README's screenshots (docs/img/*.png), taken from a served demo.

    make run                                  # or any served `load_demo` (scale 1, seed 1)
    .venv/bin/python scripts/screenshots.py   # all of them; or name some: walk-report capture-night
    .venv/bin/python scripts/screenshots.py --base-url http://127.0.0.1:8109 capture-night

What each shows:

- planner-map (1440 x 900): the planner map of the demo as demo-planner.
- walk-report (1280 x 1000): the report of "Nightlife street, late" as demo-coordinator, with the
  report's actions and downloads, its map and its first findings. Its first three findings get a
  photo first, uploaded by their authors through the API (a drawn picture; the same bytes again
  are the same photo, so running this twice adds nothing).
- capture-night (1024 x 768): the capture app on the demo's planned night walk ("Dark path, this
  evening") as demo-participant on a tablet, offline: three findings saved on the tablet, a
  fourth being placed. Offline, so nothing reaches the server and the walk keeps no findings.

Needs Playwright and Chromium (Debian's, as the browser tests use: TRYGG_CHROMIUM to change it).
Every wait is bounded; a page that does not get ready fails the run rather than hanging it. Each
login counts against the login throttle (ten a minute per address): allow a minute between runs.
"""

import argparse
import io
import math
import os
import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "trygg-demo"
AREA = "demo"
REPORT_WALK = "Nightlife street, late"
CAPTURE_WALK = "Dark path, this evening"
WAIT_MS = 30_000
CHROMIUM = os.environ.get("TRYGG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]


class Shot:
    def __init__(self, base_url: str, browser, api):
        self.base_url, self.browser, self.api = base_url, browser, api

    def page(self, username: str, *, width: int, height: int, scale: float = 1, touch=False):
        context = self.browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=scale,
            has_touch=touch,
            locale="en-GB",
        )
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        page.goto(f"{self.base_url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("load")
        if "/accounts/login/" in page.url:
            sys.exit(f"{username} could not log in (a throttled address? wait a minute)")
        return page

    def token(self, username: str) -> str:
        answer = self.api.post(
            f"{self.base_url}/api/auth/token/",
            form={"username": username, "password": PASSWORD},
            timeout=WAIT_MS,
        )
        if not answer.ok:
            sys.exit(f"no API token for {username}: HTTP {answer.status}")
        return answer.json()["token"]

    def get(self, token: str, path: str):
        answer = self.api.get(
            f"{self.base_url}{path}", headers={"Authorization": f"Token {token}"}, timeout=WAIT_MS
        )
        if not answer.ok:
            sys.exit(f"GET {path}: HTTP {answer.status}")
        return answer.json()

    def walk(self, token: str, name: str) -> dict:
        walks = [w for w in self.get(token, f"/api/areas/{AREA}/walks/") if w["name"] == name]
        if not walks:
            sys.exit(f"the demo has no walk {name!r}: load it with `manage.py load_demo`")
        return max(walks, key=lambda w: w["id"])


# ---------- the screenshots ----------


def planner_map(shot: Shot):
    page = shot.page("demo-planner", width=1440, height=900)
    page.goto(f"{shot.base_url}/map/{AREA}/")
    page.wait_for_selector("body[data-map-ready]", state="attached")
    settled(page, "window.trygMap.loaded() && window.trygMap.areTilesLoaded()")
    return page


def walk_report(shot: Shot):
    coordinator = shot.token("demo-coordinator")
    walk = shot.walk(coordinator, REPORT_WALK)
    photos_add(shot, walk, count=3)
    # 1600 x 1250 CSS pixels drawn at 0.8: the report's head, its map and its first findings
    # with their photos in a 1280 x 1000 picture.
    page = shot.page("demo-coordinator", width=1600, height=1250, scale=0.8)
    page.goto(f"{shot.base_url}/walks/{walk['id']}/report/")
    expect(page.locator("svg circle.marker").first).to_be_visible()
    settled(page, "[...document.images].every((img) => img.complete && img.naturalWidth > 0)")
    return page


def capture_night(shot: Shot):
    walk = shot.walk(shot.token("demo-participant"), CAPTURE_WALK)
    if walk["light"] != "night" or walk["status"] not in ("planned", "walking"):
        sys.exit(f"{CAPTURE_WALK!r} is not an open night walk: load the demo again")
    page = shot.page("demo-participant", width=1024, height=768, touch=True)
    page.goto(f"{shot.base_url}{walk['capture_url']}")
    page.wait_for_selector("body[data-ready=true]")
    settled(page, "window.tryggCapture.map.loaded() && window.tryggCapture.map.areTilesLoaded()")
    # Offline from here: what is saved waits on the tablet, and the demo walk stays empty.
    page.context.set_offline(True)
    expect(page.locator("#net")).to_have_text("Offline")
    route = walk["route"]["coordinates"]
    # Closer in, with the route left of the middle: the finding's sheet covers the map's right
    # side. The area's dashed edge, west of the route, stays in sight.
    lons, lats = zip(*route, strict=True)
    page.evaluate(
        "([lon, lat]) => { const map = window.tryggCapture.map;"
        " map.jumpTo({center: [lon, lat], zoom: map.getZoom() + 0.8});"
        " map.panBy([150, 0], {duration: 0}); }",
        [(min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2],
    )
    for saved, (kind, at, severity, feeling) in enumerate(
        [
            ("lighting_defect", along(route, 0.12, 0.0003), 4, 2),
            ("hiding_place", along(route, 0.38, -0.0004), 3, 2),
            ("safe_place", along(route, 0.85, 0.0003), None, 4),
        ],
        start=1,
    ):
        finding_place(page, kind, at, severity, feeling)
        page.tap("#save")
        expect(page.locator("#sheet")).to_be_hidden()
        expect(page.locator("#sync-count")).to_have_attribute("data-count", str(saved))
        page.wait_for_timeout(700)  # two taps within half a second would zoom the map
    expect(page.locator("#toast")).to_be_hidden()  # "Saved on this tablet." fades
    finding_place(page, "unsafe_spot", along(route, 0.62, 0.0002), 3, 2)
    page.wait_for_timeout(500)  # the sheet slides in
    return page


SHOTS = {
    "planner-map": (planner_map, False),
    "walk-report": (walk_report, True),
    "capture-night": (capture_night, True),
}


# ---------- helpers ----------


def settled(page, condition: str, seconds: float = 30):
    """Poll a condition (the pages' CSP forbids wait_for_function's evaluated strings)."""
    for _ in range(int(seconds / 0.25)):
        if page.evaluate(f"() => {condition}"):
            page.wait_for_timeout(800)  # the last frame drawn
            return
        page.wait_for_timeout(250)
    sys.exit(f"still not so after {seconds} s: {condition}")


def along(route, share: float, aside: float) -> tuple[float, float]:
    """The point `share` of the way along a route's vertices, `aside` degrees north of it."""
    lengths = [math.dist(a, b) for a, b in zip(route, route[1:], strict=False)]
    left = share * sum(lengths)
    for (a, b), length in zip(zip(route, route[1:], strict=False), lengths, strict=True):
        if left <= length:
            t = left / length if length else 0
            return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t + aside
        left -= length
    return route[-1][0], route[-1][1] + aside


def finding_place(page, kind: str, lonlat, severity, feeling):
    x, y = page.evaluate(
        "([lon, lat]) => { const p = window.tryggCapture.map.project([lon, lat]);"
        " const box = document.getElementById('map').getBoundingClientRect();"
        " return [box.left + p.x, box.top + p.y]; }",
        list(lonlat),
    )
    page.tap(f'.kind[data-kind="{kind}"]')
    page.touchscreen.tap(x, y)
    expect(page.locator("#sheet")).to_be_visible()
    if severity:
        page.tap(f'.scale[data-field="severity"] button[value="{severity}"]')
    page.tap(f'.scale[data-field="feeling"] button[value="{feeling}"]')


def photos_add(shot: Shot, walk: dict, count: int):
    """A photo for each of the walk's first `count` findings that has none, from its author."""
    for username in walk["participant_names"]:
        token = shot.token(username)
        findings = shot.get(token, f"/api/walks/{walk['id']}/observations/")["features"]
        findings.sort(key=lambda f: (f["properties"]["captured_at"], f["id"]))
        for feature in findings[:count]:
            finding = feature["properties"]
            if not finding["mine"] or finding["photos"]:
                continue
            answer = shot.api.post(
                f"{shot.base_url}/api/observations/{feature['id']}/photos/",
                headers={"Authorization": f"Token {token}"},
                multipart={
                    "image": {
                        "name": f"finding-{feature['id']}.jpg",
                        "mimeType": "image/jpeg",
                        "buffer": scene(finding["kind"], feature["id"]),
                    }
                },
                timeout=WAIT_MS,
            )
            if not answer.ok:
                sys.exit(f"photo for finding {feature['id']}: HTTP {answer.status}")


def scene(kind: str, seed: int) -> bytes:
    """A drawn street at night for a finding's photo: a wall, a lamp, and what the kind names."""
    rng = random.Random(seed)
    width, height = 960, 720
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # night sky to pavement
        shade = int(18 + 40 * y / height)
        draw.line([(0, y), (width, y)], fill=(shade // 2, shade // 2 + 4, shade + 10))
    draw.rectangle([0, 180, width, 560], fill=(74, 66, 62))  # the wall
    for row in range(180, 560, 28):
        offset = 0 if (row // 28) % 2 else 40
        for col in range(-offset, width, 80):
            draw.rectangle([col + 2, row + 2, col + 78, row + 26], outline=(60, 53, 50), width=2)
    draw.polygon([(0, 560), (width, 560), (width, height), (0, height)], fill=(46, 48, 52))
    lamp_on = kind not in ("lighting_defect", "hiding_place")
    draw.rectangle([118, 60, 128, 560], fill=(30, 30, 34))
    draw.rectangle([100, 50, 170, 64], fill=(30, 30, 34))
    if lamp_on:
        glow = Image.new("L", (width, height), 0)
        ImageDraw.Draw(glow).ellipse([20, 20, 300, 360], fill=120)
        glow = glow.filter(ImageFilter.GaussianBlur(60))
        image = Image.composite(Image.new("RGB", image.size, (250, 214, 140)), image, glow)
        draw = ImageDraw.Draw(image)
        draw.ellipse([140, 58, 172, 76], fill=(255, 236, 170))
    if kind == "vandalism":
        for _ in range(9):
            colour = rng.choice([(220, 60, 90), (80, 200, 220), (240, 220, 60), (240, 240, 240)])
            points = [(rng.randint(260, 900), rng.randint(220, 520)) for _ in range(5)]
            draw.line(points, fill=colour, width=rng.randint(6, 14), joint="curve")
    elif kind in ("safe_place", "meeting_place"):
        draw.rectangle([520, 300, 860, 560], fill=(250, 232, 170))  # a lit kiosk
        draw.rectangle([500, 270, 880, 305], fill=(40, 110, 80))
        for col in range(540, 860, 70):
            draw.rectangle([col, 330, col + 50, 420], fill=(255, 246, 214))
    elif kind in ("neglect", "poor_walk_path"):
        for _ in range(26):
            x, y = rng.randint(200, 920), rng.randint(570, 700)
            size = rng.randint(12, 40), rng.randint(8, 20)
            draw.ellipse([x, y, x + size[0], y + size[1]], fill=(140, 130, 110))
        draw.rectangle([600, 470, 680, 560], fill=(52, 90, 60))  # an overflowing bin
    else:  # a dark corner
        draw.polygon([(560, 560), (760, 180), (960, 180), (960, 560)], fill=(16, 16, 20))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82)
    return buffer.getvalue()


def png_save(data: bytes, path: Path, palette: bool) -> int:
    """The screenshot, smaller: 256 colours where that stays sharp (flat pages and maps)."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    if palette:
        image = image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    image.save(path, optimize=True)
    return path.stat().st_size


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(SHOTS) + " (all)")
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    base_url = args.base_url.rstrip("/")
    unknown = sorted(set(args.names) - set(SHOTS))
    if unknown:
        parser.error(f"no screenshot called {', '.join(unknown)}; there are {', '.join(SHOTS)}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        api = playwright.request.new_context()
        try:
            shot = Shot(base_url, browser, api)
            for name in args.names or SHOTS:
                make, palette = SHOTS[name]
                page = make(shot)
                path = args.out / f"{name}.png"
                size = png_save(page.screenshot(), path, palette)
                page.context.close()
                width, height = Image.open(path).size
                print(f"{path.name}: {width} x {height}, {size / 1024:.0f} kB")
        finally:
            api.dispose()
            browser.close()


if __name__ == "__main__":
    main()
