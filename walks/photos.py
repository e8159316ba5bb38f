"""Photos from the field: re-encoded so that nothing but the pixels survives.

A tablet's JPEG carries the GPS position and the device in its EXIF block; walk participants
must not be traceable through the photos they take. Every upload is decoded and written anew
without EXIF, XMP, ICC or text chunks, after applying the EXIF orientation so the picture still
stands the right way up. The pixel count is checked from the header before decoding, so a small
file that would decompress into gigabytes is refused without being decoded.
"""

import io
import threading
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 15 * 1024 * 1024
# A camera's JPEG (up to a 50 MP sensor) is decoded at a reduced scale straight from its DCT
# (Pillow's draft mode), cheaply; PNG and WebP have no such shortcut and decode whole, so they
# get a lower limit: a 208 kB PNG of 7,000 × 7,000 pixels took 800 MB and 3 s to decode, and
# eight at once held the server for half a minute.
MAX_PIXELS = {"JPEG": 50_000_000, "PNG": 16_000_000, "WEBP": 16_000_000}
# Stored photos keep at most this many pixels on their longer side: a finding's photo, not a
# camera's archive (and the phone's 50 MP picture is 8 MB less to keep and to serve).
MAX_SIDE = 4096
# One photo decodes at a time in each web process, so that uploads at once cannot add up
# their memory; the others wait their turn (a second or so each).
_decoding = threading.BoundedSemaphore(1)
THUMBNAIL_SIZE = (320, 320)
# Format read → (format written, file extension).
FORMATS = {"JPEG": ("JPEG", "jpg"), "PNG": ("PNG", "png"), "WEBP": ("WEBP", "webp")}


@dataclass
class PreparedPhoto:
    image: bytes
    thumbnail: bytes
    width: int
    height: int
    extension: str
    content_type: str


class PhotoTooLarge(ValidationError):
    """The upload is bigger than MAX_BYTES (answered with 413)."""


def photo_prepare(raw: bytes) -> PreparedPhoto:
    with _decoding:
        return _prepare(raw)


def _prepare(raw: bytes) -> PreparedPhoto:
    if len(raw) > MAX_BYTES:
        raise PhotoTooLarge(
            {
                "image": _("The photo is %(mb)s MB; at most 15 MB is accepted.")
                % {"mb": number_format(len(raw) / 1024 / 1024, 1)}
            }
        )
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb guard only warns below twice its limit; ours decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            source = Image.open(io.BytesIO(raw))
            if source.format not in FORMATS:
                raise ValidationError(
                    {
                        "image": _("%(format)s images are not accepted; send JPEG, PNG or WebP.")
                        % {"format": source.format}
                    }
                )
            width, height = source.size
            limit = MAX_PIXELS[source.format]
            if width * height > limit:
                raise ValidationError(
                    {
                        "image": _(
                            "The image would decompress to %(mp).0f megapixels; "
                            "at most %(max).0f megapixels are accepted."
                        )
                        % {"mp": width * height / 1e6, "max": limit / 1e6}
                    }
                )
            output_format, extension = FORMATS[source.format]
            if source.format == "JPEG":
                source.draft(source.mode, (MAX_SIDE, MAX_SIDE))  # decoded at 1/2, 1/4 … scale
            source.load()
            upright = ImageOps.exif_transpose(source)
            upright.thumbnail((MAX_SIDE, MAX_SIDE))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
        raise ValidationError(
            {"image": _("This file is not a readable JPEG, PNG or WebP image.")}
        ) from None
    clean = _pixels_only(upright, output_format)
    thumbnail = clean.copy()
    thumbnail.thumbnail(THUMBNAIL_SIZE)
    return PreparedPhoto(
        image=_encode(clean, output_format),
        thumbnail=_encode(thumbnail, output_format),
        width=clean.width,
        height=clean.height,
        extension=extension,
        content_type=f"image/{extension.replace('jpg', 'jpeg')}",
    )


def _pixels_only(image: Image.Image, output_format: str) -> Image.Image:
    """A fresh image holding only the pixels: no info dict, EXIF, ICC profile or palette tricks."""
    if output_format == "JPEG":
        mode = "L" if image.mode in ("L", "1") else "RGB"
    else:
        mode = (
            "RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "RGB"
        )
    converted = image.convert(mode)
    clean = Image.new(mode, converted.size)
    clean.paste(converted)
    return clean


def _encode(image: Image.Image, output_format: str) -> bytes:
    buffer = io.BytesIO()
    options = {"JPEG": {"quality": 85, "optimize": True}, "WEBP": {"quality": 85}}
    image.save(buffer, format=output_format, **options.get(output_format, {}))
    return buffer.getvalue()
