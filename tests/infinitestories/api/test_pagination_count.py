"""A page that is not full ends the list: its total is the same without the COUNT query."""

import pytest

from heroes.models import Hero
from infinitestories.api.pagination import paginate
from tests.heroes.factories import HeroFactory


@pytest.fixture
def five_heroes(user):
    HeroFactory.create_batch(5, user=user)
    return Hero.objects.filter(user=user).order_by("id")


@pytest.mark.parametrize(
    ("limit", "offset", "queries"),
    [(10, 0, 1), (2, 4, 1), (5, 0, 2), (2, 0, 2), (2, 2, 2), (2, 5, 2), (2, 9, 2), (10, 7, 2)],
)
def test_total_is_the_count_whatever_the_page(
    five_heroes, limit, offset, queries, django_assert_num_queries
):
    with django_assert_num_queries(queries):
        rows, pagination = paginate(five_heroes, {"limit": limit, "offset": offset})

    assert pagination == {"total": 5, "limit": limit, "offset": offset}
    assert rows == list(five_heroes[offset : offset + limit])


def test_an_empty_list_is_total_zero_in_one_query(user, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows, pagination = paginate(Hero.objects.filter(user=user), {})

    assert rows == [] and pagination["total"] == 0
