"""Retention: the log of moderation calls is kept RETENTION_MODERATION_DAYS; costs stay."""

from datetime import timedelta

from django.utils import timezone

from tests.accounts.factories import UserFactory
from usage import tasks
from usage.models import UsageMetric


def row(user, operation: str, days_ago: int) -> UsageMetric:
    return UsageMetric.objects.create(
        user=user,
        operation=operation,
        vendor="openai",
        created_at=timezone.now() - timedelta(days=days_ago),
    )


def test_moderation_records_past_the_limit_are_deleted_and_costs_are_kept(settings):
    settings.RETENTION_MODERATION_DAYS = 90
    user = UserFactory()
    old = row(user, "moderation", 91)
    recent = row(user, "moderation", 89)
    old_story = row(user, "story_generation", 400)

    deleted = tasks.moderation_records_purge_task()

    assert deleted == 1
    assert set(UsageMetric.objects.values_list("pk", flat=True)) == {recent.pk, old_story.pk}
    assert not UsageMetric.objects.filter(pk=old.pk).exists()
