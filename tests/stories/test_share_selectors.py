"""stories.selectors.share_by_secret: which links still open a story."""

from django.test import Client

from tests.stories.factories import share_link
from tests.stories.factories import story_narrated as narrated


def test_a_closed_account_s_links_and_media_stop_at_once(user, s3_storage):
    """Apple's account-delete event closes the account and deletes it in the background: its
    shared pages end at the closing, not when the deletion has run."""
    story = narrated(user=user)
    _, path = share_link(story=story)
    browser = Client()
    assert browser.get(path).status_code == 200

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert browser.get(path).status_code == 404
    assert browser.get(f"{path}/audio").status_code == 404
    assert browser.get(f"{path}/pictures/1").status_code == 404
