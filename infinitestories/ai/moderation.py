"""Moderation of user text, generated stories and pictures (use case: moderation).

Model: AI_MODERATION_MODEL (omni-moderation: free, fast, multilingual, and it classifies images
too). Flagged user text raises FamilyTextFlagged with a kind message (answered as 400
CONTENT_REJECTED); every hit is logged with its reason, never with the text.

The hero's name never goes to the vendor: it is hidden in every text sent (privacy.hide_names)
and checked by our own five-language term filter instead (safety.name_check).
"""

import logging
from collections.abc import Iterable

from django.utils.translation import gettext_lazy

from . import chain
from .base import ImageModerationRequest, ModerationRequest, Operation
from .errors import FamilyImageFlagged, FamilyTextFlagged
from .privacy import hide_names
from .safety import name_check

logger = logging.getLogger("infinitestories.safety")

# What the family reads, in its language, by what it wrote (whole sentences, so that each
# language can say it its own way).
KIND_MESSAGES = {
    "text": gettext_lazy(
        "Let's keep stories gentle and kind. Please rephrase your text without words that could "
        "upset a child."
    ),
    "story": gettext_lazy(
        "Let's keep stories gentle and kind. Please rephrase the story without words that could "
        "upset a child."
    ),
    "story_idea": gettext_lazy(
        "Let's keep stories gentle and kind. Please rephrase the story idea without words that "
        "could upset a child."
    ),
    "hero": gettext_lazy(
        "Let's keep stories gentle and kind. Please describe the hero without words that could "
        "upset a child."
    ),
    "hero_or_story_idea": gettext_lazy(
        "Let's keep stories gentle and kind. Please describe the hero and the story idea without "
        "words that could upset a child."
    ),
    "avatar_description": gettext_lazy(
        "Let's keep stories gentle and kind. Please rephrase the avatar description without words "
        "that could upset a child."
    ),
}
NAME_MESSAGE = gettext_lazy(
    "Let's give the hero a gentle name. Please choose a name without words that could upset a "
    "child."
)
PICTURE_MESSAGE = gettext_lazy("We can't use this picture. Please choose another one.")


def moderation_check(
    *, ctx: chain.CallContext, text: str, pending: list | None = None
) -> list[str]:
    """Returns the flagged categories (empty when the text is fine)."""
    if not text.strip():
        return []
    result = chain.call(
        ctx=ctx.but(operation=Operation.MODERATION),
        request=ModerationRequest(text=text),
        pending=pending,
    )
    return result.categories or (["flagged"] if result.flagged else [])


def image_moderation_check(
    *, ctx: chain.CallContext, image: bytes, pending: list | None = None
) -> list[str]:
    """The flagged categories of a picture (empty when it is fine)."""
    result = chain.call(
        ctx=ctx.but(operation=Operation.MODERATION),
        request=ImageModerationRequest(image=image),
        pending=pending,
    )
    return result.categories or (["flagged"] if result.flagged else [])


def family_picture_check(*, ctx: chain.CallContext, image: bytes, field: str) -> None:
    """Moderate a picture the family gave us; FamilyImageFlagged (400 CONTENT_REJECTED) if
    flagged. Send it without metadata (media strips it first): the vendor sees pixels only."""
    categories = image_moderation_check(ctx=ctx, image=image)
    if categories:
        logger.warning(
            "Moderation rejected a picture (user %s, %s): %s",
            ctx.user_id,
            field,
            ",".join(categories),
        )
        raise FamilyImageFlagged(PICTURE_MESSAGE, fields=[field], categories=categories)


def user_text_check(
    *,
    ctx: chain.CallContext,
    texts: dict[str, str],
    what: str = "text",
    names: Iterable[str] = (),
) -> None:
    """Moderate user-written fields (one call for all of them); FamilyTextFlagged if flagged,
    with the message of `what` (a key of KIND_MESSAGES). `names` (the family's heroes) are
    hidden from what is sent."""
    combined = "\n".join(f"{field}: {value}" for field, value in texts.items() if value)
    if not combined:
        return
    categories = moderation_check(ctx=ctx, text=hide_names(combined, names=names))
    if categories:
        logger.warning(
            "Moderation rejected user text (user %s, fields %s): %s",
            ctx.user_id,
            ",".join(texts),
            ",".join(categories),
        )
        raise FamilyTextFlagged(KIND_MESSAGES[what], fields=list(texts), categories=categories)


def hero_name_check(*, ctx: chain.CallContext, name: str) -> None:
    """Our own term filter on the hero's name, in place of the vendor's moderation."""
    hits = name_check(name)
    if hits:
        logger.warning(
            "Term filter rejected a hero name (user %s): %s", ctx.user_id, ",".join(hits)
        )
        raise FamilyTextFlagged(NAME_MESSAGE, fields=["hero.name"], categories=["name"])


def family_text_check(
    *,
    ctx: chain.CallContext,
    hero=None,
    custom_event=None,
    extra: dict[str, str] | None = None,
    what: str = "hero_or_story_idea",
    names: Iterable[str] = (),
) -> None:
    """Moderate everything a family wrote that can reach a prompt, in one call: the hero's
    fields, a custom event's, and any `extra` text (an avatar's customPrompt). The hero's name
    is checked by our term filter and hidden from the rest, as are `names` (other heroes')."""
    names = list(names)
    texts: dict[str, str] = {}
    if hero is not None:
        hero_name_check(ctx=ctx, name=hero.name)
        names.append(hero.name)
        texts |= {
            "hero.appearance": hero.appearance,
            "hero.traits": ", ".join(hero.traits or []),
            "hero.abilities": ", ".join(hero.abilities or []),
        }
    if custom_event is not None:
        texts |= {
            "customEvent.title": custom_event.title,
            "customEvent.description": custom_event.description,
            "customEvent.promptSeed": custom_event.prompt_seed,
            "customEvent.keywords": ", ".join(custom_event.keywords or []),
        }
    user_text_check(ctx=ctx, texts=texts | (extra or {}), what=what, names=names)
