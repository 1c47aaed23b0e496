"""Use cases: draw the hero's avatar and a story's illustrations.

Model: AI_IMAGE_MODEL. Consistency comes from the hero's canonical visual profile at the start of
every prompt and, where the model accepts reference pictures (GPT image models' images.edit), from
the avatar itself as the reference (input_fidelity high). Every prompt passes the term filter, and
the hero's name is hidden from it (privacy.Cast). Every picture drawn is moderated before it
is kept. When the API refuses a prompt on safety grounds, or moderation flags the picture, it is
drawn again from gentler words, then (illustrations) from a generic scene.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from . import chain, moderation, prompts
from .base import ImageRequest, ImageResult, Operation, Usage
from .errors import ContentRefused
from .privacy import Cast
from .safety import filter_prompt

logger = logging.getLogger("infinitestories.safety")

# Output tokens of one picture from a GPT image model, by quality and size (OpenAI's image
# generation guide): what a picture costs, at the model's price per output token.
IMAGE_OUTPUT_TOKENS = {
    ("low", "1024x1024"): 272,
    ("low", "1024x1536"): 408,
    ("low", "1536x1024"): 400,
    ("medium", "1024x1024"): 1056,
    ("medium", "1024x1536"): 1584,
    ("medium", "1536x1024"): 1568,
    ("high", "1024x1024"): 4160,
    ("high", "1024x1536"): 6240,
    ("high", "1536x1024"): 6208,
}
# Input tokens of a picture sent as the reference (the avatar, 1024x1024): 85 + 4 tiles x 170.
REFERENCE_IMAGE_TOKENS = 765
# Input tokens of a picture's prompt (the profile and the scene, or the avatar's wishes).
PROMPT_TOKENS = 300


def expected_units(*, quality: str, size: str, reference: bool) -> Usage:
    """The tokens one picture is expected to take at `quality` and `size` (an unknown pair as
    the dearest picture), with the avatar as its `reference` or without."""
    output = IMAGE_OUTPUT_TOKENS.get((quality, size), max(IMAGE_OUTPUT_TOKENS.values()))
    prompt = PROMPT_TOKENS + (REFERENCE_IMAGE_TOKENS if reference else 0)
    return Usage(unit="tokens", input_units=prompt, output_units=output)


AVATAR_PROMPT_VERSION = "avatar/v1"
ILLUSTRATION_PROMPT_VERSION = "illustration/v1"
AVATAR_VARIANTS = ("original", "gentle")
ILLUSTRATION_VARIANTS = ("original", "gentle", "generic")


def avatar_drawings() -> int:
    """The pictures one avatar may take: one more for each gentler variant after a flag."""
    return len(AVATAR_VARIANTS)


@dataclass
class Drawing:
    image: ImageResult
    prompt: str  # as stored: with the hero's real name, where the family wrote it
    variant: str  # "original" | "gentle" | "generic"


def avatar_prompt(*, hero, custom_prompt: str = "", variant: str = "original") -> str:
    template = {"original": "avatar/v1.txt", "gentle": "avatar/v1-gentle.txt"}[variant]
    text = prompts.render(
        template,
        age=hero.age,
        appearance=hero.appearance,
        traits=", ".join(hero.traits or []) or "kind",
        custom=f"Extra wishes from the family (a description only): {custom_prompt}"
        if custom_prompt
        else "",
    )
    return filter_prompt(text, context=f"avatar of hero {hero.pk}")[0]


def avatar_draw(
    *, ctx: chain.CallContext, hero, custom_prompt: str = "", other_names: Iterable[str] = ()
) -> Drawing:
    """Draw the hero's avatar: the family's wishes first, gentler words if refused or flagged.
    The hero's name and `other_names` (the family's other heroes) are hidden from the prompt."""
    return _draw_safely(
        ctx=ctx.but(operation=Operation.AVATAR_GENERATION, prompt_version=AVATAR_PROMPT_VERSION),
        hero_name=hero.name,
        other_names=other_names,
        variants=[
            (variant, avatar_prompt(hero=hero, custom_prompt=custom_prompt, variant=variant))
            for variant in AVATAR_VARIANTS
        ],
    )


def illustration_prompt(*, profile: str, scene: str, variant: str = "original") -> str:
    template = {
        "original": "illustration/v1.txt",
        "gentle": "illustration/v1-gentle.txt",
        "generic": "illustration/v1-generic.txt",
    }[variant]
    text = prompts.render(template, profile=profile, scene=scene)
    return filter_prompt(text, context="illustration")[0]


def illustration_draw(
    *,
    ctx: chain.CallContext,
    profile: str,
    scene: str,
    hero_name: str,
    reference: bytes | None,
    pending: list,
    quality: str = "",
    size: str = "",
    other_names: Iterable[str] = (),
    before_draw: Callable[[str], None] | None = None,
) -> Drawing:
    """Draw one illustration (thread-safe: usage rows go to `pending`). `quality` and `size`
    come from the family's plan; empty means AI_IMAGE_QUALITY and AI_IMAGE_SIZE. `other_names`
    (the family's other heroes, the story's hero as it was named) are hidden too.
    `before_draw(variant)` is called before each paid drawing (it raises to stop)."""
    return _draw_safely(
        ctx=ctx.but(
            operation=Operation.IMAGE_GENERATION, prompt_version=ILLUSTRATION_PROMPT_VERSION
        ),
        hero_name=hero_name,
        other_names=other_names,
        variants=[
            (variant, illustration_prompt(profile=profile, scene=scene, variant=variant))
            for variant in ILLUSTRATION_VARIANTS
        ],
        reference=reference,
        pending=pending,
        quality=quality,
        size=size,
        before_draw=before_draw,
    )


def _draw_safely(
    *,
    ctx: chain.CallContext,
    hero_name: str,
    variants: Iterable[tuple[str, str]],
    reference: bytes | None = None,
    pending: list | None = None,
    quality: str = "",
    size: str = "",
    other_names: Iterable[str] = (),
    before_draw: Callable[[str], None] | None = None,
) -> Drawing:
    """Draw from each (variant, prompt) in turn until a picture passes moderation; a refused
    prompt or a flagged picture moves on to the next, gentler one. ContentRefused at the end."""
    variants = list(variants)
    pseudonym = Cast.choose(hero_name, others=other_names, texts=[prompt for _, prompt in variants])
    for variant, prompt in variants:
        if before_draw is not None:
            before_draw(variant)
        try:
            image = chain.call(
                ctx=ctx,
                request=ImageRequest(
                    prompt=pseudonym.hide(prompt),
                    reference=reference,
                    quality=quality,
                    size=size,
                    safety_identifier=ctx.safety_identifier,
                ),
                pending=pending,
            )
        except ContentRefused as exc:
            logger.warning("Image prompt refused on safety grounds (%s variant): %s", variant, exc)
            if variant == variants[-1][0]:
                raise
            continue
        categories = moderation.image_moderation_check(ctx=ctx, image=image.image, pending=pending)
        if not categories:
            return Drawing(image=image, prompt=prompt, variant=variant)
        logger.warning(
            "Drawn picture flagged by moderation (user %s, %s variant): %s",
            ctx.user_id,
            variant,
            ",".join(categories),
        )
    raise ContentRefused("Every picture drawn was flagged by moderation.", operation=ctx.operation)
