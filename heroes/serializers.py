from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from infinitestories.ai import visual_profile
from infinitestories.api.fields import (
    FieldsOnceMixin,
    SortInputSerializer,
    StrictCharField,
    StrictIntegerField,
    UniqueListField,
)
from infinitestories.api.schema import PaginationSerializer, StringListJSONField
from media.selectors import media_url

from .models import Hero, HeroVisualProfile
from .traits import VALID_TRAITS

# --- Heroes


class HeroInputSerializer(serializers.Serializer):
    """POST /api/heroes; PATCH uses it with partial=True. Fields as PRD 6.2 validates them."""

    name = StrictCharField(min_length=1, max_length=100)
    age = StrictIntegerField(min_value=1, max_value=18)
    traits = UniqueListField(
        child=serializers.ChoiceField(choices=VALID_TRAITS),
        min_length=1,
        max_length=5,
        error_messages={"repeated": gettext_lazy("Each trait may appear once.")},
    )
    appearance = StrictCharField(min_length=1, max_length=500)
    abilities = serializers.ListField(
        child=StrictCharField(min_length=1, max_length=50), max_length=3, required=False
    )


class AvatarInputSerializer(serializers.Serializer):
    """POST /api/heroes/{heroId}/avatar: a storageKey of your own upload, or a customPrompt
    (optional) to draw one."""

    custom_prompt = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")
    storage_key = StrictCharField(max_length=255, required=False)


class HeroListInputSerializer(SortInputSerializer):
    sort_by = serializers.ChoiceField(choices=["createdAt", "name"], default="createdAt")


class HeroDetailInputSerializer(serializers.Serializer):
    include_stories = serializers.BooleanField(default=False)
    story_limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class VisualProfileOutputSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    color_palette = StringListJSONField(required=False)
    accessories = StringListJSONField(required=False)

    class Meta:
        model = HeroVisualProfile
        fields = [*visual_profile.FIELDS, "updated_at"]


# What every hero answer shows, list row or detail.
HERO_FIELDS_SHOWN = ["id", "name", "age", "traits", "appearance", "abilities", "avatar_url"]


class _HeroBaseOutputSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    traits = StringListJSONField(required=False)
    abilities = StringListJSONField(required=False)
    avatar_url = serializers.SerializerMethodField()

    def get_avatar_url(self, hero: Hero) -> str | None:
        return media_url(key=hero.avatar_key)


class HeroListOutputSerializer(_HeroBaseOutputSerializer):
    """One row of GET /api/heroes; story_count is annotated by the selector."""

    story_count = serializers.IntegerField()

    class Meta:
        model = Hero
        fields = [*HERO_FIELDS_SHOWN, "created_at", "story_count"]


class HeroStorySummarySerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    created_at = serializers.DateTimeField()


class HeroOutputSerializer(_HeroBaseOutputSerializer):
    """GET/POST/PATCH answers: the hero with its visual profile (null before an avatar exists).

    `stories` is present only when the caller asked for them (context["stories"]).
    """

    visual_profile = serializers.SerializerMethodField()

    class Meta:
        model = Hero
        fields = [
            *HERO_FIELDS_SHOWN,
            "avatar_generation_id",
            "avatar_prompt",
            "visual_profile",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(VisualProfileOutputSerializer(allow_null=True))
    def get_visual_profile(self, hero: Hero) -> dict | None:
        try:
            profile = hero.visual_profile
        except HeroVisualProfile.DoesNotExist:
            return None
        return VisualProfileOutputSerializer(profile).data

    def to_representation(self, hero: Hero) -> dict:
        data = super().to_representation(hero)
        stories = self.context.get("stories")
        if stories is not None:
            data["stories"] = HeroStorySummarySerializer(stories, many=True).data
        return data


class HeroTraitsOutputSerializer(serializers.Serializer):
    traits = serializers.ListField(child=serializers.CharField())


# --- Answer envelopes (documented with @extend_schema in heroes.api)


class HeroEnvelopeSerializer(serializers.Serializer):
    hero = HeroOutputSerializer()


class HeroWithStoriesOutputSerializer(HeroOutputSerializer):
    """Schema only: GET /api/heroes/{heroId} adds `stories` when ?includeStories=true."""

    stories = HeroStorySummarySerializer(
        many=True, required=False, help_text="Only with ?includeStories=true; newest first."
    )

    class Meta(HeroOutputSerializer.Meta):
        fields = [*HeroOutputSerializer.Meta.fields, "stories"]


class HeroDetailEnvelopeSerializer(serializers.Serializer):
    hero = HeroWithStoriesOutputSerializer()


class HeroListEnvelopeSerializer(serializers.Serializer):
    heroes = HeroListOutputSerializer(many=True)
    pagination = PaginationSerializer()


class HeroDeleteOutputSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    stories_affected = serializers.IntegerField(
        help_text="How many of the hero's stories were kept without their hero."
    )
