"""A row deleted by another request between the view's read and the service's write.

The view reads the object (get_owned), then the service saves with update_fields or refreshes it;
if a concurrent DELETE landed in between, Django raises DatabaseError / DoesNotExist: 500 today.
Found by schemathesis (PATCH /api/stories/{id} racing DELETE on two workers).
"""

import json

import pytest

from infinitestories.api.views import OwnedAPIView
from tests.helpers import assert_envelope
from tests.heroes.factories import HeroFactory
from tests.stories.factories import CustomStoryEventFactory, StoryFactory


@pytest.fixture
def vanishing_rows(monkeypatch):
    """get_owned finds the row, then another request deletes it before the write."""
    original = OwnedAPIView.get_owned

    def get_then_vanish(self, queryset, pk, message="Not found."):
        obj = original(self, queryset, pk, message)
        type(obj).objects.filter(pk=obj.pk).delete()
        return obj

    monkeypatch.setattr(OwnedAPIView, "get_owned", get_then_vanish)


def _patch(api, path, body):
    return api.patch(path, json.dumps(body), content_type="application/json")


def test_patch_story_deleted_meanwhile_is_404(auth_client, user, vanishing_rows):
    auth_client.raise_request_exception = False
    story = StoryFactory(user=user)

    response = _patch(auth_client, f"/api/stories/{story.pk}", {"isFavorite": True})

    assert_envelope(response, 404, "NOT_FOUND")


def test_patch_hero_deleted_meanwhile_is_404(auth_client, user, vanishing_rows):
    auth_client.raise_request_exception = False
    hero = HeroFactory(user=user)

    response = _patch(auth_client, f"/api/heroes/{hero.pk}", {"age": 8})

    assert_envelope(response, 404, "NOT_FOUND")


def test_patch_custom_event_deleted_meanwhile_is_404(auth_client, user, vanishing_rows):
    auth_client.raise_request_exception = False
    event = CustomStoryEventFactory(user=user)

    response = _patch(auth_client, f"/api/custom-events/{event.pk}", {"isFavorite": True})

    assert_envelope(response, 404, "NOT_FOUND")


def test_listen_to_story_deleted_meanwhile_is_404(auth_client, user, vanishing_rows):
    auth_client.raise_request_exception = False
    story = StoryFactory(user=user)

    response = auth_client.post(f"/api/stories/{story.pk}/listen")

    assert_envelope(response, 404, "NOT_FOUND")
