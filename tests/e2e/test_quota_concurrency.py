"""The monthly quota holds under concurrent requests (needs PostgreSQL: real row locking)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from accounts.models import User
from stories.models import Story
from tests.conftest import client_for
from tests.heroes.factories import HeroFactory

pytestmark = pytest.mark.e2e


def test_ten_parallel_posts_with_one_story_left_create_one_story(transactional_db, user):
    assert connection.vendor == "postgresql", "run with DATABASE_URL=postgres://..."
    User.objects.filter(pk=user.pk).update(monthly_stories_used=9, monthly_stories_limit=10)
    hero = HeroFactory(user=user)
    clients = [client_for(user) for _ in range(10)]

    def post(api):
        try:
            return api.post(
                "/api/stories",
                {"heroId": hero.pk, "eventType": "bedtime", "generateAudio": False},
                format="json",
            ).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = sorted(pool.map(post, clients))

    assert statuses == [201] + [429] * 9
    assert Story.objects.count() == 1
    assert User.objects.get(pk=user.pk).monthly_stories_used == 10
