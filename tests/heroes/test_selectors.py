"""The hero list's prepared query: the same heroes, in the same order, with the same story counts
and total as the ORM query it replaced, in one query whatever the page."""

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from heroes.models import Hero
from heroes.selectors import hero_page_rows, heroes_of_rows
from tests.helpers import loaded_values
from tests.heroes.factories import HeroFactory
from tests.stories.factories import StoryFactory


def orm_page(user, sort_by, sort_order, limit, offset):
    """The ORM query GET /api/heroes ran before (and its COUNT)."""
    field = {"createdAt": "created_at", "name": "name"}[sort_by]
    prefix = "-" if sort_order == "desc" else ""
    heroes = (
        Hero.objects.filter(user=user)
        .annotate(story_count=Count("stories"))
        .order_by(f"{prefix}{field}", f"{prefix}id")
    )
    return list(heroes[offset : offset + limit]), heroes.count()


def loaded(hero) -> dict:
    return {**loaded_values(hero), "story_count": hero.story_count}


@pytest.fixture
def family(user, other_user):
    now = timezone.now()
    # Two heroes share a name and a creation time: the id decides between them.
    for n, name in enumerate(["Zed", "alice", "Milo", "Milo", "Éa"]):
        hero = HeroFactory(user=user, name=name, traits=["brave"], abilities=[f"jump {n}"])
        Hero.objects.filter(pk=hero.pk).update(created_at=now - timedelta(days=n % 4))
        StoryFactory.create_batch(n, user=user, hero=hero)
    StoryFactory(user=user, hero=None)
    StoryFactory(user=other_user, hero=HeroFactory(user=other_user, name="Stranger"))
    return user


def hero_page(**kwargs):
    """The heroes of one page, as GET /api/heroes renders them when no answer is kept."""
    rows, total = hero_page_rows(**kwargs)
    return heroes_of_rows(rows), total


@pytest.mark.parametrize("sort_by", ["createdAt", "name"])
@pytest.mark.parametrize("sort_order", ["asc", "desc"])
@pytest.mark.parametrize(("limit", "offset"), [(50, 0), (2, 0), (2, 3), (2, 4), (3, 5), (1, 9)])
def test_a_page_is_the_orm_queries_page(
    family, sort_by, sort_order, limit, offset, django_assert_max_num_queries
):
    expected, expected_total = orm_page(family, sort_by, sort_order, limit, offset)

    # One query, and a COUNT only for a page past the end.
    with django_assert_max_num_queries(1 if expected else 2):
        heroes, total = hero_page(
            user=family, sort_by=sort_by, sort_order=sort_order, limit=limit, offset=offset
        )

    assert [loaded(hero) for hero in heroes] == [loaded(hero) for hero in expected]
    assert total == expected_total == 5


def test_a_family_without_heroes_has_an_empty_first_page(user, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert hero_page(user=user, limit=50, offset=0) == ([], 0)


def test_a_loaded_hero_saves_like_an_orm_one(family):
    [hero], _ = hero_page(user=family, limit=1, offset=0)

    hero.name = "Renamed"
    hero.save(update_fields=["name"])

    assert Hero.objects.get(pk=hero.pk).name == "Renamed"
