"""Moderation of user text and generated stories (use case: moderation).

Model: AI_MODERATION_MODEL (omni-moderation: free, fast, multilingual). Flagged user text raises
FamilyTextFlagged with a kind message (answered as 400 CONTENT_REJECTED); every hit is logged
with its reason.
"""

import logging

from . import chain
from .base import Operation
from .errors import FamilyTextFlagged

logger = logging.getLogger("infinitestories.safety")

KIND_MESSAGE = "Let's keep stories gentle and kind. Please rephrase {what} without words that could upset a child."


def moderation_check(*, ctx: chain.CallContext, text: str) -> list[str]:
    """Returns the flagged categories (empty when the text is fine)."""
    if not text.strip():
        return []
    result = chain.call(ctx=ctx.but(operation=Operation.MODERATION), method="moderate", text=text)
    return result.categories or (["flagged"] if result.flagged else [])


def user_text_check(
    *, ctx: chain.CallContext, texts: dict[str, str], what: str = "your text"
) -> None:
    """Moderate user-written fields (one call for all of them); FamilyTextFlagged if flagged."""
    combined = "\n".join(f"{field}: {value}" for field, value in texts.items() if value)
    if not combined:
        return
    categories = moderation_check(ctx=ctx, text=combined)
    if categories:
        logger.warning(
            "Moderation rejected user text (user %s, fields %s): %s",
            ctx.user_id,
            ",".join(texts),
            ",".join(categories),
        )
        raise FamilyTextFlagged(
            KIND_MESSAGE.format(what=what), fields=list(texts), categories=categories
        )


def family_text_check(
    *,
    ctx: chain.CallContext,
    hero=None,
    custom_event=None,
    extra: dict[str, str] | None = None,
    what: str = "the hero or the story idea",
) -> None:
    """Moderate everything a family wrote that can reach a prompt, in one call: the hero's
    fields, a custom event's, and any `extra` text (an avatar's customPrompt)."""
    texts: dict[str, str] = {}
    if hero is not None:
        texts |= {
            "hero.name": hero.name,
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
    user_text_check(ctx=ctx, texts=texts | (extra or {}), what=what)
