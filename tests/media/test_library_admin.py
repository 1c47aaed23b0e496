"""Every library model's admin changelist and change page answer 200 for a superuser."""

import html
import re

import pytest
from django.contrib.admin.utils import quote
from django.test import Client
from django.urls import reverse

from media.models import FileUpload
from tests.accounts.factories import UserFactory
from tests.heroes.factories import HeroFactory, HeroVisualProfileFactory
from tests.stories.factories import (
    CustomStoryEventFactory,
    StoryFactory,
    StoryIllustrationFactory,
)


@pytest.fixture
def admin_client_logged_in():
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return client


def objects() -> dict:
    owner = UserFactory()
    hero = HeroFactory(user=owner, avatar_key="avatars/" + "a" * 32 + ".png")
    story = StoryFactory(user=owner, hero=hero)
    return {
        "heroes_hero": hero,
        "heroes_herovisualprofile": HeroVisualProfileFactory(hero=hero),
        "stories_story": story,
        "stories_storyillustration": StoryIllustrationFactory(story=story),
        "stories_customstoryevent": CustomStoryEventFactory(user=owner),
        "media_fileupload": FileUpload.objects.create(
            user=owner,
            file_name="a.png",
            file_size=1,
            mime_type="image/png",
            storage_key="avatars/" + "b" * 32 + ".png",
            category="avatar",
        ),
    }


def test_changelists_and_change_pages_answer_200(admin_client_logged_in):
    for name, obj in objects().items():
        changelist = admin_client_logged_in.get(reverse(f"admin:{name}_changelist"))
        change = admin_client_logged_in.get(reverse(f"admin:{name}_change", args=[quote(obj.pk)]))
        search = admin_client_logged_in.get(reverse(f"admin:{name}_changelist") + "?q=a")

        assert changelist.status_code == 200, name
        assert change.status_code == 200, name
        assert str(obj.pk) in change.content.decode(), name
        assert search.status_code == 200, name


def test_hero_page_shows_its_stories_and_story_page_its_illustrations(admin_client_logged_in):
    made = objects()

    hero_page = admin_client_logged_in.get(
        reverse("admin:heroes_hero_change", args=[quote(made["heroes_hero"].pk)])
    )
    story_page = admin_client_logged_in.get(
        reverse("admin:stories_story_change", args=[quote(made["stories_story"].pk)])
    )

    stories_link = re.search(r'href="([^"]+)">1 stories</a>', hero_page.content.decode())
    stories_page = admin_client_logged_in.get(html.unescape(stories_link.group(1)))
    assert made["stories_story"].title in stories_page.content.decode()
    assert "storyillustration" in story_page.content.decode().lower()


def test_server_owned_story_fields_are_read_only(admin_client_logged_in):
    from stories.admin import StoryAdmin

    for field in ["listen_count", "audio_generated", "audio_key", "audio_duration"]:
        assert field in StoryAdmin.readonly_fields
