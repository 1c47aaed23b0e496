"""The shared story's public page (/s/<secret>) and its media, on the S3 server: what a
grandparent sees, what it never shows, its headers, and the end of a link."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import strip_tags

from accounts.services import user_account_delete
from media.selectors import media_read
from stories.models import StoryShare
from stories.services import shares
from stories.services.stories import story_delete
from stories.share_page import NEUTRAL_NAMES, name_hide
from tests.stories.factories import PARAGRAPHS, SECONDS_PER_WORD, TITLE, StoryFactory, share_link
from tests.stories.factories import story_narrated as narrated

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@pytest.fixture
def browser() -> Client:
    """Someone without an account (no session, no token)."""
    return Client()


def html(response) -> str:
    return response.content.decode()


def text_of(fragment: str) -> str:
    return " ".join(unescape(strip_tags(fragment)).split())


def story_text(page: str) -> str:
    return page.split('<div class="text">', 1)[1].split("</div>", 1)[0]


def paragraphs(page: str) -> list[str]:
    return [text_of(p) for p in re.findall(r"<p>(.*?)</p>", story_text(page), re.S)]


def body_order(page: str) -> list[str]:
    """The page's text part as a sequence: "picture N" or the paragraph's first words."""
    text = story_text(page)
    order = []
    for match in re.finditer(
        r'<figure class="picture"><img src="[^"]*/pictures/(\d+)"|<p>(.*?)</p>', text, re.S
    ):
        order.append(
            f"picture {match.group(1)}" if match.group(1) else text_of(match.group(2))[:12]
        )
    return order


def assert_private_headers(response) -> None:
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Content-Security-Policy"] == CSP


def test_the_page_shows_title_paragraphs_pictures_in_place_and_the_narration(
    browser, user, s3_storage
):
    story = narrated(user=user)
    _, path = share_link(story=story)

    response = browser.get(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = html(response)
    assert '<html lang="en">' in page
    assert f"<title>{TITLE.replace(chr(39), '&#x27;')}</title>" in page
    assert text_of(re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)) == TITLE
    assert paragraphs(page) == PARAGRAPHS
    # Each picture before the paragraph whose words the narration speaks at its moment.
    assert body_order(page) == [
        "picture 1",
        "Mia found a ",
        "picture 2",
        "An owl calle",
        "They walked ",
    ]
    assert '<audio id="narration" controls preload="metadata" src="' + path + '/audio">' in page
    # Every spoken word carries its moment: the title's first word starts the narration.
    first = re.search(
        r'<span class="w" data-start="([\d.]+)" data-end="([\d.]+)">(\w+)</span>', page
    )
    assert first.groups() == ("0.000", f"{SECONDS_PER_WORD:.3f}", "Mia")
    assert page.count('class="w" data-start=') == len(
        re.findall(r"\w+", TITLE.replace("'", ""))
    ) + sum(len(p.split()) for p in PARAGRAPHS)
    # Scene descriptions are the pictures' alternative text (written in English).
    assert 'alt="Mia holds a glowing lantern under an old oak." lang="en"' in page


def test_the_page_never_shows_the_avatar_the_email_other_stories_or_ids(browser, user, s3_storage):
    story = narrated(user=user)
    other = StoryFactory(user=user, title="A secret second story")
    share_id, path = share_link(story=story)

    page = html(browser.get(path))

    for private in [
        story.hero.avatar_key,
        "avatar",
        user.email,
        user.pk,
        story.pk,
        story.hero.pk,
        share_id,
        other.title,
        other.pk,
        story.audio_key,
        *[row.pk for row in story.illustrations.all()],
        *[row.image_key for row in story.illustrations.all()],
    ]:
        assert str(private) not in page
    # Nothing is loaded from anywhere else: every link and source is this site's own path.
    for url in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert url.startswith("/"), url


def test_headers_and_meta_keep_the_page_private(browser, user, s3_storage):
    _, path = share_link(story=narrated(user=user))

    response = browser.get(path)

    assert_private_headers(response)
    assert response["Cache-Control"] == "no-store"
    assert response["X-Frame-Options"] == "DENY"
    page = html(response)
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert '<meta name="referrer" content="no-referrer">' in page
    # No inline script or style: the strict policy would block them.
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/stories/share.js" defer>']
    assert "<style" not in page and " style=" not in page
    assert not re.search(r"<[^>]+\son\w+=", page)  # no inline event handlers


def test_the_narration_and_pictures_are_served_while_the_share_lives(browser, user, s3_storage):
    story = narrated(user=user)
    _, path = share_link(story=story)

    audio = browser.get(f"{path}/audio")
    picture = browser.get(f"{path}/pictures/2")

    assert audio.status_code == 200 and audio["Content-Type"] == "audio/mpeg"
    assert b"".join(audio.streaming_content) == media_read(key=story.audio_key)
    assert audio["Accept-Ranges"] == "bytes"
    second = story.illustrations.get(display_order=1)
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    assert b"".join(picture.streaming_content) == media_read(key=second.image_key)
    for response in (audio, picture):
        assert_private_headers(response)
        assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert browser.get(f"{path}/pictures/3").status_code == 404


def test_the_narration_answers_byte_ranges_for_seeking(browser, user, s3_storage):
    story = narrated(user=user)
    _, path = share_link(story=story)
    whole = media_read(key=story.audio_key)

    middle = browser.get(f"{path}/audio", HTTP_RANGE="bytes=100-199")
    tail = browser.get(f"{path}/audio", HTTP_RANGE="bytes=-50")
    beyond = browser.get(f"{path}/audio", HTTP_RANGE=f"bytes={len(whole)}-")

    assert middle.status_code == 206
    assert middle["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert b"".join(middle.streaming_content) == whole[100:200]
    assert tail.status_code == 206 and b"".join(tail.streaming_content) == whole[-50:]
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(whole)}"


def test_a_revoked_link_is_a_friendly_404_and_its_media_stop_working(browser, user, s3_storage):
    story = narrated(user=user)
    share_id, path = share_link(story=story)
    assert browser.get(path).status_code == 200
    assert browser.get(f"{path}/audio").status_code == 200

    shares.share_revoke(share=StoryShare.objects.get(pk=share_id))

    page = browser.get(path)
    assert page.status_code == 404
    assert "This story link does not work" in html(page)
    assert TITLE.split()[0] not in html(page)
    assert_private_headers(page)
    for media in (f"{path}/audio", f"{path}/pictures/1"):
        assert browser.get(media).status_code == 404
    assert StoryShare.objects.get(pk=share_id).view_count == 1  # the refused opening not counted


def test_an_unknown_link_is_the_same_404(browser, db):
    response = browser.get("/s/not-a-real-secret-at-all-000000000")

    assert response.status_code == 404
    assert "This story link does not work" in html(response)
    assert_private_headers(response)


def test_an_expired_link_is_a_friendly_410_in_the_storys_language(browser, user, s3_storage):
    story = narrated(user=user)
    story.language = "fr"
    story.save()
    share_id, path = share_link(story=story)
    StoryShare.objects.filter(pk=share_id).update(expires_at=timezone.now() - timedelta(seconds=1))

    page = browser.get(path)

    assert page.status_code == 410
    assert '<html lang="fr">' in html(page)
    assert "Ce lien vers l'histoire a expiré" in text_of(html(page))
    assert browser.get(f"{path}/audio").status_code == 410
    assert browser.get(f"{path}/pictures/1").status_code == 410


def test_deleting_the_story_or_the_account_ends_its_links(browser, user, s3_storage):
    story = narrated(user=user)
    _, story_path = share_link(story=story)
    other = narrated(user=user)
    _, account_path = share_link(story=other)

    story_delete(story=story)
    assert browser.get(story_path).status_code == 404

    user_account_delete(user=user)
    assert browser.get(account_path).status_code == 404
    assert not StoryShare.objects.exists()


def test_views_are_counted_without_keeping_the_address(browser, user, s3_storage):
    share_id, path = share_link(story=narrated(user=user))

    browser.get(path, REMOTE_ADDR="203.0.113.9")
    browser.get(path, REMOTE_ADDR="203.0.113.9")
    browser.get(f"{path}/audio")  # media are not views

    row = StoryShare.objects.get(pk=share_id)
    assert row.view_count == 2 and row.last_viewed_at is not None
    stored = {str(getattr(row, f.attname)) for f in StoryShare._meta.fields}
    assert not any("203.0.113" in value for value in stored)


def test_hide_name_replaces_the_heros_name_and_leaves_the_narration_out(browser, user, s3_storage):
    story = narrated(user=user)
    _, path = share_link(story=story, hide_name=True)

    page = html(browser.get(path))

    assert "Mia" not in page
    assert text_of(re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)) == (
        "Little Star and the Owl's Lantern"
    )
    assert "Little Star found a lantern" in text_of(page)
    assert "Little Star's feet" in text_of(page)
    assert 'alt="Little Star holds a glowing lantern' in page
    # The narration says the name: no audio on the page, and its address answers 404.
    assert "<audio" not in page and "data-start" not in page
    assert browser.get(f"{path}/audio").status_code == 404
    # The pictures stay, at their places.
    assert body_order(page)[:2] == ["picture 1", "Little Star "]


@pytest.mark.parametrize(
    "language, text, expected",
    [
        (
            "fr",
            "Le chat d'Inès dort. Inès rit.",
            "Le chat de Petite Étoile dort. Petite Étoile rit.",
        ),
        ("de", "Lenas Drache schläft.", "Sternchens Drache schläft."),
        ("es", "Lucía sonríe.", "Estrellita sonríe."),
        ("it", "Il drago di Giulia.", "Il drago di Stellina."),
    ],
)
def test_hidden_names_read_naturally_in_each_language(language, text, expected):
    name = {"fr": "Inès", "de": "Lena", "es": "Lucía", "it": "Giulia"}[language]

    assert name_hide(text, name=name, language=language) == expected
    assert NEUTRAL_NAMES[language] in expected


def test_the_page_speaks_the_storys_language(browser, user, s3_storage):
    story = narrated(user=user)
    story.language = "de"
    story.save()
    _, path = share_link(story=story)

    response = browser.get(path, HTTP_ACCEPT_LANGUAGE="en")

    assert response["Content-Language"] == "de"
    page = html(response)
    assert '<html lang="de">' in page
    assert "A story shared with you" not in page
    assert "Listen to the story" not in page


def test_the_page_is_rate_limited_per_address(browser, user, s3_storage, settings):
    settings.RATE_LIMITS = "share_view=2/m"
    _, path = share_link(story=narrated(user=user))

    answers = [browser.get(path).status_code for _ in range(3)]

    assert answers == [200, 200, 429]


def test_a_story_without_narration_or_pictures_reads_as_plain_text(browser, user):
    story = StoryFactory(user=user, title="Quiet Night", content="One line.\nAnother line.")
    _, path = share_link(story=story)

    response = browser.get(path)

    page = html(response)
    assert response.status_code == 200
    assert paragraphs(page) == ["One line.", "Another line."]
    assert "<audio" not in page and "data-start" not in page and "<img" not in page
    assert browser.get(f"{path}/audio").status_code == 404


def test_a_title_edited_after_the_narration_keeps_the_texts_read_along(browser, user, s3_storage):
    story = narrated(user=user)
    story.title = "A Brand New Name"  # a new title alone keeps the narration as it was spoken
    story.save()
    _, path = share_link(story=story)

    page = html(browser.get(path))

    title = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)
    assert "data-start" not in title  # these words were never spoken
    first = re.search(r'<p><span class="w" data-start="([\d.]+)"[^>]*>(\w+)</span>', page)
    spoken_title = len(TITLE.split())  # "Mia and the Owl's Lantern": 5 words at 0.5 s each
    assert first.groups() == (f"{spoken_title * SECONDS_PER_WORD:.3f}", "Mia")
