"""Output serializers whose fields are built once per class answer as if built each time: each
answer's method fields read its own serializer and context, and subclasses keep their own."""

from rest_framework import serializers

from heroes.serializers import HeroListOutputSerializer, HeroOutputSerializer
from infinitestories.api.fields import FieldsOnceMixin
from stories.serializers import StoryOutputSerializer
from tests.heroes.factories import HeroFactory
from tests.stories.factories import StoryFactory


def test_each_answer_uses_its_own_context(user):
    hero = HeroFactory(user=user)
    story = StoryFactory(user=user, hero=hero)

    plain = HeroOutputSerializer(hero).data
    with_stories = HeroOutputSerializer(hero, context={"stories": [story]}).data
    plain_again = HeroOutputSerializer(hero).data

    assert "stories" not in plain and "stories" not in plain_again
    assert [row["id"] for row in with_stories["stories"]] == [story.pk]


def test_a_subclass_keeps_its_own_fields(user):
    hero = HeroFactory(user=user)
    hero.story_count = 3

    detail = HeroOutputSerializer(hero).data
    row = HeroListOutputSerializer(hero).data

    assert "visual_profile" in detail and "story_count" not in detail
    assert row["story_count"] == 3 and "visual_profile" not in row


def test_fields_are_fresh_copies_bound_to_their_serializer(user):
    story = StoryFactory(user=user)
    first, second = StoryOutputSerializer(story), StoryOutputSerializer(story)

    assert first.fields["audio_url"] is not second.fields["audio_url"]
    assert first.fields["audio_url"].parent is first
    assert first.data == second.data


class _Inner(serializers.Serializer):
    who = serializers.SerializerMethodField()

    def get_who(self, _row) -> str | None:
        return self.context.get("who")


class _Outer(FieldsOnceMixin, serializers.Serializer):
    name = serializers.CharField()
    inner = _Inner(source="*")
    inners = _Inner(source="items", many=True)
    tags = serializers.ListField(child=serializers.CharField())


def test_nested_serializers_read_each_answers_own_context():
    row = {"name": "Luna", "items": [1, 2], "tags": ["brave"]}

    first = _Outer(row, context={"who": "Ana"}).data
    second = _Outer(row, context={"who": "Ben"}).data

    assert first["inner"]["who"] == "Ana" and second["inner"]["who"] == "Ben"
    assert [item["who"] for item in first["inners"]] == ["Ana", "Ana"]
    assert [item["who"] for item in second["inners"]] == ["Ben", "Ben"]
    assert second["tags"] == ["brave"] and second["name"] == "Luna"
