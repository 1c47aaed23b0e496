"""Migration usage 0003: each family's monthly count, limit and period move off the user row."""

from datetime import date

import pytest

from tests.migrations import migrate, migrate_to_latest

BEFORE = [("accounts", "0003_user_quota_period_start"), ("usage", "0002_seed_prices")]
AFTER = [("accounts", "0004_quota_moved_to_usage"), ("usage", "0003_storyquota")]


@pytest.mark.django_db(transaction=True)
def test_quota_counts_are_copied_to_story_quota_before_the_columns_go():
    old = migrate(BEFORE)
    user = old.get_model("accounts", "User").objects.create(
        email="family@example.com",
        monthly_stories_used=7,
        monthly_stories_limit=30,
        quota_period_start=date(2026, 11, 1),
    )
    try:
        new = migrate(AFTER)
        quota = new.get_model("usage", "StoryQuota").objects.get(user_id=user.pk)
        assert (quota.stories_used, quota.stories_limit, quota.period_start) == (
            7,
            30,
            date(2026, 11, 1),
        )
    finally:
        migrate_to_latest()
