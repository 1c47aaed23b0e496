"""POST, GET /api/stories/{storyId}/shares and DELETE .../shares/{shareId}: private links."""

import hashlib
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from stories.models import StoryShare
from stories.services.shares import SHARE_MAX_LIVE_PER_STORY
from tests.stories.factories import StoryFactory


@pytest.fixture
def story(user):
    return StoryFactory(user=user)


def shares_url(story) -> str:
    return f"/api/stories/{story.pk}/shares"


def secret_of(url: str) -> str:
    return urlparse(url).path.removeprefix("/s/")


def test_create_answers_an_absolute_link_whose_secret_is_stored_only_as_a_hash(auth_client, story):
    response = auth_client.post(shares_url(story), {}, format="json")

    assert response.status_code == 201
    share = response.json()["share"]
    assert set(share) == {"id", "url", "expiresAt", "createdAt", "hideName", "viewCount"}
    assert share["url"].startswith("http://testserver/s/")
    secret = secret_of(share["url"])
    assert len(secret) >= 22  # at least 128 bits in URL-safe base64 (6 bits a character)
    row = StoryShare.objects.get(pk=share["id"])
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {getattr(row, f.attname) for f in StoryShare._meta.fields}
    assert share["hideName"] is False and share["viewCount"] == 0
    # Default life: 30 days.
    assert abs(row.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)


def test_two_links_have_different_secrets(auth_client, story):
    first = auth_client.post(shares_url(story), {}, format="json").json()["share"]["url"]
    second = auth_client.post(shares_url(story), {}, format="json").json()["share"]["url"]

    assert secret_of(first) != secret_of(second)


def test_expires_in_days_and_hide_name_are_kept(auth_client, story):
    response = auth_client.post(
        shares_url(story), {"expiresInDays": 7, "hideName": True}, format="json"
    )

    share = response.json()["share"]
    assert response.status_code == 201 and share["hideName"] is True
    row = StoryShare.objects.get(pk=share["id"])
    assert abs(row.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"expiresInDays": 0}, "expiresInDays"),
        ({"expiresInDays": 91}, "expiresInDays"),
        ({"expiresInDays": "7"}, "expiresInDays"),
        ({"expiresInDays": 2.5}, "expiresInDays"),
        ({"hideName": "yes"}, "hideName"),
    ],
)
def test_bad_input_is_400_in_the_envelope_and_makes_no_link(auth_client, story, body, field):
    response = auth_client.post(shares_url(story), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"error", "code", "details"}
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert field in response.json()["details"]
    assert not StoryShare.objects.exists()


def test_malformed_json_is_400_malformed_json(auth_client, story):
    response = auth_client.post(shares_url(story), "{oops", content_type="application/json")

    assert response.status_code == 400 and response.json()["code"] == "MALFORMED_JSON"
    assert not StoryShare.objects.exists()


def test_list_shows_live_links_without_their_url_newest_first(auth_client, story):
    older = auth_client.post(shares_url(story), {}, format="json").json()["share"]
    newer = auth_client.post(shares_url(story), {"hideName": True}, format="json").json()["share"]
    gone = auth_client.post(shares_url(story), {}, format="json").json()["share"]
    auth_client.delete(f"{shares_url(story)}/{gone['id']}")
    expired = auth_client.post(shares_url(story), {}, format="json").json()["share"]
    StoryShare.objects.filter(pk=expired["id"]).update(expires_at=timezone.now())

    response = auth_client.get(shares_url(story))

    assert response.status_code == 200
    listed = response.json()["shares"]
    assert [s["id"] for s in listed] == [newer["id"], older["id"]]
    assert all(s["url"] is None for s in listed)
    assert listed[0] == {**newer, "url": None}


def test_revoke_answers_204_and_the_link_is_no_longer_listed(auth_client, story):
    share = auth_client.post(shares_url(story), {}, format="json").json()["share"]

    response = auth_client.delete(f"{shares_url(story)}/{share['id']}")

    assert response.status_code == 204 and not response.content
    assert StoryShare.objects.get(pk=share["id"]).revoked_at is not None
    assert auth_client.get(shares_url(story)).json()["shares"] == []
    # Again: still 204, nothing else changes.
    assert auth_client.delete(f"{shares_url(story)}/{share['id']}").status_code == 204


def test_an_unknown_share_id_is_404(auth_client, story):
    response = auth_client.delete(f"{shares_url(story)}/share_nope")

    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"


def test_another_familys_story_is_404_for_every_method(other_client, auth_client, story):
    share = auth_client.post(shares_url(story), {}, format="json").json()["share"]

    made = other_client.post(shares_url(story), {}, format="json")
    listed = other_client.get(shares_url(story))
    revoked = other_client.delete(f"{shares_url(story)}/{share['id']}")

    for response in (made, listed, revoked):
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"
    assert StoryShare.objects.count() == 1
    assert StoryShare.objects.get().revoked_at is None


def test_a_share_of_another_story_cannot_be_revoked_through_mine(auth_client, user, story):
    mine = StoryFactory(user=user)
    share = auth_client.post(shares_url(story), {}, format="json").json()["share"]

    response = auth_client.delete(f"{shares_url(mine)}/{share['id']}")

    assert response.status_code == 404
    assert StoryShare.objects.get().revoked_at is None


def test_a_story_has_at_most_a_handful_of_live_links(auth_client, story):
    for _ in range(SHARE_MAX_LIVE_PER_STORY):
        assert auth_client.post(shares_url(story), {}, format="json").status_code == 201

    refused = auth_client.post(shares_url(story), {}, format="json")

    assert refused.status_code == 409
    assert refused.json()["code"] == "SHARE_LIMIT_REACHED"
    assert refused.json()["details"] == {"limit": SHARE_MAX_LIVE_PER_STORY}
    assert StoryShare.objects.count() == SHARE_MAX_LIVE_PER_STORY

    # Revoking one makes room for another.
    first = StoryShare.objects.order_by("created_at").first()
    auth_client.delete(f"{shares_url(story)}/{first.pk}")
    assert auth_client.post(shares_url(story), {}, format="json").status_code == 201


def test_making_links_is_rate_limited(auth_client, user, settings):
    settings.RATE_LIMITS = "share_create=2/h"
    stories = [StoryFactory(user=user) for _ in range(3)]

    answers = [auth_client.post(shares_url(s), {}, format="json") for s in stories]

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2].json()["code"] == "RATE_LIMITED"
    assert answers[2].json()["details"]["limit"] == "share_create"
    assert StoryShare.objects.count() == 2


def test_deleting_the_story_deletes_its_shares(auth_client, story):
    auth_client.post(shares_url(story), {}, format="json")

    auth_client.delete(f"/api/stories/{story.pk}")

    assert not StoryShare.objects.exists()


def test_without_a_token_it_is_401(client, story):
    response = client.post(shares_url(story), {}, format="json")

    assert response.status_code == 401
    assert not StoryShare.objects.exists()
