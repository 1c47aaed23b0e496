"""Pictures as we keep them: decoded and encoded again with Pillow, so that nothing but pixels
survives. A phone photo carries EXIF (the GPS position where it was taken, the camera, the time),
an ICC profile, comments, XMP; a generated picture may carry the vendor's metadata. None of it is
stored, sent to a vendor as a reference or served.
"""

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# What we keep pictures as: Pillow format -> MIME type.
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
# Refused by the declared size, before decoding: a 165 KiB PNG may declare a 6300 x 6300 canvas
# (~650 MB once decoded and converted). 16 MP is more than any phone photo an avatar needs; a
# picture that passes is decoded once (~4 bytes x 16 MP = 64 MB; less for a JPEG, decoded at a
# reduced scale) and fitted within MAX_SIDE before any copy: ~128 MB at its peak, measured by
# tests/media/test_pictures_memory.py.
MAX_PIXELS = 16_000_000
# No side longer than this either (a 16 MP strip 100,000 px long is no photo).
MAX_DECLARED_SIDE = 8192
# No picture we show needs more on its longest side (avatars, illustrations at 1024 px).
MAX_SIDE = 2048
QUALITY = 90

_SRGB = ImageCms.createProfile("sRGB")
# What Pillow reports about a picture that is not metadata: container and codec facts.
_NOT_METADATA = {
    "jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive", "progression",
    "adobe", "adobe_transform", "loop", "background", "duration", "transparency", "gamma",
    "srgb", "chromaticity", "aspect", "interlace", "lossless",
}  # fmt: skip


class PictureError(ValueError):
    """Not a picture we can read and keep."""


@dataclass(frozen=True)
class Picture:
    content: bytes
    mime_type: str
    width: int
    height: int


def picture_clean(content: bytes) -> Picture:
    """The picture in `content` encoded again in its own format with no metadata at all.

    1. Open it (PNG, JPEG or WebP) and refuse a canvas over MAX_PIXELS or MAX_DECLARED_SIDE
       before decoding it (`picture_refuse_declared`).
    2. Decode it at a reduced scale where the format allows (JPEG's draft mode: 1/2 to 1/8) and
       fit it within MAX_SIDE at once, so the copies made by the next steps are small.
    3. Turn it upright as the camera's EXIF orientation says (the tag itself is dropped).
    4. Convert its colours to sRGB when it carries an ICC profile, so that dropping the profile
       does not shift them.
    5. Fit it within MAX_SIDE, copy the pixels alone into a new image and encode that.
    """
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format not in FORMATS:
                raise PictureError(
                    _("Pictures are PNG, JPEG or WebP, not %(format)s.") % {"format": image.format}
                )
            picture_refuse_declared(image)
            image_format = image.format
            image.seek(0)  # the first frame of an animation
            upright = ImageOps.exif_transpose(_decoded_small(image))
            pixels = _srgb(upright, has_alpha=_has_alpha(image) and image_format != "JPEG")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise PictureError(_("The picture could not be read.")) from exc
    pixels.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # A new image from the raw pixels has no info, EXIF, profile or text of any kind.
    bare = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    if image_format == "PNG":
        bare.save(out, format="PNG", optimize=True)
    else:
        bare.save(out, format=image_format, quality=QUALITY)
    return Picture(
        content=out.getvalue(),
        mime_type=FORMATS[image_format],
        width=bare.width,
        height=bare.height,
    )


def picture_refuse_declared(image: Image.Image) -> None:
    """Refuse an opened (not yet decoded) picture by the size its header declares."""
    if image.width * image.height > MAX_PIXELS or max(image.size) > MAX_DECLARED_SIDE:
        raise PictureError(_("The picture has too many pixels."))


def _decoded_small(image: Image.Image) -> Image.Image:
    """`image` decoded and fitted within MAX_SIDE in place (its info kept: the EXIF orientation
    and the ICC profile are read from it next), so the copies the next steps make are small."""
    if image.format == "JPEG":
        image.draft(None, (MAX_SIDE, MAX_SIDE))  # a scale whose result still covers MAX_SIDE
    if image.mode in ("1", "P"):  # palette pixels resize poorly; small until converted anyway
        return image
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return image


# How many pictures one process decodes at once (uploaded avatars, in the web process):
# PICTURE_DECODE_CONCURRENCY x ~128 MB (one picture's peak) bounds what uploads can cost a web
# worker, whatever one family sends in parallel.
_decoding = threading.BoundedSemaphore(max(1, settings.PICTURE_DECODE_CONCURRENCY))


class PicturesBusy(Exception):
    """This process is decoding as many pictures as it may: try again in a moment."""


@contextmanager
def picture_decode_slot() -> Iterator[None]:
    """Hold one of the process's picture-decoding slots; PicturesBusy at once when none is free
    (a web thread never waits for another family's uploads)."""
    if not _decoding.acquire(blocking=False):
        raise PicturesBusy
    try:
        yield
    finally:
        _decoding.release()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info


def _srgb(image: Image.Image, *, has_alpha: bool) -> Image.Image:
    """`image` in plain RGB(A) sRGB pixels."""
    mode = "RGBA" if has_alpha else "RGB"
    profile = image.info.get("icc_profile")
    if profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            if image.mode not in ("RGB", "RGBA", "CMYK", "L"):
                image = image.convert(mode)
            return ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken or unusual profile: keep the colours as they are
    return image.convert(mode)


def picture_metadata(content: bytes) -> set[str]:
    """The kinds of metadata a stored picture carries (empty for one we cleaned). Telling them
    apart avoids encoding a clean JPEG again, which would only lose quality."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            found = set(image.info) - _NOT_METADATA
            if image.getexif():
                found.add("exif")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        return set()
    return found
