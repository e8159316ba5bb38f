"""The capture app on a tablet: placing a finding as a participant's thumb does."""

import io

from PIL import Image
from playwright.sync_api import expect

from tests.factories import PASSWORD

TABLET = {"width": 1024, "height": 768}


def sign_in_to_capture(page, live_server, walk, username):
    page.goto(f"{live_server.url}/walks/{walk.pk}/capture/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-ready=true]")


def place(page, kind, *taps):
    page.tap(f'.kind[data-kind="{kind}"]')
    for x, y in taps:
        page.touchscreen.tap(x, y)
        page.wait_for_timeout(150)
    expect(page.locator("#sheet")).to_be_visible()


def camera_jpeg() -> bytes:
    """A small JPEG carrying a GPS position, as a tablet camera writes it."""
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (55.0, 36.0, 18.0), 3: "E", 4: (13.0, 0.0, 22.0)})
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 60)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def stored_photo(observation, jpeg: bytes, name: str = "photo"):
    """A photo stored as if uploaded (files under MEDIA_ROOT), without the upload's checks."""
    from django.core.files.base import ContentFile

    from walks.models import Photo

    return Photo.objects.create(
        observation=observation,
        image=ContentFile(jpeg, f"{name}.jpg"),
        thumbnail=ContentFile(jpeg, f"{name}-thumb.jpg"),
        width=64,
        height=48,
        sha256="0" * 64,
    )
