"""Use case: write a story (title and text) for a hero and an occasion.

Model: AI_STORY_MODEL, the capable one: the story is the product. Structured output (title,
content) so no title has to be guessed from the first line. MAX_OUTPUT_TOKENS leaves room for
the longest story we ask for (~900 words) plus JSON. The generated text is moderated; a flagged
story is written once more, then the request fails without saving anything.

The model never learns the hero's name: it writes about a placeholder name (privacy.Cast),
the draft is moderated as written, and the real name goes back in before it is returned.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from . import chain, moderation, prompts
from .base import ChatPrompt, HeroBrief, OccasionBrief, Operation, StoryRequest, StoryResult, Usage
from .errors import GeneratedContentFlagged
from .privacy import Cast

logger = logging.getLogger("infinitestories.safety")

PROMPT_VERSION = "story/v1"
MAX_OUTPUT_TOKENS = 3000
WORD_COUNT = 600
# What a story's call typically uses, for the estimate reserved before it is written
# (usage.selectors.cost_estimate): the prompts are about 1,500 tokens; the story about 800
# (1.3 a word), with room for part of the one rewrite a flagged story gets.
EXPECTED_INPUT_TOKENS = 1_500
EXPECTED_OUTPUT_TOKENS = WORD_COUNT * 2
# A story of WORD_COUNT words is about this many characters to narrate.
EXPECTED_CHARACTERS = WORD_COUNT * 7
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


def expected_units() -> Usage:
    """The tokens one story is expected to take (what is reserved before it is written)."""
    return Usage(
        unit="tokens", input_units=EXPECTED_INPUT_TOKENS, output_units=EXPECTED_OUTPUT_TOKENS
    )


def expected_characters() -> int:
    """The characters a story of the usual length gives to narrate (when its text is unknown)."""
    return EXPECTED_CHARACTERS


def messages(
    *, hero: HeroBrief, occasion: OccasionBrief, language: str, word_count: int
) -> ChatPrompt:
    """The chat prompts, schema and limit; the family's words go in the data block."""
    events = prompts.load_json("story/v1/events.json")
    data: dict = {
        "hero": {
            "name": hero.name,
            "age": hero.age,
            "traits": list(hero.traits),
            "appearance": hero.appearance,
            "abilities": list(hero.abilities),
        }
    }
    if occasion.is_custom:
        data["custom_event"] = {
            "title": occasion.title,
            "description": occasion.description,
            "prompt": occasion.prompt_seed,
            "tone": occasion.tone,
        }
        guidance = events["custom"]
    else:
        event_type = occasion.event_type
        guidance = events.get(event_type) or f"a special day ({event_type.replace('_', ' ')})."
    system = prompts.render("story/v1/system.txt", word_count=word_count, age=hero.age)
    user = prompts.render(
        f"story/v1/{language}.txt", event_guidance=guidance, data=prompts.fence(data)
    )
    return ChatPrompt(
        system=system,
        user=user,
        schema=SCHEMA,
        schema_name="story",
        max_output_tokens=MAX_OUTPUT_TOKENS,
    )


def parse(answer: StoryResult) -> tuple[str, str]:
    """The title and text the model answered, stripped of the decoration models add."""
    return answer.title.strip().strip('"#* '), answer.content.strip()


def story_write(
    *,
    ctx: chain.CallContext,
    hero,
    language: str,
    event_type: str,
    custom_event=None,
    other_names: Iterable[str] = (),
) -> StoryDraft:
    """Write and moderate a story; GeneratedContentFlagged after two flagged drafts. The hero and
    `other_names` (the family's other heroes, whom its words may mention) each go out under a
    placeholder and come back by name."""
    occasion = OccasionBrief(event_type=event_type)
    if custom_event is not None:
        occasion = OccasionBrief(
            event_type=event_type,
            title=custom_event.title,
            description=custom_event.description,
            prompt_seed=custom_event.prompt_seed,
            tone=custom_event.tone,
        )
    brief = HeroBrief.of(hero)
    pseudonym = Cast.choose(
        brief.name,
        others=other_names,
        language=language,
        texts=[*brief.texts()[1:], *occasion.texts()],
    )
    hidden_hero = brief.pseudonymised(placeholder=pseudonym.placeholder, hide=pseudonym.hide)
    hidden_occasion = occasion.pseudonymised(hide=pseudonym.hide)
    request = StoryRequest(
        hero=hidden_hero,
        occasion=hidden_occasion,
        language=language,
        word_count=WORD_COUNT,
        prompt=messages(
            hero=hidden_hero, occasion=hidden_occasion, language=language, word_count=WORD_COUNT
        ),
        safety_identifier=ctx.safety_identifier,
    )
    ctx = ctx.but(operation=Operation.STORY_GENERATION, prompt_version=PROMPT_VERSION)
    for attempt in (1, 2):
        title, content = parse(chain.call(ctx=ctx, request=request))
        if not title or not content:
            logger.warning("Story model answered without title or content (attempt %d)", attempt)
            continue
        categories = moderation.moderation_check(ctx=ctx, text=f"{title}\n\n{content}")
        if not categories:
            return StoryDraft(
                title=pseudonym.reveal(title)[:200],
                content=pseudonym.reveal(content),
                prompt_version=PROMPT_VERSION,
            )
        logger.warning(
            "Generated story flagged by moderation (user %s, attempt %d): %s",
            ctx.user_id,
            attempt,
            ",".join(categories),
        )
    raise GeneratedContentFlagged(
        "The story model gave no usable story twice.", operation=Operation.STORY_GENERATION
    )
