"""The offline provider: deterministic, no network, real files. The embedded default.

It answers each use case's request from the same facts a language model would get: a story
written from the hero and the occasion, scenes taken from the story's paragraphs, a visual
profile read from the hero's appearance, silent MP3s as long as the text takes to read, and real
PNGs that differ per prompt.
"""

import hashlib
import re

from . import timings
from .audio_files import silent_mp3
from .base import (
    DEFAULT_SPEECH_INPUT_LIMIT,
    Capability,
    ImageResult,
    ModerationResult,
    Provider,
    ScenesRequest,
    ScenesResult,
    SpeechResult,
    StoryRequest,
    StoryResult,
    Usage,
    VisualProfileRequest,
    VisualProfileResult,
)
from .local_media import picture
from .local_stories import event_phrase, write_story

# A deliberately small list: the offline moderation is for development and tests, not a filter.
_FLAGGED = re.compile(
    r"\b(kill|killing|murder|blood|bloody|gun|guns|knife|stab|suicide|gore|sex|sexy|naked|"
    r"matar|sangre|pistola|cuchillo|tuer|couteau|töten|blut|messer|waffe|uccidere|sangue|"
    r"coltello)\b",
    re.IGNORECASE,
)
_COLOURS = ["blonde", "brown", "black", "red", "auburn", "blue", "green", "grey", "white"]


def _tokens(*texts: str) -> int:
    return sum(max(1, len(t) // 4) for t in texts if t)


class LocalProvider(Provider):
    """Answers each use case from the same facts a model would get (the request's brief)."""

    name = "local"
    model = "local-1"
    # Everything but transcription: its own narration's timings need none.
    capabilities = frozenset(Capability) - {Capability.TRANSCRIBE}
    # Its voice is silence as long as the text takes to read: timings are estimated from the text.
    speech_timings = timings.ESTIMATED
    input_limit = DEFAULT_SPEECH_INPUT_LIMIT

    def model_for(self, capability: Capability) -> str:
        return self.model

    def write_story(self, request: StoryRequest) -> StoryResult:
        hero, occasion = request.hero, request.occasion
        title, content = write_story(
            language=request.language,
            name=hero.name,
            age=hero.age,
            traits=list(hero.traits),
            abilities=list(hero.abilities),
            event=event_phrase(
                language=request.language,
                event_type=occasion.event_type,
                custom_title=occasion.title if occasion.is_custom else "",
            ),
        )
        return StoryResult(
            title=title,
            content=content,
            model=self.model,
            usage=Usage("tokens", _tokens(request.prompt.user), _tokens(title, content)),
        )

    def pick_scenes(self, request: ScenesRequest) -> ScenesResult:
        paragraphs = [p for p in request.content.split("\n\n") if p.strip()]
        count = max(1, request.count)
        scenes = []
        for i in range(count):
            paragraph = paragraphs[min(len(paragraphs) - 1, i * len(paragraphs) // count)]
            sentence = re.split(r"(?<=[.!?])\s+", paragraph.strip())[0]
            scenes.append(
                {
                    "description": f"{request.hero_name}: {sentence}",
                    "anchor": " ".join(paragraph.split()[:6]),
                    "mood": "calm",
                }
            )
        return ScenesResult(
            scenes=scenes,
            model=self.model,
            usage=Usage("tokens", _tokens(request.content), _tokens(str(scenes))),
        )

    def describe_hero(self, request: VisualProfileRequest) -> VisualProfileResult:
        hero = request.hero
        appearance = hero.appearance.lower()

        def find(after: str, default: str) -> str:
            for colour in _COLOURS:
                if re.search(rf"\b{colour}\b[^,.]*\b{after}", appearance):
                    return colour
            return default

        style = next(
            (s for s in ("curly", "straight", "wavy", "short", "long") if s in appearance), ""
        )
        hair, eyes = find("hair", "brown"), find("eye", "brown")
        canonical = (
            f"A {hero.age}-year-old child named {hero.name} with "
            f"{style + ' ' if style else ''}{hair} hair and {eyes} eyes, "
            f"{appearance or 'a friendly face'}, soft watercolor storybook style"
        )
        profile = {
            "hair_color": hair,
            "hair_style": style,
            "eye_color": eyes,
            "skin_tone": "",
            "body_type": "child",
            "height": "",
            "clothing_style": "comfortable everyday clothes",
            "color_palette": ["sky blue", "warm yellow"],
            "accessories": [],
            "art_style": "soft watercolor storybook",
            "canonical_prompt": canonical,
            "simplified_prompt": f"child, {hair} hair, {eyes} eyes, watercolor",
        }
        return VisualProfileResult(
            profile=profile,
            model=self.model,
            usage=Usage("tokens", _tokens(request.prompt.user), _tokens(str(profile))),
        )

    def speak(self, *, text: str, voice: str, language: str = "en") -> SpeechResult:
        return SpeechResult(
            audio=silent_mp3(len(text.split()) * timings.NARRATION_SECONDS_PER_WORD),
            model=self.model,
            usage=Usage("characters", input_units=len(text)),
        )

    def draw(
        self,
        *,
        prompt: str,
        reference: bytes | None = None,
        quality: str = "",
        size: str = "",
        safety_identifier: str = "",
    ) -> ImageResult:
        return ImageResult(
            image=picture(prompt, reference=reference),
            model=self.model,
            usage=Usage("images", output_units=1),
            generation_id="local_" + hashlib.sha256(prompt.encode()).hexdigest()[:16],
        )

    def moderate(self, *, text: str) -> ModerationResult:
        hits = sorted({m.group(0).lower() for m in _FLAGGED.finditer(text)})
        return ModerationResult(
            flagged=bool(hits),
            model=self.model,
            usage=Usage("characters", input_units=len(text)),
            categories=["violence"] if hits else [],
        )

    def moderate_image(self, *, image: bytes) -> ModerationResult:
        # Offline there is nothing to look at pictures with: development only, never a fallback
        # for real moderation (chain.call).
        return ModerationResult(
            flagged=False, model=self.model, usage=Usage("images", input_units=1)
        )
