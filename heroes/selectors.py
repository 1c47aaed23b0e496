import functools

from django.db import connection

from infinitestories import prepared

from .models import Hero

_HERO_SORT = {"createdAt": "created_at", "name": "name"}


@functools.cache
def _hero_page_sql(sort_by: str, sort_order: str) -> str:
    """The hero list's SQL per order, written once per process (infinitestories.prepared): the
    heroes with their story count, and how many the user has, in one query."""
    quote = connection.ops.quote_name
    stories = Hero._meta.get_field("stories")
    direction = "DESC" if sort_order == "desc" else "ASC"
    order = quote(Hero._meta.get_field(_HERO_SORT[sort_by]).column)
    hero_id = quote(Hero._meta.pk.column)
    # Identifiers only, from the models and quoted; the values are parameters.
    return (
        f"SELECT {', '.join(prepared.columns(Hero, 'h'))}, "  # noqa: S608
        f"(SELECT COUNT(*) FROM {quote(stories.related_model._meta.db_table)} s "
        f"WHERE s.{quote(stories.field.column)} = h.{hero_id}), COUNT(*) OVER () "
        f"FROM {quote(Hero._meta.db_table)} h "
        f"WHERE h.{quote(Hero._meta.get_field('user').column)} = %s "
        f"ORDER BY h.{order} {direction}, h.{hero_id} {direction} LIMIT %s OFFSET %s"
    )


def hero_page_rows(
    *, user, limit: int, offset: int, sort_by: str = "createdAt", sort_order: str = "desc"
) -> tuple[list[tuple], int]:
    """One page of the user's heroes as the database returns them (each hero's columns, then
    its story count), and how many heroes the user has: one prepared query on the hottest list
    (GET /api/heroes). The rows name the answer for its ETag; `heroes_of_rows` makes them
    Heroes, for the answer a kept one does not replace."""
    with connection.cursor() as cursor:
        cursor.execute(_hero_page_sql(sort_by, sort_order), [user.pk, limit, offset])
        rows = cursor.fetchall()
    if rows:
        return [row[:-1] for row in rows], rows[0][-1]
    # Past the end (or no hero at all): the window counted nothing, so count.
    return [], Hero.objects.filter(user=user).count() if offset else 0


def heroes_of_rows(rows: list[tuple]) -> list[Hero]:
    """The Heroes of `hero_page_rows`, each with its `story_count`, as the ORM would load them."""
    heroes = []
    for *values, story_count in rows:
        hero = prepared.instance(Hero, values)
        hero.story_count = story_count
        heroes.append(hero)
    return heroes


def hero_recent_stories(*, hero: Hero, limit: int) -> list:
    return list(
        hero.stories.order_by("-created_at", "-id").only("id", "title", "created_at")[:limit]
    )


def hero_names(*, user) -> list[str]:
    """The names of the user's heroes: what the family's free text may mention and no AI vendor
    may read (the AI layer hides them)."""
    return list(Hero.objects.filter(user=user).values_list("name", flat=True).distinct())
