"""The offline provider: deterministic, no network, real files. The embedded default.

It answers the same interface as OpenAI from the structured `data` each use case passes next to
its prompt (the prompt itself is for a language model; this provider does not parse it).
"""

import hashlib
import re

from .audio_files import silent_mp3
from .base import ImageResult, ModerationResult, SpeechResult, StructuredResult, TextResult, Usage
from .errors import PermanentProviderError
from .local_media import picture
from .local_stories import write_story
from .speech import NARRATION_SECONDS_PER_WORD as SECONDS_PER_WORD

# About 150 spoken words a minute, a calm bedtime pace.

# A deliberately small list: the offline moderation is for development and tests, not a filter.
_FLAGGED = re.compile(
    r"\b(kill|killing|murder|blood|bloody|gun|guns|knife|stab|suicide|gore|sex|sexy|naked|"
    r"matar|sangre|pistola|cuchillo|tuer|couteau|töten|blut|messer|waffe|uccidere|sangue|"
    r"coltello)\b",
    re.IGNORECASE,
)


def _tokens(*texts: str) -> int:
    return sum(max(1, len(t) // 4) for t in texts if t)


class LocalProvider:
    name = "local"
    supports_reference_images = True
    model = "local-1"

    def chat(self, *, task, tier, system, user, data, max_output_tokens) -> TextResult:
        text = data.get("text") or ""
        return TextResult(
            text=text, model=self.model, usage=Usage("tokens", _tokens(system, user), _tokens(text))
        )

    def structured(
        self, *, task, tier, system, user, data, schema, schema_name, max_output_tokens
    ) -> StructuredResult:
        handler = {
            "story": self._story,
            "scenes": self._scenes,
            "visual_profile": self._visual_profile,
        }.get(task)
        if handler is None:
            raise PermanentProviderError(
                f"The local provider cannot do {task!r}.", provider=self.name
            )
        result = handler(data)
        out = " ".join(str(v) for v in result.values())
        return StructuredResult(
            data=result,
            model=self.model,
            usage=Usage("tokens", _tokens(system, user), _tokens(out)),
        )

    def _story(self, data: dict) -> dict:
        title, content = write_story(
            language=data["language"],
            name=data["name"],
            age=data["age"],
            traits=data.get("traits") or [],
            abilities=data.get("abilities") or [],
            event=data["event"],
            paragraphs=data.get("paragraphs"),
        )
        return {"title": title, "content": content}

    def _scenes(self, data: dict) -> dict:
        paragraphs = [p for p in data["content"].split("\n\n") if p.strip()]
        count = max(1, int(data["count"]))
        scenes = []
        for i in range(count):
            paragraph = paragraphs[min(len(paragraphs) - 1, i * len(paragraphs) // count)]
            sentence = re.split(r"(?<=[.!?])\s+", paragraph.strip())[0]
            scenes.append(
                {
                    "description": f"{data.get('hero_name', 'The hero')}: {sentence}",
                    "anchor": " ".join(paragraph.split()[:6]),
                    "mood": "calm",
                }
            )
        return {"scenes": scenes}

    def _visual_profile(self, data: dict) -> dict:
        appearance = (data.get("appearance") or "").lower()
        colours = ["blonde", "brown", "black", "red", "auburn", "blue", "green", "grey", "white"]

        def find(after: str, default: str) -> str:
            for colour in colours:
                if re.search(rf"\b{colour}\b[^,.]*\b{after}", appearance):
                    return colour
            return default

        style = next(
            (s for s in ("curly", "straight", "wavy", "short", "long") if s in appearance), ""
        )
        name, age = data.get("name", "the hero"), data.get("age", 7)
        hair, eyes = find("hair", "brown"), find("eye", "brown")
        canonical = (
            f"A {age}-year-old child named {name} with {style + ' ' if style else ''}{hair} hair "
            f"and {eyes} eyes, {appearance or 'a friendly face'}, soft watercolor storybook style"
        )
        return {
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

    def speech(self, *, text, voice, instructions) -> SpeechResult:
        words = len(text.split())
        return SpeechResult(
            audio=silent_mp3(words * SECONDS_PER_WORD),
            model=self.model,
            usage=Usage("characters", input_units=len(text)),
        )

    def image(self, *, prompt, size) -> ImageResult:
        return ImageResult(
            image=picture(prompt),
            model=self.model,
            usage=Usage("images", output_units=1),
            generation_id="local_" + hashlib.sha256(prompt.encode()).hexdigest()[:16],
        )

    def image_edit(self, *, prompt, reference, size) -> ImageResult:
        return ImageResult(
            image=picture(prompt, reference=reference),
            model=self.model,
            usage=Usage("images", output_units=1),
            generation_id="local_" + hashlib.sha256(prompt.encode()).hexdigest()[:16],
        )

    def moderate(self, *, text) -> ModerationResult:
        hits = sorted({m.group(0).lower() for m in _FLAGGED.finditer(text)})
        return ModerationResult(
            flagged=bool(hits),
            model=self.model,
            usage=Usage("characters", input_units=len(text)),
            categories=["violence"] if hits else [],
        )
