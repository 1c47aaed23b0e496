"""manage.py strip_picture_metadata: pictures stored before cleaning existed are cleaned once."""

import io
from io import StringIO

from django.core.management import call_command
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from media.selectors import media_exists, media_read
from media.services import media_save, picture_save
from tests.heroes.factories import HeroFactory
from tests.media.photos import assert_bare, phone_jpeg
from tests.stories.factories import StoryIllustrationFactory


def signed_png() -> bytes:
    info = PngInfo()
    info.add_text("Software", "an image model")
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def test_stored_pictures_with_metadata_are_saved_again_without_it(
    django_capture_on_commit_callbacks,
):
    # given an avatar uploaded from a phone (GPS) and a drawn picture signed by its vendor,
    # stored as they came, and an avatar stored clean
    gps_key = media_save(
        category="avatar", content=phone_jpeg(), extension="jpg", content_type="image/jpeg"
    )
    photo_hero = HeroFactory(avatar_key=gps_key)
    signed_key = media_save(
        category="illustration", content=signed_png(), extension="png", content_type="image/png"
    )
    picture = StoryIllustrationFactory(image_key=signed_key)
    clean_key = picture_save(category="avatar", content=phone_jpeg())
    clean_hero = HeroFactory(avatar_key=clean_key)
    clean_bytes = media_read(key=clean_key)

    # when the operator runs the command
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("strip_picture_metadata", stdout=out)

    # then both are stored clean under new keys, the old files are gone, the clean one untouched
    photo_hero.refresh_from_db()
    picture.refresh_from_db()
    clean_hero.refresh_from_db()
    assert "Cleaned 2 stored picture(s)." in out.getvalue()
    assert photo_hero.avatar_key != gps_key and not media_exists(key=gps_key)
    assert assert_bare(media_read(key=photo_hero.avatar_key)).size == (40, 20)
    assert picture.image_key != signed_key and not media_exists(key=signed_key)
    assert_bare(media_read(key=picture.image_key))
    assert clean_hero.avatar_key == clean_key and media_read(key=clean_key) == clean_bytes

    # and running it again changes nothing
    again = StringIO()
    call_command("strip_picture_metadata", stdout=again)
    assert "Cleaned 0 stored picture(s)." in again.getvalue()
