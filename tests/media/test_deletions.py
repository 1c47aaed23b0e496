"""Files that should go do go: a lost delete message is sent again, and an avatar drawn for a hero
deleted meanwhile is removed."""

from datetime import timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from heroes.models import Hero
from heroes.services import hero_delete
from infinitestories.ai.local_provider import LocalProvider
from media import services
from media.models import PendingDeletion
from tests.helpers import saved_file
from tests.heroes.factories import HeroFactory


def test_a_lost_delete_message_is_sent_again_by_the_sweeper(user, settings):
    # given a hero deleted, whose file-deletion message the broker lost (never delivered)
    key = saved_file("avatar", content=b"\x89PNG")
    hero_delete(hero=HeroFactory(user=user, avatar_key=key))
    assert default_storage.exists(key)
    assert list(PendingDeletion.objects.values_list("key", flat=True)) == [key]

    # when the sweeper runs before the message is overdue, then after
    assert services.media_deletions_resend() == 0
    PendingDeletion.objects.update(
        sent_at=timezone.now() - timedelta(seconds=settings.MEDIA_DELETE_RESEND_AFTER + 1)
    )
    resent = services.media_deletions_resend()

    # then the file is gone and nothing is left pending
    assert resent == 1
    assert not default_storage.exists(key)
    assert not PendingDeletion.objects.exists()


def test_a_delivered_delete_leaves_nothing_pending(user, django_capture_on_commit_callbacks):
    key = saved_file("avatar", content=b"\x89PNG")

    with django_capture_on_commit_callbacks(execute=True):
        hero_delete(hero=HeroFactory(user=user, avatar_key=key))

    assert not default_storage.exists(key)
    assert not PendingDeletion.objects.exists()


def test_an_avatar_drawn_for_a_hero_deleted_meanwhile_is_removed(
    user, auth_client, monkeypatch, django_capture_on_commit_callbacks, settings
):
    # given a hero the family deletes while its avatar is being drawn
    hero = HeroFactory(user=user)
    draw = LocalProvider.draw

    def draw_while_the_hero_is_deleted(self, **kwargs):
        Hero.objects.filter(pk=hero.pk).delete()
        return draw(self, **kwargs)

    monkeypatch.setattr(LocalProvider, "draw", draw_while_the_hero_is_deleted)

    # when the drawing is done
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(f"/api/heroes/{hero.pk}/avatar", {}, format="json")

    # then the answer is 404 and no avatar file is left behind
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    avatars = settings.MEDIA_ROOT / "avatars"
    assert not avatars.exists() or list(avatars.iterdir()) == []
    assert not PendingDeletion.objects.exists()
