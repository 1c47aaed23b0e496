"""Hero writes: create, update, delete, and the avatar (drawn, or taken from an upload)."""

from django.db import transaction

from infinitestories.ai import images, visual_profile
from infinitestories.ai.base import Operation
from infinitestories.ai.chain import CallContext
from infinitestories.ai.moderation import family_text_check
from infinitestories.api.errors import NotFoundError
from infinitestories.services import fit_to_columns, model_update
from media.models import FileUpload
from media.services import (
    media_delete,
    media_delete_on_commit,
    picture_save,
    upload_adopt_image,
)
from notifications.services import avatar_ready_notify
from usage.services import ai_consent_check, ai_work

from .errors import HERO_NOT_FOUND
from .models import Hero, HeroVisualProfile
from .selectors import hero_names


def _moderate(hero: Hero) -> None:
    """Moderation is AI processing too: it needs the parent's consent (ai_consent_check)."""
    ai_consent_check(user=hero.user)
    ctx = CallContext(operation=Operation.MODERATION, user_id=hero.user_id, hero_id=hero.pk)
    # A hero's text may name a brother or sister: every hero name of the family is hidden.
    family_text_check(ctx=ctx, hero=hero, what="hero", names=hero_names(user=hero.user))


def hero_create(
    *,
    user,
    name: str,
    age: int,
    traits: list[str],
    appearance: str,
    abilities: list[str] | None = None,
) -> Hero:
    """Save a new hero once moderation has passed its text (400 CONTENT_REJECTED otherwise)."""
    hero = Hero(
        user=user,
        name=name,
        age=age,
        traits=traits,
        appearance=appearance,
        abilities=abilities or [],
    )
    _moderate(hero)
    hero.save(force_insert=True)
    return hero


def hero_update(*, hero: Hero, **fields) -> Hero:
    """Set the given fields (only the family's own exist here) once moderation has passed the
    hero as it would become; nothing else changes."""
    return model_update(instance=hero, fields=Hero.FAMILY_FIELDS, data=fields, check=_moderate)


@transaction.atomic
def hero_delete(*, hero: Hero) -> int:
    """Delete the hero and its visual profile; its stories stay, unlinked (hero null).

    Returns how many stories were unlinked. The avatar file is deleted after commit.
    """
    stories_affected = hero.stories.count()
    avatar_key = hero.avatar_key
    hero.delete()  # Story.hero is SET_NULL; the visual profile cascades
    media_delete_on_commit(keys=[avatar_key])
    return stories_affected


def hero_avatar_generate(*, user, hero: Hero, custom_prompt: str = "") -> Hero:
    """Draw the hero's avatar and extract its canonical visual profile (PRD 6.2).

    1. Ask usage whether this user may start the work (before any AI call): usage.ai_work
       admits it, and ends it whatever happens.
    2. Moderate the family's text (hero fields and customPrompt): 400 CONTENT_REJECTED if flagged.
    3. Draw it from the avatar prompt (term-filtered, the name hidden); a refused prompt or a
       flagged picture is drawn once more from gentler words.
    4. Extract the visual profile (structured output) from the hero and the prompt; save the
       picture without metadata (media.services.picture_save).
    5. In one transaction: point the hero at the new picture, update or create its
       HeroVisualProfile, delete the previous avatar file after commit. A hero deleted meanwhile
       is 404, and the new picture is deleted too.
    6. Whatever happened, the work ends: its reservation is released (the calls' real cost is
       recorded as they are made).
    """
    with ai_work(user=user, operation=Operation.AVATAR_GENERATION):
        return _avatar_draw_and_save(user=user, hero=hero, custom_prompt=custom_prompt)


def _avatar_draw_and_save(*, user, hero: Hero, custom_prompt: str) -> Hero:
    ctx = CallContext(operation=Operation.MODERATION, user_id=user.pk, hero_id=hero.pk)
    family = hero_names(user=user)  # a brother or sister may be named: hidden everywhere
    family_text_check(
        ctx=ctx,
        hero=hero,
        extra={"customPrompt": custom_prompt},
        what="avatar_description",
        names=family,
    )
    drawing = images.avatar_draw(
        ctx=ctx, hero=hero, custom_prompt=custom_prompt, other_names=family
    )
    prompt = drawing.prompt
    profile = visual_profile.visual_profile_extract(
        ctx=ctx, hero=hero, avatar_prompt=prompt, other_names=family
    )
    key = picture_save(category="avatar", content=drawing.image.image)
    with transaction.atomic():
        locked = Hero.objects.select_for_update().filter(pk=hero.pk).first()
        if locked is not None:
            old_key = locked.avatar_key
            locked.avatar_key = key
            locked.avatar_prompt = prompt
            locked.avatar_generation_id = drawing.image.generation_id or ""
            locked.save(
                update_fields=["avatar_key", "avatar_prompt", "avatar_generation_id", "updated_at"]
            )
            HeroVisualProfile.objects.update_or_create(
                hero=locked, defaults=fit_to_columns(model=HeroVisualProfile, values=profile)
            )
            if old_key and old_key != key:
                media_delete_on_commit(keys=[old_key])
            # The parent may have locked the phone while it was drawn (seconds to a minute).
            avatar_ready_notify(hero=locked)
    if locked is None:  # deleted while it was drawn: the picture belongs to no one
        media_delete_on_commit(keys=[key])
        raise NotFoundError(HERO_NOT_FOUND)
    return Hero.objects.select_related("visual_profile").get(pk=hero.pk)


@transaction.atomic
def hero_avatar_set_from_upload(*, user, hero: Hero, storage_key: str) -> Hero:
    """Use a picture the user uploaded (POST /api/files/upload) as the hero's avatar: a checked
    copy of it (media.services.upload_adopt_image); the previous avatar goes after commit."""
    if hero.user_id != user.pk:
        raise NotFoundError(HERO_NOT_FOUND)
    ai_consent_check(user=user)  # the picture is moderated
    # Held until commit: a hero deleted meanwhile is a 404 before anything is copied.
    if not Hero.objects.select_for_update().filter(pk=hero.pk).exists():
        raise NotFoundError(HERO_NOT_FOUND)
    avatar_key = upload_adopt_image(
        user=user, storage_key=storage_key, category=FileUpload.Category.AVATAR, entity_id=hero.pk
    )
    old_key = hero.avatar_key
    try:
        hero.avatar_key = avatar_key
        hero.save(update_fields=["avatar_key", "updated_at"])
    except Exception:
        media_delete(key=avatar_key)  # nothing will reference the copy
        hero.avatar_key = old_key
        raise
    media_delete_on_commit(keys=[old_key])
    return hero
