import pytest

from tests.heroes.factories import HeroFactory
from tests.stories.factories import StoryFactory


@pytest.fixture
def hero(user):
    return HeroFactory(user=user, name="Alice")


@pytest.fixture
def story(user, hero):
    return StoryFactory(user=user, hero=hero)
