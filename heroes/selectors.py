from django.db.models import Count, QuerySet

from .models import Hero

_HERO_SORT = {"createdAt": "created_at", "name": "name"}


def hero_list(*, user, sort_by: str = "createdAt", sort_order: str = "desc") -> QuerySet[Hero]:
    """The user's heroes with their story count, in one query (plus the page's count)."""
    field = _HERO_SORT[sort_by]
    prefix = "-" if sort_order == "desc" else ""
    return (
        Hero.objects.filter(user=user)
        .annotate(story_count=Count("stories"))
        .order_by(f"{prefix}{field}", f"{prefix}id")
    )


def hero_recent_stories(*, hero: Hero, limit: int) -> list:
    return list(
        hero.stories.order_by("-created_at", "-id").only("id", "title", "created_at")[:limit]
    )


def hero_names(*, user) -> list[str]:
    """The names of the user's heroes: what the family's free text may mention and no AI vendor
    may read (the AI layer hides them)."""
    return list(Hero.objects.filter(user=user).values_list("name", flat=True).distinct())
