"""Pictures as phones and vendors make them (with metadata), and the check that none is left."""

import io

from PIL import ExifTags, Image, ImageCms

from media.models import IMAGE_TYPES, FileUpload
from media.services import media_save

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def exif_with_gps(*, orientation: int = 1) -> Image.Exif:
    """What a phone writes: its make, the orientation, and where the photo was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 29.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 17.0, 40.0)
    return exif


def phone_jpeg(*, size=(40, 20), orientation: int = 1) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(
        buffer,
        format="JPEG",
        exif=exif_with_gps(orientation=orientation),
        comment=b"Alice at home",
        icc_profile=SRGB,
    )
    return buffer.getvalue()


def assert_bare(content: bytes) -> Image.Image:
    """The picture carries no metadata of any kind, in its decoded info or in its bytes."""
    image = Image.open(io.BytesIO(content))
    assert not image.getexif()
    assert not {"exif", "icc_profile", "comment", "xmp", "Author", "Software"} & set(image.info)
    assert b"Exif\x00\x00" not in content
    assert b"Alice" not in content and b"PhoneMaker" not in content
    return image


def uploaded(
    user, content: bytes, *, mime_type: str = "image/png", category: str = "avatar"
) -> FileUpload:
    """An upload the user reserved, with `content` stored under its key (as if PUT)."""
    key = media_save(
        category=category,
        content=content,
        extension=IMAGE_TYPES.get(mime_type, "png"),
        content_type=mime_type,
    )
    return FileUpload.objects.create(
        user=user,
        file_name="me.png",
        file_size=len(content),
        mime_type=mime_type,
        storage_key=key,
        category=category,
    )
