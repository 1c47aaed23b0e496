"""The admin lists a story's share links with their views, and staff can revoke them."""

import pytest

from stories.models import StoryShare
from stories.services import shares
from tests.admin_urls import admin_url
from tests.stories.factories import StoryFactory


@pytest.fixture
def story():
    return StoryFactory()


def test_the_storys_page_lists_its_links_with_views_and_state(staff_browser, story):
    live = shares.share_create(story=story).share
    gone = shares.share_create(story=story).share
    shares.share_revoke(share=gone)
    StoryShare.objects.filter(pk=live.pk).update(view_count=7)

    page = staff_browser.get(admin_url(story)).content.decode()

    assert live.pk in page and gone.pk in page
    assert ">7<" in page
    assert ">live<" in page and ">revoked<" in page
    assert live.secret_hash not in page


def test_staff_revoke_a_link_and_it_stops_working(staff_browser, story, client):
    made = shares.share_create(story=story)
    assert client.get(f"/s/{made.secret}").status_code == 200

    response = staff_browser.post(
        "/admin/stories/storyshare/",
        {"action": "revoke", "_selected_action": [made.share.pk]},
    )

    assert response.status_code == 302
    assert StoryShare.objects.get(pk=made.share.pk).revoked_at is not None
    assert client.get(f"/s/{made.secret}").status_code == 404
