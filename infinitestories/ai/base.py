"""The provider interface: what each AI use case asks for, in its own terms, and what comes back.

A request says what the use case means (the hero, the occasion, the language); each provider
builds its own vendor call from it (OpenAI: prompts and parameters; the offline provider: a story
made from the same facts). Each result carries what metering needs: the model that answered and
the units used. `Usage.reported` says whether the units came from the vendor's own answer
(tokens) or were counted by us (characters, images).
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from django.db import models


class Operation(models.TextChoices):
    """What an AI call was for: the `operation` of every usage row."""

    STORY_GENERATION = "story_generation"
    AUDIO_SYNTHESIS = "audio_synthesis"
    # Word timings for read-along, where the speech vendor gives none (a transcription pass).
    AUDIO_TRANSCRIPTION = "audio_transcription"
    IMAGE_GENERATION = "image_generation"
    AVATAR_GENERATION = "avatar_generation"
    SCENE_EXTRACTION = "scene_extraction"
    VISUAL_PROFILE = "visual_profile"
    MODERATION = "moderation"


@dataclass
class Usage:
    unit: str  # "tokens" | "characters" | "images" | "seconds" (of audio transcribed)
    input_units: int = 0
    output_units: int = 0
    reported: bool = False


# --- What a use case asks for --------------------------------------------------------------------


@dataclass(frozen=True)
class HeroBrief:
    """The facts about a hero that an AI call may use."""

    name: str
    age: int
    traits: tuple[str, ...]
    appearance: str
    abilities: tuple[str, ...] = ()

    @classmethod
    def of(cls, hero) -> "HeroBrief":
        return cls(
            name=hero.name,
            age=hero.age,
            traits=tuple(hero.traits or ()),
            appearance=hero.appearance,
            abilities=tuple(hero.abilities or ()),
        )

    def texts(self) -> list[str]:
        """Everything the family wrote about the hero."""
        return [self.name, self.appearance, *self.traits, *self.abilities]

    def pseudonymised(self, *, placeholder: str, hide: Callable[[str], str]) -> "HeroBrief":
        """The same hero as a vendor may see it: called `placeholder`, the name hidden
        everywhere else (privacy.Pseudonym)."""
        return replace(
            self,
            name=placeholder,
            appearance=hide(self.appearance),
            traits=tuple(map(hide, self.traits)),
            abilities=tuple(map(hide, self.abilities)),
        )


@dataclass(frozen=True)
class OccasionBrief:
    """What the story is for: a built-in event type, or a family's own event."""

    event_type: str
    title: str = ""
    description: str = ""
    prompt_seed: str = ""
    tone: str = ""

    @property
    def is_custom(self) -> bool:
        return bool(self.prompt_seed)

    def texts(self) -> list[str]:
        return [self.title, self.description, self.prompt_seed, self.tone]

    def pseudonymised(self, *, hide: Callable[[str], str]) -> "OccasionBrief":
        """The occasion with the hero's name hidden from the family's words."""
        return replace(
            self,
            title=hide(self.title),
            description=hide(self.description),
            prompt_seed=hide(self.prompt_seed),
            tone=hide(self.tone),
        )


@dataclass(frozen=True)
class StoryRequest:
    hero: HeroBrief
    occasion: OccasionBrief
    language: str
    word_count: int


@dataclass(frozen=True)
class ScenesRequest:
    content: str
    count: int
    hero_name: str


@dataclass(frozen=True)
class VisualProfileRequest:
    hero: HeroBrief
    avatar_prompt: str


# --- What comes back -------------------------------------------------------------------------------


@dataclass
class StoryResult:
    title: str
    content: str
    model: str
    usage: Usage


@dataclass
class ScenesResult:
    scenes: list[dict]  # {"description", "anchor", "mood"}
    model: str
    usage: Usage


@dataclass
class VisualProfileResult:
    profile: dict
    model: str
    usage: Usage


@dataclass
class SpeechResult:
    audio: bytes
    model: str
    usage: Usage
    # Word timings from the vendor's own alignment of the text (timings.Word), when it gives one.
    words: list | None = None


@dataclass
class TranscriptionResult:
    words: list[tuple[str, float, float]]  # (word as heard, start, end) in seconds
    model: str
    usage: Usage


@dataclass
class ImageResult:
    image: bytes
    model: str
    usage: Usage
    generation_id: str = ""


@dataclass
class ModerationResult:
    flagged: bool
    model: str
    usage: Usage
    categories: list[str] = field(default_factory=list)


class Provider(Protocol):
    name: str

    # The methods whose vendor API tracks abuse per end user: chain.call passes them
    # `safety_identifier=`, the user's keyed hash (privacy.safety_identifier; empty for work
    # done for nobody in particular). Other methods never receive it.
    identified_methods: frozenset[str] = frozenset()

    def model_for(self, method: str) -> str:
        """The model a method uses (metered on failures too, when no answer names it)."""
        ...

    def write_story(self, request: StoryRequest) -> StoryResult: ...

    def pick_scenes(self, request: ScenesRequest) -> ScenesResult: ...

    def describe_hero(self, request: VisualProfileRequest) -> VisualProfileResult: ...

    def speak(self, *, text: str, voice: str) -> SpeechResult:
        """MP3 of `text`, at most `input_limit` characters, in one of the PRD's voices.

        A speaking provider also says where its word timings come from (`speech_timings`:
        timings.VENDOR, TRANSCRIPTION or ESTIMATED); one that can transcribe has
        `transcribe(*, audio) -> TranscriptionResult`.
        """
        ...

    def draw(
        self, *, prompt: str, reference: bytes | None = None, quality: str = "", size: str = ""
    ) -> ImageResult:
        """A picture from `prompt`; drawn from `reference` where the model takes one. Empty
        `quality` and `size` mean the configured defaults (AI_IMAGE_QUALITY, AI_IMAGE_SIZE)."""
        ...

    def moderate(self, *, text: str) -> ModerationResult: ...

    def moderate_image(self, *, image: bytes) -> ModerationResult:
        """Moderation of a picture (an uploaded avatar, a drawn one)."""
        ...
