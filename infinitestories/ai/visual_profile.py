"""Use case: the hero's canonical visual profile, extracted once from the avatar's description.

Model: AI_SMALL_MODEL: a short structured extraction. Every illustration prompt starts with the
profile's canonical_prompt, which is what keeps the hero looking the same from picture to picture.
The model sees the hero under a placeholder name (privacy.Cast); the profile comes back with
the real name wherever the model used it.
"""

from collections.abc import Iterable

from . import chain, prompts
from .base import ChatPrompt, HeroBrief, Operation, Usage, VisualProfileRequest, VisualProfileResult
from .privacy import Cast

PROMPT_VERSION = "visual_profile/v1"
MAX_OUTPUT_TOKENS = 800
# What one extraction is expected to take (the hero's facts in, the profile out), for the
# estimate reserved before an avatar is made (usage.selectors.cost_estimate).
EXPECTED_INPUT_TOKENS = 1_000
EXPECTED_OUTPUT_TOKENS = MAX_OUTPUT_TOKENS
# The profile's fields, in the order they are shown; the list ones hold short strings.
FIELDS = [
    "hair_color",
    "hair_style",
    "eye_color",
    "skin_tone",
    "body_type",
    "height",
    "clothing_style",
    "color_palette",
    "accessories",
    "art_style",
    "canonical_prompt",
    "simplified_prompt",
]
LIST_FIELDS = {"color_palette", "accessories"}
SCHEMA = {
    "type": "object",
    "properties": {
        name: {"type": "array", "items": {"type": "string"}}
        if name in LIST_FIELDS
        else {"type": "string"}
        for name in FIELDS
    },
    "required": FIELDS,
    "additionalProperties": False,
}


def expected_units() -> Usage:
    """The tokens one profile is expected to take."""
    return Usage(
        unit="tokens", input_units=EXPECTED_INPUT_TOKENS, output_units=EXPECTED_OUTPUT_TOKENS
    )


def messages(*, hero: HeroBrief, avatar_prompt: str) -> ChatPrompt:
    """The chat prompts, schema and limit; the hero's facts (name hidden) go in the data block."""
    data = {
        "name": hero.name,
        "age": hero.age,
        "appearance": hero.appearance,
        "traits": list(hero.traits),
        "avatar_prompt": avatar_prompt,
    }
    return ChatPrompt(
        system="You are a character designer for children's picture books.",
        user=prompts.render("visual_profile/v1.txt", data=prompts.fence(data)),
        schema=SCHEMA,
        schema_name="visual_profile",
        max_output_tokens=MAX_OUTPUT_TOKENS,
    )


def parse(answer: VisualProfileResult, *, reveal=str) -> dict:
    """The profile's fields from the model's answer: texts, and lists of at most ten short
    texts, each passed through `reveal` (the hero's name put back)."""
    profile: dict = {}
    for name in FIELDS:
        value = answer.profile.get(name)
        if name in LIST_FIELDS:
            profile[name] = [reveal(str(v)) for v in value][:10] if isinstance(value, list) else []
        else:
            profile[name] = reveal(str(value or ""))
    return profile


def visual_profile_extract(
    *, ctx: chain.CallContext, hero, avatar_prompt: str, other_names: Iterable[str] = ()
) -> dict:
    """The profile's fields: texts, and lists of at most ten short texts, with the hero's name
    (and `other_names`, the family's other heroes) put back. Whoever stores them fits them to
    their columns (heroes.services, from the model itself)."""
    brief = HeroBrief.of(hero)
    pseudonym = Cast.choose(
        brief.name, others=other_names, texts=[*brief.texts()[1:], avatar_prompt]
    )
    hidden = brief.pseudonymised(placeholder=pseudonym.placeholder, hide=pseudonym.hide)
    hidden_prompt = pseudonym.hide(avatar_prompt)
    answer = chain.call(
        ctx=ctx.but(operation=Operation.VISUAL_PROFILE, prompt_version=PROMPT_VERSION),
        request=VisualProfileRequest(
            hero=hidden,
            avatar_prompt=hidden_prompt,
            prompt=messages(hero=hidden, avatar_prompt=hidden_prompt),
            safety_identifier=ctx.safety_identifier,
        ),
    )
    return parse(answer, reveal=pseudonym.reveal)
