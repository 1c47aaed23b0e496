"""Avatar generation and the hero's visual profile (PRD 6.2)."""

import logging

from django.db import transaction

from infinitestories.ai import chain, images, moderation, visual_profile
from media.services import media_delete_on_commit, media_save

from .models import Hero, HeroVisualProfile

logger = logging.getLogger(__name__)


def hero_avatar_generate(*, user, hero: Hero, custom_prompt: str = "") -> Hero:
    """Draw the hero's avatar and extract its canonical visual profile.

    1. Moderate the family's text (hero fields and customPrompt): 400 CONTENT_REJECTED if flagged.
    2. Build the avatar prompt (term-filtered) and draw it.
    3. Save the PNG; extract the visual profile (structured output) from the hero and the prompt.
    4. In one transaction: point the hero at the new picture, update or create its
       HeroVisualProfile, delete the previous avatar file after commit.
    """
    ctx = chain.CallContext(operation="moderation", user_id=user.pk, hero_id=hero.pk)
    moderation.family_text_check(
        ctx=ctx, hero=hero, extra={"customPrompt": custom_prompt}, what="the avatar description"
    )
    prompt = images.avatar_prompt(hero=hero, custom_prompt=custom_prompt)
    drawing = images.avatar_draw(ctx=ctx, prompt=prompt)
    profile = visual_profile.visual_profile_extract(ctx=ctx, hero=hero, avatar_prompt=prompt)
    key = media_save(
        category="avatar", content=drawing.image, extension="png", content_type="image/png"
    )
    with transaction.atomic():
        hero = Hero.objects.select_for_update().get(pk=hero.pk)
        old_key = hero.avatar_key
        hero.avatar_key = key
        hero.avatar_prompt = prompt
        hero.avatar_generation_id = drawing.generation_id or ""
        hero.save(
            update_fields=["avatar_key", "avatar_prompt", "avatar_generation_id", "updated_at"]
        )
        HeroVisualProfile.objects.update_or_create(hero=hero, defaults=profile)
        if old_key and old_key != key:
            media_delete_on_commit(keys=[old_key])
    return Hero.objects.select_related("visual_profile").get(pk=hero.pk)
