"""Pictures as we keep them: decoded and encoded again with Pillow, so that nothing but pixels
survives. A phone photo carries EXIF (the GPS position where it was taken, the camera, the time),
an ICC profile, comments, XMP; a generated picture may carry the vendor's metadata. None of it is
stored, sent to a vendor as a reference or served.
"""

import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# What we keep pictures as: Pillow format -> MIME type.
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
# Refused before decoding: a 10 MB file may declare a 50,000 x 50,000 canvas (gigabytes of RAM).
MAX_PIXELS = 40_000_000
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

    1. Open it (PNG, JPEG or WebP) and refuse a canvas over MAX_PIXELS before decoding it.
    2. Turn it upright as the camera's EXIF orientation says (the tag itself is dropped).
    3. Convert its colours to sRGB when it carries an ICC profile, so that dropping the profile
       does not shift them.
    4. Fit it within MAX_SIDE, copy the pixels alone into a new image and encode that.
    """
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format not in FORMATS:
                raise PictureError(
                    _("Pictures are PNG, JPEG or WebP, not %(format)s.") % {"format": image.format}
                )
            if image.width * image.height > MAX_PIXELS:
                raise PictureError(_("The picture has too many pixels."))
            image_format = image.format
            image.seek(0)  # the first frame of an animation
            upright = ImageOps.exif_transpose(image)
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
