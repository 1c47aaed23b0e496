"""stories.services.library_import: a large library imported in batches, each later batch naming
the heroes and custom events of an earlier one by clientId (docs/api-guide.md, "Bring your
library")."""

import pytest

from stories.models import Story
from tests.accounts.factories import UserFactory
from tests.helpers import client_for

URL = "/api/import"


@pytest.fixture
def api(db):
    return client_for(UserFactory(consent=False))


def test_a_later_batch_names_the_heroes_and_events_of_an_earlier_one_by_client_id(api):
    first = api.post(
        URL,
        {
            "heroes": [
                {"clientId": "h1", "name": "Mia", "age": 6, "traits": ["brave"], "appearance": "x"}
            ],
            "customEvents": [
                {
                    "clientId": "e1",
                    "title": "Lost tooth",
                    "promptSeed": "A tooth fairy visits",
                    "category": "milestones",
                }
            ],
        },
        format="json",
    )
    assert first.status_code == 201, first.json()
    hero_id = first.json()["heroes"][0]["id"]
    event_id = first.json()["customEvents"][0]["id"]

    later = api.post(
        URL,
        {
            "stories": [
                {
                    "clientId": "s1",
                    "heroClientId": "h1",
                    "customEventClientId": "e1",
                    "title": "The Moon Hill",
                    "content": "Mia climbed the hill.",
                }
            ]
        },
        format="json",
    )

    assert later.status_code == 201, later.json()
    story = Story.objects.get(pk=later.json()["stories"][0]["id"])
    assert story.hero_id == hero_id and story.custom_event_id == event_id
    assert story.hero_name == "Mia"
