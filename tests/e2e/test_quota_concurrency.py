"""The monthly quota holds under concurrent requests (needs PostgreSQL: real row locking)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from stories.models import Story
from tests.helpers import client_for
from tests.heroes.factories import HeroFactory
from tests.usage.factories import set_quota, stories_used

pytestmark = pytest.mark.e2e


def test_ten_parallel_posts_with_one_story_left_create_one_story(transactional_db, user):
    assert connection.vendor == "postgresql", "run with DATABASE_URL=postgres://..."
    set_quota(user, used=9, limit=10)
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
    assert stories_used(user) == 10
