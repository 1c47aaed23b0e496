"""Use case: write a story (title and text) for a hero and an occasion.

Model: AI_STORY_MODEL, the capable one: the story is the product. Structured output (title,
content) so no title has to be guessed from the first line. MAX_OUTPUT_TOKENS leaves room for
the longest story we ask for (~900 words) plus JSON. The generated text is moderated; a flagged
story is written once more, then the request fails without saving anything.
"""

import logging
from dataclasses import dataclass

from usage.models import Operation

from . import chain, moderation, prompts
from .errors import failed
from .local_stories import event_phrase

logger = logging.getLogger("infinitestories.safety")

PROMPT_VERSION = "story/v1"
MAX_OUTPUT_TOKENS = 3000
WORD_COUNT = 600
SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "content": {"type": "string"}},
    "required": ["title", "content"],
    "additionalProperties": False,
}


@dataclass
class StoryDraft:
    title: str
    content: str
    prompt_version: str


def _hero_data(hero) -> dict:
    return {
        "name": hero.name,
        "age": hero.age,
        "traits": list(hero.traits or []),
        "appearance": hero.appearance,
        "abilities": list(hero.abilities or []),
    }


def story_write(
    *, ctx: chain.CallContext, hero, language: str, event_type: str, custom_event=None
) -> StoryDraft:
    events = prompts.load_json("story/v1/events.json")
    data = {"hero": _hero_data(hero)}
    if custom_event is not None:
        data["custom_event"] = {
            "title": custom_event.title,
            "description": custom_event.description,
            "prompt": custom_event.prompt_seed,
            "tone": custom_event.tone,
        }
        guidance = events["custom"]
    else:
        guidance = events.get(event_type) or f"a special day ({event_type.replace('_', ' ')})."
    system = prompts.render("story/v1/system.txt", word_count=WORD_COUNT, age=hero.age)
    user = prompts.render(
        f"story/v1/{language}.txt", event_guidance=guidance, data=prompts.fence(data)
    )
    local_data = {
        **_hero_data(hero),
        "language": language,
        "event": event_phrase(
            language=language,
            event_type=event_type,
            custom_title=custom_event.title if custom_event is not None else "",
        ),
    }
    ctx = ctx.but(operation=Operation.STORY_GENERATION, prompt_version=PROMPT_VERSION)
    for attempt in (1, 2):
        result = chain.call(
            ctx=ctx,
            method="structured",
            task="story",
            tier="story",
            system=system,
            user=user,
            data=local_data,
            schema=SCHEMA,
            schema_name="story",
            max_output_tokens=MAX_OUTPUT_TOKENS,
        )
        title = str(result.data.get("title", "")).strip().strip('"#* ')[:200]
        content = str(result.data.get("content", "")).strip()
        if not title or not content:
            logger.warning("Story model answered without title or content (attempt %d)", attempt)
            continue
        categories = moderation.moderation_check(ctx=ctx, text=f"{title}\n\n{content}")
        if not categories:
            return StoryDraft(title=title, content=content, prompt_version=PROMPT_VERSION)
        logger.warning(
            "Generated story flagged by moderation (user %s, attempt %d): %s",
            ctx.user_id,
            attempt,
            ",".join(categories),
        )
    raise failed(
        "We could not write a story we were happy with this time. Please try again, "
        "perhaps with a different occasion."
    )
