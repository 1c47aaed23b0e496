"""Use case: pick the scenes of a story to illustrate.

Model: AI_SMALL_MODEL: picking moments from a text is an easy task and this runs once per set.
Structured output: a list of {description, anchor, mood}; the anchor (words copied from the story)
gives each scene's word position, from which its timestamp in the narration is computed.
"""

import re
from dataclasses import dataclass

from usage.models import Operation

from . import chain, prompts

PROMPT_VERSION = "scenes/v1"
MAX_OUTPUT_TOKENS = 1500
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
    """Word index where `anchor` starts in `content` (searching from `start`), if found."""
    words = _words(content)
    needle = [w for w in _words(anchor) if w][:6]
    if not needle:
        return None
    for i in range(start, len(words) - len(needle) + 1):
        if words[i : i + len(needle)] == needle:
            return i
    return None


def scenes_extract(
    *, ctx: chain.CallContext, content: str, count: int, hero_name: str
) -> list[Scene]:
    user = prompts.render("scenes/v1.txt", count=count, data=prompts.fence({"story": content}))
    result = chain.call(
        ctx=ctx.but(operation=Operation.SCENE_EXTRACTION, prompt_version=PROMPT_VERSION),
        method="structured",
        task="scenes",
        tier="small",
        system="You are a careful picture-book art director.",
        user=user,
        data={"content": content, "count": count, "hero_name": hero_name},
        schema=SCHEMA,
        schema_name="scenes",
        max_output_tokens=MAX_OUTPUT_TOKENS,
    )
    raw = [s for s in result.data.get("scenes", []) if str(s.get("description", "")).strip()]
    total = max(1, len(content.split()))
    scenes: list[Scene] = []
    cursor = 0
    for i in range(count):
        item = raw[i] if i < len(raw) else None
        even = i * total // count
        if item is None:
            # The model gave fewer scenes: fill with an evenly placed, generic moment.
            scenes.append(
                Scene(description=f"{hero_name} in a calm moment of the story", word_index=even)
            )
            continue
        position = anchor_position(content, str(item.get("anchor", "")), start=cursor)
        if position is None:
            position = max(even, cursor)
        cursor = position
        scenes.append(Scene(description=str(item["description"]).strip(), word_index=position))
    return scenes
