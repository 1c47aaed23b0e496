"""Use case: pick the scenes of a story to illustrate.

Model: AI_SMALL_MODEL: picking moments from a text is an easy task and this runs once per set.
Structured output: a list of {description, anchor, mood}; the anchor (words copied from the story)
gives each scene's word position, from which its timestamp in the narration is computed.
The model reads the story with the hero's name hidden (privacy.Cast); the scenes come back
with the name put back.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from . import chain, prompts
from .base import ChatPrompt, Operation, ScenesRequest, ScenesResult, Usage
from .privacy import Cast

PROMPT_VERSION = "scenes/v1"
MAX_OUTPUT_TOKENS = 1500
# What picking a story's scenes typically uses (the story in, a third of the limit out), for the
# estimate reserved before the pictures are made (usage.selectors.cost_estimate).
EXPECTED_INPUT_TOKENS = 2_000
EXPECTED_OUTPUT_TOKENS = MAX_OUTPUT_TOKENS // 3
SCHEMA = {
    "type": "object",
    "properties": {
        "scenes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "description": {"type": "string"},
                    "anchor": {"type": "string"},
                    "mood": {"type": "string"},
                },
                "required": ["description", "anchor", "mood"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["scenes"],
    "additionalProperties": False,
}


@dataclass
class Scene:
    description: str
    word_index: int


def _words(text: str) -> list[str]:
    return [re.sub(r"\W+", "", w).lower() for w in text.split()]


def anchor_position(content: str, anchor: str, *, start: int = 0) -> int | None:
    """Word index (of the whitespace-separated tokens) where `anchor` starts in `content`
    (searching from token `start`), if found. Tokens without a letter or digit (a spaced dash,
    French « », an emoji) are skipped on both sides, so they never break a match."""
    words = _words(content)
    tokens = [i for i, word in enumerate(words) if word and i >= start]
    spoken = [words[i] for i in tokens]
    needle = [w for w in _words(anchor) if w][:6]
    if not needle:
        return None
    for j in range(len(spoken) - len(needle) + 1):
        if spoken[j : j + len(needle)] == needle:
            return tokens[j]
    return None


def expected_units() -> Usage:
    """The tokens picking one story's scenes is expected to take."""
    return Usage(
        unit="tokens", input_units=EXPECTED_INPUT_TOKENS, output_units=EXPECTED_OUTPUT_TOKENS
    )


def messages(*, content: str, count: int) -> ChatPrompt:
    """The chat prompts, schema and limit; the story (names hidden) goes in the data block."""
    user = prompts.render("scenes/v1.txt", count=count, data=prompts.fence({"story": content}))
    return ChatPrompt(
        system="You are a careful picture-book art director.",
        user=user,
        schema=SCHEMA,
        schema_name="scenes",
        max_output_tokens=MAX_OUTPUT_TOKENS,
    )


def parse(answer: ScenesResult) -> list[dict]:
    """The scenes the model answered that have a description ({description, anchor, mood})."""
    return [
        s for s in answer.scenes if isinstance(s, dict) and str(s.get("description", "")).strip()
    ]


def scenes_extract(
    *,
    ctx: chain.CallContext,
    content: str,
    count: int,
    hero_name: str,
    language: str = "en",
    other_names: Iterable[str] = (),
) -> list[Scene]:
    """`count` scenes in story order, each placed at its anchor's word (evenly if not found).
    `other_names` (the family's other heroes, the story's hero as it was named) are hidden too."""
    pseudonym = Cast.choose(hero_name, others=other_names, language=language, texts=[content])
    hidden = pseudonym.hide(content)
    answer = chain.call(
        ctx=ctx.but(operation=Operation.SCENE_EXTRACTION, prompt_version=PROMPT_VERSION),
        request=ScenesRequest(
            content=hidden,
            count=count,
            hero_name=pseudonym.placeholder if hero_name else "The hero",
            prompt=messages(content=hidden, count=count),
            safety_identifier=ctx.safety_identifier,
        ),
    )
    raw = parse(answer)
    total = max(1, len(content.split()))
    scenes: list[Scene] = []
    cursor = 0
    for i in range(count):
        item = raw[i] if i < len(raw) else None
        even = i * total // count
        if item is None:
            # The model gave fewer scenes: fill with an evenly placed, generic moment.
            scenes.append(
                Scene(
                    description=f"{hero_name or 'The hero'} in a calm moment of the story",
                    word_index=even,
                )
            )
            continue
        anchor = pseudonym.reveal(str(item.get("anchor", "")))
        position = anchor_position(content, anchor, start=cursor)
        if position is None:
            position = max(even, cursor)
        cursor = position
        description = pseudonym.reveal(str(item["description"]).strip())
        scenes.append(Scene(description=description, word_index=position))
    return scenes
