"""The provider interface: one typed request and answer per capability, and `Provider`, the
base every vendor implements (OpenAI, ElevenLabs, the offline one).

The use-case modules (story_text, scenes, visual_profile, speech, images, moderation) build the
requests, with everything a vendor call needs already decided (the chat prompts, the schema,
the output limit, the names already hidden), and read the answers; a provider only carries a
request to its vendor and back, so it never imports a use case (and the chain, which builds the
providers, sits below every use case: no import cycle). A request knows its capability and
which provider method serves it (`send`): the chain calls that, never a method by its name.

Each answer carries what metering needs: the model that answered and the units used.
`Usage.reported` says whether the units came from the vendor's own answer (tokens) or were
counted by us (characters, images).
"""

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import ClassVar

from django.db import models

from .errors import PermanentProviderError


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


class Capability(StrEnum):
    """What a provider can be asked to do: one method of `Provider` each. A cool-down is per
    vendor and capability (a picture's error does not move narration to another vendor)."""

    WRITE_STORY = "write_story"
    PICK_SCENES = "pick_scenes"
    DESCRIBE_HERO = "describe_hero"
    SPEAK = "speak"
    TRANSCRIBE = "transcribe"
    DRAW = "draw"
    MODERATE = "moderate"
    MODERATE_IMAGE = "moderate_image"


# OpenAI's speech endpoint limit; each vendor has its own (`Provider.input_limit`).
DEFAULT_SPEECH_INPUT_LIMIT = 4096


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
class ChatPrompt:
    """A chat call answering JSON that follows `schema`, as a use case wrote it: the family's
    words already fenced as data and their names already hidden."""

    system: str
    user: str
    schema: dict
    schema_name: str
    max_output_tokens: int


@dataclass
class ChatAnswer:
    """The JSON object a chat model answered, with what it cost (a vendor's raw answer; the
    typed answers below are read from it)."""

    data: dict
    model: str
    usage: Usage


@dataclass
class StoryResult:
    title: str
    content: str
    model: str
    usage: Usage

    @classmethod
    def from_answer(cls, answer: ChatAnswer) -> "StoryResult":
        data = answer.data
        return cls(
            title=str(data.get("title", "")),
            content=str(data.get("content", "")),
            model=answer.model,
            usage=answer.usage,
        )


@dataclass
class ScenesResult:
    scenes: list[dict]  # {"description", "anchor", "mood"}
    model: str
    usage: Usage

    @classmethod
    def from_answer(cls, answer: ChatAnswer) -> "ScenesResult":
        found = answer.data.get("scenes")
        return cls(
            scenes=found if isinstance(found, list) else [], model=answer.model, usage=answer.usage
        )


@dataclass
class VisualProfileResult:
    profile: dict
    model: str
    usage: Usage

    @classmethod
    def from_answer(cls, answer: ChatAnswer) -> "VisualProfileResult":
        return cls(profile=answer.data, model=answer.model, usage=answer.usage)


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


# --- What a use case asks for: one request per capability ------------------------------------------
#
# `safety_identifier` is the user's keyed hash (privacy.safety_identifier; empty for work done for
# nobody in particular), on the requests whose vendor API tracks abuse per end user (chat and
# images at OpenAI); the others have no such field, so it cannot be sent with them.


@dataclass(frozen=True)
class StoryRequest:
    capability: ClassVar[Capability] = Capability.WRITE_STORY
    hero: HeroBrief
    occasion: OccasionBrief
    language: str
    word_count: int
    prompt: ChatPrompt
    safety_identifier: str = ""

    def send(self, provider: "Provider") -> StoryResult:
        return provider.write_story(self)


@dataclass(frozen=True)
class ScenesRequest:
    capability: ClassVar[Capability] = Capability.PICK_SCENES
    content: str
    count: int
    hero_name: str
    prompt: ChatPrompt
    safety_identifier: str = ""

    def send(self, provider: "Provider") -> ScenesResult:
        return provider.pick_scenes(self)


@dataclass(frozen=True)
class VisualProfileRequest:
    capability: ClassVar[Capability] = Capability.DESCRIBE_HERO
    hero: HeroBrief
    avatar_prompt: str
    prompt: ChatPrompt
    safety_identifier: str = ""

    def send(self, provider: "Provider") -> VisualProfileResult:
        return provider.describe_hero(self)


@dataclass(frozen=True)
class SpeechRequest:
    """`text` within the provider's `input_limit`, in one of the PRD's voices; `language` picks
    the voice of vendors whose voices each speak one language (Polly)."""

    capability: ClassVar[Capability] = Capability.SPEAK
    text: str
    voice: str
    language: str = "en"

    def send(self, provider: "Provider") -> SpeechResult:
        return provider.speak(text=self.text, voice=self.voice, language=self.language)


@dataclass(frozen=True)
class TranscriptionRequest:
    capability: ClassVar[Capability] = Capability.TRANSCRIBE
    audio: bytes

    def send(self, provider: "Provider") -> TranscriptionResult:
        return provider.transcribe(audio=self.audio)


@dataclass(frozen=True)
class ImageRequest:
    """A picture from `prompt` (names hidden); drawn from `reference` where the model takes
    one. Empty `quality` and `size` mean the configured defaults (AI_IMAGE_QUALITY, _SIZE)."""

    capability: ClassVar[Capability] = Capability.DRAW
    prompt: str
    reference: bytes | None = None
    quality: str = ""
    size: str = ""
    safety_identifier: str = ""

    def send(self, provider: "Provider") -> ImageResult:
        return provider.draw(
            prompt=self.prompt,
            reference=self.reference,
            quality=self.quality,
            size=self.size,
            safety_identifier=self.safety_identifier,
        )


@dataclass(frozen=True)
class ModerationRequest:
    capability: ClassVar[Capability] = Capability.MODERATE
    text: str

    def send(self, provider: "Provider") -> ModerationResult:
        return provider.moderate(text=self.text)


@dataclass(frozen=True)
class ImageModerationRequest:
    """A picture to classify (an uploaded avatar, a drawn one), without its metadata."""

    capability: ClassVar[Capability] = Capability.MODERATE_IMAGE
    image: bytes

    def send(self, provider: "Provider") -> ModerationResult:
        return provider.moderate_image(image=self.image)


Request = (
    StoryRequest
    | ScenesRequest
    | VisualProfileRequest
    | SpeechRequest
    | TranscriptionRequest
    | ImageRequest
    | ModerationRequest
    | ImageModerationRequest
)


class Provider(ABC):
    """What every vendor implements: one method per capability it has (`capabilities`). The
    others refuse, permanently: the chain never asks a provider for what it cannot do."""

    name: str = ""
    capabilities: frozenset[Capability] = frozenset()
    # Characters billed per character spoken (Polly asks twice: the audio, then the timings).
    billed_characters_per_character: int = 1
    # Where a speaking provider's word timings come from (timings.VENDOR, TRANSCRIPTION or
    # ESTIMATED), and how many characters one speech request may carry.
    speech_timings: str = ""
    input_limit: int = DEFAULT_SPEECH_INPUT_LIMIT

    @abstractmethod
    def model_for(self, capability: Capability) -> str:
        """The model a capability uses (metered on failures too, when no answer names it)."""

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def _cannot(self, capability: Capability):
        return PermanentProviderError(
            f"{self.name} cannot {capability.value.replace('_', ' ')}", provider=self.name
        )

    # The chat capabilities take their request whole (prompts, schema, limit, what the
    # offline provider writes from); the others take its fields.
    def write_story(self, request: StoryRequest) -> StoryResult:
        raise self._cannot(Capability.WRITE_STORY)

    def pick_scenes(self, request: ScenesRequest) -> ScenesResult:
        raise self._cannot(Capability.PICK_SCENES)

    def describe_hero(self, request: VisualProfileRequest) -> VisualProfileResult:
        raise self._cannot(Capability.DESCRIBE_HERO)

    def speak(self, *, text: str, voice: str, language: str = "en") -> SpeechResult:
        """MP3 of `text` (at most `input_limit` characters) in one of the PRD's voices."""
        raise self._cannot(Capability.SPEAK)

    def transcribe(self, *, audio: bytes) -> TranscriptionResult:
        raise self._cannot(Capability.TRANSCRIBE)

    def draw(
        self,
        *,
        prompt: str,
        reference: bytes | None = None,
        quality: str = "",
        size: str = "",
        safety_identifier: str = "",
    ) -> ImageResult:
        """A picture from `prompt`; see ImageRequest."""
        raise self._cannot(Capability.DRAW)

    def moderate(self, *, text: str) -> ModerationResult:
        raise self._cannot(Capability.MODERATE)

    def moderate_image(self, *, image: bytes) -> ModerationResult:
        raise self._cannot(Capability.MODERATE_IMAGE)
