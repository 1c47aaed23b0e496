from django.db.models import Count, QuerySet

from .models import CustomStoryEvent, Story, StoryIllustration

_STORY_SORT = {"createdAt": "created_at", "listenCount": "listen_count"}
_EVENT_SORT = {"createdAt": "created_at", "usageCount": "usage_count", "title": "title"}


def story_list(
    *,
    user,
    sort_by: str = "createdAt",
    sort_order: str = "desc",
    hero_id: str | None = None,
    event_type: str | None = None,
    language: str | None = None,
    is_favorite: bool | None = None,
) -> QuerySet[Story]:
    """The user's stories (hero or not) with hero name and illustration count in one query."""
    queryset = Story.objects.filter(user=user)
    if hero_id is not None:
        queryset = queryset.filter(hero_id=hero_id)
    if event_type is not None:
        queryset = queryset.filter(event_type=event_type)
    if language is not None:
        queryset = queryset.filter(language=language)
    if is_favorite is not None:
        queryset = queryset.filter(is_favorite=is_favorite)
    prefix = "-" if sort_order == "desc" else ""
    return (
        queryset.select_related("hero")
        .annotate(illustration_count=Count("illustrations"))
        .order_by(f"{prefix}{_STORY_SORT[sort_by]}", f"{prefix}id")
    )


def story_detail_queryset() -> QuerySet[Story]:
    return Story.objects.select_related("hero")


def story_illustrations(*, story: Story) -> list[StoryIllustration]:
    return list(story.illustrations.order_by("display_order", "created_at"))


def custom_event_list(
    *,
    user,
    sort_by: str = "createdAt",
    sort_order: str = "desc",
    category: str | None = None,
    is_favorite: bool | None = None,
) -> QuerySet[CustomStoryEvent]:
    queryset = CustomStoryEvent.objects.filter(user=user)
    if category is not None:
        queryset = queryset.filter(category=category)
    if is_favorite is not None:
        queryset = queryset.filter(is_favorite=is_favorite)
    prefix = "-" if sort_order == "desc" else ""
    return queryset.order_by(f"{prefix}{_EVENT_SORT[sort_by]}", f"{prefix}id")
