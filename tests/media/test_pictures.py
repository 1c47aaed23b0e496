"""Pictures keep nothing but their pixels: uploads (through the API, on local files and on S3)
and generated pictures are stored with no EXIF, GPS, ICC profile, comment or text."""

import io
import struct
import urllib.request

import pytest
from PIL import ExifTags, Image
from PIL.PngImagePlugin import PngInfo

from heroes.models import Hero
from media.models import FileUpload
from media.pictures import MAX_SIDE, PictureError, picture_clean
from media.selectors import media_exists, media_read
from tests.heroes.factories import HeroFactory
from tests.media.photos import SRGB, assert_bare, exif_with_gps, phone_jpeg


def test_the_phone_photo_used_in_these_tests_really_carries_gps():
    image = Image.open(io.BytesIO(phone_jpeg()))

    gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert gps[ExifTags.GPS.GPSLatitude] == (48.0, 51.0, 29.0)
    assert image.info["comment"] == b"Alice at home" and image.info["icc_profile"]


def upload_through_the_api(auth_client, client, content: bytes, mime_type: str) -> dict:
    upload = auth_client.post(
        "/api/files/upload",
        {
            "fileName": "me.jpg",
            "mimeType": mime_type,
            "fileSize": len(content),
            "category": "avatar",
        },
        format="json",
    ).json()
    if "/api/files/upload/" in upload["uploadUrl"]:  # local files: our own signed PUT
        assert client.put(upload["uploadUrl"], content, content_type=mime_type).status_code == 200
    else:
        put = urllib.request.Request(  # noqa: S310 - loopback moto server
            upload["uploadUrl"], data=content, method="PUT", headers={"Content-Type": mime_type}
        )
        with urllib.request.urlopen(put) as response:  # noqa: S310
            assert response.status == 200
    return upload


@pytest.mark.parametrize("storage", ["local files", "s3"])
def test_an_uploaded_jpeg_with_gps_comes_back_from_storage_with_no_exif_at_all(
    auth_client, client, user, storage, request, django_capture_on_commit_callbacks
):
    # given a phone photo with GPS, a comment and a colour profile, uploaded for a hero
    if storage == "s3":
        request.getfixturevalue("s3_storage")
    original = phone_jpeg()
    hero = HeroFactory(user=user)
    upload = upload_through_the_api(auth_client, client, original, "image/jpeg")

    # when the app makes it the hero's avatar
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(
            f"/api/heroes/{hero.pk}/avatar", {"storageKey": upload["storageKey"]}, format="json"
        )

    # then what storage holds is the same picture with no metadata at all
    assert response.status_code == 200, response.json()
    hero.refresh_from_db()
    stored = media_read(key=hero.avatar_key)
    image = assert_bare(stored)
    assert image.format == "JPEG" and image.size == (40, 20)
    assert image.convert("RGB").getpixel((20, 10)) == pytest.approx((200, 30, 30), abs=3)
    # and the original, GPS and all, is gone from storage
    assert not media_exists(key=upload["storageKey"])


def test_a_photo_taken_sideways_is_stored_upright_without_its_orientation_tag(user):
    # EXIF orientation 6: the camera was turned, the viewer must rotate 90 degrees clockwise
    picture = picture_clean(phone_jpeg(size=(40, 20), orientation=6))

    image = assert_bare(picture.content)
    assert image.size == (20, 40) == (picture.width, picture.height)


def test_png_text_chunks_and_webp_xmp_do_not_survive():
    image = Image.new("RGBA", (16, 16), (10, 200, 10, 128))
    info = PngInfo()
    info.add_text("Author", "Alice")
    png, webp = io.BytesIO(), io.BytesIO()
    image.save(png, format="PNG", pnginfo=info, icc_profile=SRGB, exif=exif_with_gps())
    image.save(webp, format="WEBP", icc_profile=SRGB, exif=exif_with_gps(), xmp=b"<x>Alice</x>")

    for content, mime_type in [(png.getvalue(), "image/png"), (webp.getvalue(), "image/webp")]:
        picture = picture_clean(content)

        cleaned = assert_bare(picture.content)
        assert picture.mime_type == mime_type
        assert cleaned.mode == "RGBA"  # transparency is pixels, and is kept


def linear_rgb_profile() -> bytes:
    """A minimal ICC v2 display profile: sRGB primaries with a linear tone curve (gamma 1)."""

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + b"\0" * 4 + s15(x) + s15(y) + s15(z)

    text = b"linear sRGB\0"
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", len(text)) + text + b"\0" * 78
    curve = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, 0x0100) + b"\0\0"
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table = data = b""
    for signature, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = (
        struct.pack(">I", offset + len(data))
        + b"\0" * 4
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 28
        + s15(0.9642)
        + s15(1.0)
        + s15(0.8249)
        + b"\0" * 48
    )
    return header + struct.pack(">I", len(tags)) + table + data


def srgb_encode(linear: int) -> int:
    value = linear / 255
    return round(255 * (1.055 * value ** (1 / 2.4) - 0.055))


def test_colours_tagged_with_another_profile_are_converted_to_srgb_not_lost():
    # given a picture whose pixel values mean linear light (its profile says so)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (180, 120, 60)).save(
        buffer, format="PNG", icc_profile=linear_rgb_profile()
    )

    # when it is cleaned
    picture = picture_clean(buffer.getvalue())

    # then the profile is gone and the pixels were converted, so the colour looks the same
    converted = assert_bare(picture.content).convert("RGB").getpixel((4, 4))
    assert converted == pytest.approx(tuple(srgb_encode(v) for v in (180, 120, 60)), abs=2)


def test_a_broken_colour_profile_is_dropped_with_the_colours_kept():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (180, 120, 60)).save(buffer, format="PNG", icc_profile=b"junk" * 40)

    picture = picture_clean(buffer.getvalue())

    assert assert_bare(picture.content).convert("RGB").getpixel((4, 4)) == (180, 120, 60)


def test_a_huge_picture_is_made_smaller_and_a_pixel_bomb_is_refused_before_decoding():
    buffer = io.BytesIO()
    Image.new("RGB", (3000, 1000), "blue").save(buffer, format="PNG")

    picture = picture_clean(buffer.getvalue())

    assert (picture.width, picture.height) == (MAX_SIDE, 683)

    bomb = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(bomb, format="PNG")  # 50 megapixels, a few kB
    with pytest.raises(PictureError, match="too many pixels"):
        picture_clean(bomb.getvalue())


def test_a_pixel_bomb_upload_is_refused_and_nothing_is_kept(auth_client, client, user):
    bomb = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(bomb, format="PNG")
    hero = HeroFactory(user=user)
    upload = upload_through_the_api(auth_client, client, bomb.getvalue(), "image/png")

    response = auth_client.post(
        f"/api/heroes/{hero.pk}/avatar", {"storageKey": upload["storageKey"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_IMAGE"
    assert Hero.objects.get(pk=hero.pk).avatar_key == ""
    assert FileUpload.objects.get(storage_key=upload["storageKey"]).entity_id == ""
