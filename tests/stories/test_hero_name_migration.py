"""Migration stories 0004: stories whose hero still exists learn the name they were written with."""

import pytest

from tests.migrations import latest_but, migrate, migrate_to_latest


@pytest.mark.django_db(transaction=True)
def test_existing_stories_get_their_heros_name():
    old = migrate(latest_but("stories", "0003_narration_timings"))
    user = old.get_model("accounts", "User").objects.create(email="family@example.com")
    hero = old.get_model("heroes", "Hero").objects.create(
        user=user, name="Ottilie", age=6, traits=["brave"], appearance="curly hair"
    )
    Story = old.get_model("stories", "Story")
    with_hero = Story.objects.create(user=user, hero=hero, title="A", content="Ottilie slept.")
    orphan = Story.objects.create(user=user, hero=None, title="B", content="A star fell.")
    try:
        new = migrate(latest_but("stories", "0004_story_hero_name"))
        names = dict(new.get_model("stories", "Story").objects.values_list("pk", "hero_name"))
        assert names == {with_hero.pk: "Ottilie", orphan.pk: ""}
    finally:
        migrate_to_latest()
