"""What the shared page shows: the story's words (each spoken word with its moment in the
narration, for read-along), its paragraphs, its pictures at their places, and its narration.

Nothing here names the family: no avatar, no e-mail, no ids. With `hide_name` the hero's name is
hidden by the same privacy.Pseudonym the AI prompts use, its placeholder a neutral nickname of
the story's language; the page then has no narration, since the voice says the name.
"""

import bisect
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from heroes.selectors import hero_names
from infinitestories.ai import timings
from infinitestories.ai.privacy import Pseudonym
from infinitestories.ai.speech import NARRATION_SECONDS_PER_WORD

from .models import Story, StoryIllustration, StoryShare
from .selectors import narration_timings_answer

# The word that stands for the hero on a page shared with hideName: a nickname that reads as a
# name in every sentence position (no article, no elision, a German genitive "s" fits), and
# says nothing about who the child is.
NEUTRAL_NAMES = {
    "en": "Little Star",
    "es": "Estrellita",
    "fr": "Petite Étoile",
    "de": "Sternchen",
    "it": "Stellina",
}
# The words that stand for the family's other heroes (a brother or sister the story names, as
# the AI prompts hide them too), in turn; each reads as a name and starts with a consonant.
OTHER_NEUTRAL_NAMES = {
    "en": ["Little Moon", "Little Cloud", "Little Comet"],
    "es": ["Lunita", "Nubecita", "Cometita"],
    "fr": ["Petite Lune", "Petit Nuage", "Petite Comète"],
    "de": ["Möndchen", "Wölkchen", "Kometchen"],
    "it": ["Lunetta", "Nuvoletta", "Cometina"],
}
# French elides before a vowel ("d'Inès"); the nickname starts with a consonant: "de Petite Étoile".
_FRENCH_UNELIDED = {"d": "de", "qu": "que", "jusqu": "jusque", "lorsqu": "lorsque"}
_FRENCH_UNELIDED |= {"puisqu": "puisque"}
_PARAGRAPH = re.compile(r"\n+")


def name_hide(text: str, *, name: str, language: str, others: Sequence[str] = ()) -> str:
    """`text` with the hero's `name` replaced by the language's neutral nickname, and the
    family's `others` (its other heroes' names) by other neutral nicknames."""
    hidden, words = text, []
    spare = OTHER_NEUTRAL_NAMES.get(language, OTHER_NEUTRAL_NAMES["en"])
    names = [(name, NEUTRAL_NAMES.get(language, NEUTRAL_NAMES["en"]))]
    seen = {name.strip().casefold()}
    for other in others:
        if other.strip() and other.strip().casefold() not in seen:
            seen.add(other.strip().casefold())
            names.append((other, spare[(len(names) - 1) % len(spare)]))
    for real, word in names:
        if real.strip():
            hidden = Pseudonym(name=real, placeholder=word, language=language).hide(hidden)
            words.append(word)
    if language == "fr" and words:
        eliding = "|".join(_FRENCH_UNELIDED)
        nicknames = "|".join(re.escape(word) for word in words)
        hidden = re.sub(
            rf"(?<!\w)({eliding})['\u2019](?={nicknames})",
            lambda m: _same_case(m.group(1), _FRENCH_UNELIDED[m.group(1).lower()]) + " ",
            hidden,
            flags=re.IGNORECASE,
        )
    return hidden


def _same_case(written: str, word: str) -> str:
    return word[:1].upper() + word[1:] if written[:1].isupper() else word


@dataclass
class Word:
    text: str
    start: float | None = None
    end: float | None = None


@dataclass
class Block:
    """A run of the text between spoken words ("before"), then the word; `tail` ends a line."""

    pieces: list[tuple[str, Word]] = field(default_factory=list)
    tail: str = ""


@dataclass
class Picture:
    number: int  # 1-based, in the page's order: its media URL names it, never its id
    alt: str


@dataclass
class Page:
    language: str
    title: Block
    # In reading order: ("paragraph", Block) or ("picture", Picture).
    body: list[tuple[str, object]]
    narrated: bool
    hide_name: bool


def _block(text: str) -> tuple[Block, list[Word]]:
    block, words, cursor = Block(), [], 0
    for span in timings.spoken_words(text):
        word = Word(text=span.text)
        block.pieces.append((text[cursor : span.begin], word))
        words.append(word)
        cursor = span.end
    block.tail = text[cursor:]
    return block, words


def _normal(word: str) -> str:
    return re.sub(r"[\W_]+", "", word).casefold()


def _align(shown: list[Word], spoken: list[dict]) -> dict[int, int]:
    """Which shown word each spoken word is (index to index). The same words in the same order
    map one to one; a title edited after the narration was made is matched as a sequence, and
    words only on one side get no moment."""
    a = [_normal(w.text) for w in shown]
    b = [_normal(w["text"]) for w in spoken]
    if a == b:
        return {i: i for i in range(len(b))}
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return {
        block.b + k: block.a + k
        for block in matcher.get_matching_blocks()
        for k in range(block.size)
    }


def shared_pictures(*, story: Story) -> list[StoryIllustration]:
    """The pictures a shared page shows, in its order (their 1-based place names them)."""
    return [
        row
        for row in story.illustrations.order_by("display_order", "created_at")
        if row.generation_status == StoryIllustration.Status.COMPLETED and row.image_key
    ]


def page_narrated(*, share: StoryShare) -> bool:
    story = share.story
    return not share.hide_name and story.audio_generated and bool(story.audio_key)


def page_build(*, share: StoryShare) -> Page:
    """The page of `share`'s story: title, paragraphs, pictures placed before the paragraph whose
    words the narration speaks at the picture's moment, and read-along moments per word.

    1. Hide the hero's name (hideName) in the title and text.
    2. Split the text into paragraphs and those into spoken words, as the timings count them
       (timings.spoken_words over the title, then the text).
    3. Give each shown word its moment from the story's word timings (when narrated).
    4. Place each picture: the word spoken at its timestamp (or, without timings, the word at
       the same share of the text), before that word's paragraph.
    """
    story = share.story
    title, content = story.title, story.content
    others = _family_names(story=story) if share.hide_name else []
    if share.hide_name:
        title = name_hide(title, name=story.hero_name, language=story.language, others=others)
        content = name_hide(content, name=story.hero_name, language=story.language, others=others)

    title_block, shown = _block(title)
    title_count = len(shown)
    paragraphs: list[tuple[Block, int]] = []  # each with the index of its first word
    for text in _PARAGRAPH.split(content):
        if text.strip():
            block, words = _block(text.strip())
            paragraphs.append((block, len(shown)))
            shown.extend(words)

    narrated = page_narrated(share=share)
    answer = narration_timings_answer(story=story) if narrated else None
    spoken = answer["words"] if answer else []
    mapping = _align(shown, spoken)
    for j, i in mapping.items():
        shown[i].start, shown[i].end = spoken[j]["start"], spoken[j]["end"]

    content_words = max(len(shown) - title_count, 1)
    duration = story.audio_duration or content_words * NARRATION_SECONDS_PER_WORD
    starts = [w["start"] for w in spoken]
    firsts = [first for _, first in paragraphs]
    placed: dict[int, list[Picture]] = {}
    rows = shared_pictures(story=story)
    for number, row in enumerate(rows, start=1):
        j = bisect.bisect_left(starts, row.timestamp - 0.001) if spoken else len(spoken)
        if j < len(spoken) and j in mapping:
            index = mapping[j]
        else:
            share_of_text = min(max(row.timestamp / duration, 0.0), 1.0) if duration else 0.0
            index = title_count + int(share_of_text * (content_words - 1))
        paragraph = max(bisect.bisect_right(firsts, index) - 1, 0)
        placed.setdefault(paragraph, []).append(
            Picture(number=number, alt=_alt(row, share, others=others))
        )

    body: list[tuple[str, object]] = []
    for n, (block, _) in enumerate(paragraphs):
        body.extend(("picture", picture) for picture in placed.pop(n, []))
        body.append(("paragraph", block))
    for pictures in placed.values():  # a story with no text at all
        body.extend(("picture", picture) for picture in pictures)
    return Page(
        language=story.language,
        title=title_block,
        body=body,
        narrated=narrated,
        hide_name=share.hide_name,
    )


def _alt(row: StoryIllustration, share: StoryShare, *, others: list[str]) -> str:
    """The scene the picture draws (written in English by the scenes step; the page marks it
    lang="en"), with the names hidden as in the text; empty when unknown."""
    text = " ".join(row.scene_description.split())
    if share.hide_name:
        text = name_hide(text, name=share.story.hero_name, language="en", others=others)
    return text


def _family_names(*, story: Story) -> list[str]:
    """The family's other heroes' names (a brother or sister the story may name), and the
    hero's own name today when it was renamed after the story was written."""
    return [name for name in hero_names(user=story.user) if name != story.hero_name]
