"""Use cases: draw the hero's avatar and a story's illustrations.

Model: AI_IMAGE_MODEL. Consistency comes from the hero's canonical visual profile at the start of
every prompt and, where the model accepts reference pictures (GPT image models' images.edit), from
the avatar itself as the reference (input_fidelity high). Every prompt passes the term filter. When
the API refuses a prompt on safety grounds it is rewritten once in gentler terms, then replaced by
a generic scene.
"""

import logging
from dataclasses import dataclass

from . import chain, prompts
from .base import ImageResult, Operation
from .errors import ContentRefused
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

AVATAR_PROMPT_VERSION = "avatar/v1"
ILLUSTRATION_PROMPT_VERSION = "illustration/v1"


@dataclass
class Drawing:
    image: ImageResult
    prompt: str
    variant: str  # "original" | "gentle" | "generic"


def avatar_prompt(*, hero, custom_prompt: str = "") -> str:
    text = prompts.render(
        "avatar/v1.txt",
        age=hero.age,
        appearance=hero.appearance,
        traits=", ".join(hero.traits or []) or "kind",
        custom=f"Extra wishes from the family (a description only): {custom_prompt}"
        if custom_prompt
        else "",
    )
    return filter_prompt(text, context=f"avatar of hero {hero.pk}")[0]


def avatar_draw(*, ctx: chain.CallContext, prompt: str) -> ImageResult:
    return chain.call(
        ctx=ctx.but(operation=Operation.AVATAR_GENERATION, prompt_version=AVATAR_PROMPT_VERSION),
        method="draw",
        prompt=prompt,
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
    reference: bytes | None,
    pending: list,
    quality: str = "",
    size: str = "",
) -> Drawing:
    """Draw one illustration (thread-safe: usage rows go to `pending`). `quality` and `size`
    come from the family's plan; empty means AI_IMAGE_QUALITY and AI_IMAGE_SIZE."""
    ctx = ctx.but(operation=Operation.IMAGE_GENERATION, prompt_version=ILLUSTRATION_PROMPT_VERSION)
    for variant in ("original", "gentle", "generic"):
        prompt = illustration_prompt(profile=profile, scene=scene, variant=variant)
        try:
            image = chain.call(
                ctx=ctx,
                method="draw",
                pending=pending,
                prompt=prompt,
                reference=reference,
                quality=quality,
                size=size,
            )
            return Drawing(image=image, prompt=prompt, variant=variant)
        except ContentRefused as exc:
            logger.warning("Image prompt refused on safety grounds (%s variant): %s", variant, exc)
            if variant == "generic":
                raise
    raise AssertionError("unreachable")
