"""stories.share_page with hideName: every child of the family the story names is hidden (a
brother or sister too, as the AI prompts hide them), in the title, the text and the pictures'
alt text."""

from html import unescape

import pytest
from django.test import Client
from django.utils.html import strip_tags

from stories.share_page import name_hide
from tests.heroes.factories import HeroFactory
from tests.stories.factories import share_link
from tests.stories.factories import story_narrated as narrated


def text_of(page: str) -> str:
    return " ".join(unescape(strip_tags(page)).split())


def test_hide_name_hides_a_sibling_the_story_names(user, s3_storage):
    HeroFactory(user=user, name="Leonardo")
    story = narrated(user=user)
    story.title = f"Leonardo and {story.title}"
    story.content = "Mia and her brother Leonardo built a raft.\n\n" + story.content
    story.save()
    story.illustrations.update(scene_description="Mia and Leonardo on a raft")
    _, path = share_link(story=story, hide_name=True)

    page = Client().get(path).content.decode()

    assert "Leonardo" not in page and "Mia" not in page
    assert "Little Star and her brother Little Moon built a raft." in text_of(page)
    assert 'alt="Little Star and Little Moon on a raft"' in page


def test_without_hide_name_the_sibling_stays(user, s3_storage):
    HeroFactory(user=user, name="Leonardo")
    story = narrated(user=user)
    story.content = "Mia and her brother Leonardo built a raft.\n\n" + story.content
    story.save()
    _, path = share_link(story=story)

    assert "Leonardo" in Client().get(path).content.decode()


@pytest.mark.parametrize(
    "language, expected",
    [
        ("fr", "Le chat de Petite Étoile et le chien de Petite Lune."),
        ("en", "Le chat d'Little Star et le chien d'Little Moon."),
    ],
)
def test_each_name_gets_its_own_nickname(language, expected):
    text = "Le chat d'Inès et le chien d'Aurélien."

    assert name_hide(text, name="Inès", language=language, others=["Aurélien", "Inès"]) == expected
