import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.factories import make_member
from tests.walks.helpers import item, sync
from walks.models import Photo

pytestmark = pytest.mark.django_db

GPS_IFD, MODEL, ORIENTATION = 0x8825, 0x0110, 0x0112


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def observation_id(capture_client, walk):
    return sync(capture_client, walk, [item()]).json()["results"][0]["id"]


def jpeg_with_gps(width=40, height=20, orientation=6) -> bytes:
    """A JPEG as a tablet writes it: GPS position, device model and a rotation flag."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, width // 2, height))  # left half blue, to see rotation
    exif = Image.Exif()
    exif[MODEL] = "FieldTab 9"
    exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (55.0, 36.0, 18.0)
    gps[3], gps[4] = "E", (13.0, 0.0, 18.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def upload(client, observation_id, data, name="photo.jpg", content_type="image/jpeg"):
    return client.post(
        f"/api/observations/{observation_id}/photos/",
        {"image": SimpleUploadedFile(name, data, content_type=content_type)},
        format="multipart",
    )


def test_the_test_photo_really_carries_gps():
    exif = Image.open(io.BytesIO(jpeg_with_gps())).getexif()
    assert exif.get_ifd(GPS_IFD)[1] == "N"
    assert exif[MODEL] == "FieldTab 9"


def test_photo_is_stored_without_exif_and_upright(capture_client, observation_id):
    response = upload(capture_client, observation_id, jpeg_with_gps())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) >= {"id", "url", "thumbnail_url"}
    photo = Photo.objects.get(pk=body["id"])
    stored = Image.open(photo.image.path)
    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {}
    assert stored.getexif().get_ifd(GPS_IFD) == {}
    assert "exif" not in stored.info and "icc_profile" not in stored.info
    raw = open(photo.image.path, "rb").read()
    assert b"Exif" not in raw and b"FieldTab" not in raw
    # Orientation 6 means "rotate 90° clockwise to view": 40×20 becomes 20×40, blue on top.
    assert stored.size == (20, 40) == (photo.width, photo.height)
    red, green, blue = stored.convert("RGB").getpixel((10, 5))
    assert blue > 150 and red < 100


def test_thumbnail_is_small_and_clean(capture_client, observation_id):
    data = jpeg_with_gps(width=1200, height=800, orientation=1)
    body = upload(capture_client, observation_id, data).json()
    thumb = Image.open(Photo.objects.get(pk=body["id"]).thumbnail.path)
    assert max(thumb.size) == 320
    assert dict(thumb.getexif()) == {}


def test_photo_files_are_served_only_to_those_who_see_the_walk(
    capture_client, client_for, area, observation_id
):
    body = upload(capture_client, observation_id, jpeg_with_gps()).json()
    image = capture_client.get(body["url"])
    assert image.status_code == 200
    assert Image.open(io.BytesIO(b"".join(image.streaming_content))).size == (20, 40)
    # Never from the browser's cache without asking: a deleted photo goes at once.
    assert image["Cache-Control"] == "private, no-cache"
    assert capture_client.get(body["thumbnail_url"]).status_code == 200
    outsider = make_member(area, "participant")
    assert client_for(outsider).get(body["url"]).status_code == 403


def test_retried_upload_gives_the_stored_photo(capture_client, observation_id):
    data = jpeg_with_gps()
    first = upload(capture_client, observation_id, data)
    again = upload(capture_client, observation_id, data)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Photo.objects.count() == 1


@pytest.mark.parametrize("fmt,content_type", [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_png_and_webp_are_accepted(capture_client, observation_id, fmt, content_type):
    buffer = io.BytesIO()
    Image.new("RGBA", (30, 30), (0, 128, 0, 128)).save(buffer, fmt)
    response = upload(capture_client, observation_id, buffer.getvalue(), "p.img", content_type)
    assert response.status_code == 201
    assert Image.open(Photo.objects.get().image.path).format == fmt


def test_other_formats_are_refused(capture_client, observation_id):
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "GIF")
    response = upload(capture_client, observation_id, buffer.getvalue(), "a.gif", "image/gif")
    assert response.status_code == 400
    assert "GIF" in response.json()["image"][0]


def test_not_an_image_is_refused(capture_client, observation_id):
    response = upload(capture_client, observation_id, b"%PDF-1.4 hello")
    assert response.status_code == 400
    assert "image" in response.json()


def png_header_claiming(width, height) -> bytes:
    """A tiny PNG whose header claims a huge size: decoding it would need gigabytes."""
    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def test_decompression_bomb_is_refused_unread(capture_client, observation_id):
    response = upload(capture_client, observation_id, png_header_claiming(10000, 6000), "b.png")
    assert response.status_code == 400
    assert "60 megapixels" in response.json()["image"][0]
    assert Photo.objects.count() == 0


def test_more_than_15_mb_is_refused(capture_client, observation_id):
    response = upload(capture_client, observation_id, b"\xff" * (15 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert "15 MB" in response.json()["image"][0]


def test_only_the_walks_participants_add_photos(client_for, area, observation_id):
    outsider = make_member(area, "participant")
    response = upload(client_for(outsider), observation_id, jpeg_with_gps())
    assert response.status_code == 403
    assert Photo.objects.count() == 0  # refused, and nothing stored


def test_only_the_findings_author_adds_photos_to_it_even_on_a_closed_walk(
    client_for, area, walk, observation_id, capture_client
):
    fellow = make_member(area, "participant")
    walk.participants.add(fellow)
    response = upload(client_for(fellow), observation_id, jpeg_with_gps())
    assert response.status_code == 403 and "author" in response.json()["detail"]
    assert not Photo.objects.exists()
    # The author's photo may arrive after the walk was closed (sent after its finding).
    walk.status = "done"
    walk.save()
    assert upload(capture_client, observation_id, jpeg_with_gps()).status_code == 201


def test_missing_image_field_is_named(capture_client, observation_id):
    response = capture_client.post(
        f"/api/observations/{observation_id}/photos/", {}, format="multipart"
    )
    assert response.status_code == 400
    assert "image" in response.json()


def test_a_png_over_16_megapixels_is_refused_and_a_camera_jpeg_is_kept_at_4096_pixels(
    capture_client, observation_id
):
    # PNG decodes whole: a small file of 7,000 × 7,000 took 800 MB; a camera's JPEG decodes at
    # a reduced scale and is stored at most 4,096 pixels across.
    response = upload(capture_client, observation_id, png_header_claiming(5000, 4000), "s.png")
    assert response.status_code == 400
    assert "at most 16 megapixels" in response.json()["image"][0]
    buffer = io.BytesIO()
    Image.new("RGB", (6000, 4000), (90, 120, 60)).save(buffer, "JPEG", quality=80)
    response = upload(capture_client, observation_id, buffer.getvalue())
    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    assert (photo.width, photo.height) == (4096, 2731)  # its shape kept
