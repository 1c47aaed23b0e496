"""OpenAI (or any OpenAI-compatible endpoint) through the official SDK.

Each use case's request becomes OpenAI's call here: the chat prompts come from the use-case
modules' versioned templates, every model name, the base URL, the timeout and the retries are
settings (OpenAI retires models often, so swapping one is a configuration change). Only
parameters the real API has are sent (there is no "previous generation id" for images:
consistency comes from the visual profile and the avatar as a reference picture, images.edit).
The user's keyed hash goes out as `safety_identifier` where the API has the field (chat and
images; the moderation and speech endpoints have none).
"""

import base64
import io
import json
import logging

import openai
from django.conf import settings
from PIL import Image

from . import chain, scenes, story_text, timings, visual_profile
from .base import (
    ImageResult,
    ModerationResult,
    ScenesRequest,
    ScenesResult,
    SpeechResult,
    StoryRequest,
    StoryResult,
    TranscriptionResult,
    Usage,
    VisualProfileRequest,
    VisualProfileResult,
)
from .errors import ContentRefused, PermanentProviderError, TransientProviderError

logger = logging.getLogger(__name__)

# Codes the image and chat APIs use when they refuse a prompt on safety grounds.
_SAFETY_CODES = {"content_policy_violation", "moderation_blocked", "safety_violation"}


class OpenAIProvider:
    name = "openai"
    # The speech endpoint returns audio only: read-along timings come from a transcription.
    speech_timings = timings.TRANSCRIPTION
    # The methods whose API has a `safety_identifier` field (chat and images): chain.call passes
    # them the user's keyed hash. Moderation, speech and transcription have no such field.
    identified_methods = frozenset({"write_story", "pick_scenes", "describe_hero", "draw"})

    def __init__(self) -> None:
        self.client = openai.OpenAI(
            api_key=settings.OPENAI_API_KEY or "missing-key",
            base_url=settings.OPENAI_BASE_URL or None,
            # Far under the task's soft time limit; the SDK's default is 600 s.
            timeout=settings.AI_REQUEST_TIMEOUT,
            # The SDK retries 429, 5xx and timeouts with back-off, never 400/401/403.
            max_retries=settings.AI_MAX_RETRIES,
        )
        self.input_limit = settings.AI_TTS_INPUT_LIMIT
        # The SDK imports each API's module (with its types) on first use, about 50 ms for chat
        # and narration together: touched here, they load when the process starts
        # (chain.providers_warm_up), not in a family's first story or narration.
        _ = (
            self.client.chat.completions,
            self.client.moderations,
            self.client.images,
            self.client.audio.speech,
            self.client.audio.transcriptions,
        )

    def model_for(self, method: str) -> str:
        return {
            "write_story": settings.AI_STORY_MODEL,
            "pick_scenes": settings.AI_SMALL_MODEL,
            "describe_hero": settings.AI_SMALL_MODEL,
            "speak": settings.AI_TTS_MODEL,
            "draw": settings.AI_IMAGE_MODEL,
            "moderate": settings.AI_MODERATION_MODEL,
            "transcribe": settings.AI_TRANSCRIPTION_MODEL,
            "moderate_image": settings.AI_MODERATION_MODEL,
        }[method]

    # --- text ------------------------------------------------------------------------------
    def write_story(self, request: StoryRequest, *, safety_identifier: str = "") -> StoryResult:
        system, user = story_text.messages(request)
        data, model, usage = self._structured(
            "write_story",
            system,
            user,
            story_text.SCHEMA,
            "story",
            story_text.MAX_OUTPUT_TOKENS,
            safety_identifier,
        )
        return StoryResult(
            title=str(data.get("title", "")),
            content=str(data.get("content", "")),
            model=model,
            usage=usage,
        )

    def pick_scenes(self, request: ScenesRequest, *, safety_identifier: str = "") -> ScenesResult:
        system, user = scenes.messages(request)
        data, model, usage = self._structured(
            "pick_scenes",
            system,
            user,
            scenes.SCHEMA,
            "scenes",
            scenes.MAX_OUTPUT_TOKENS,
            safety_identifier,
        )
        found = data.get("scenes")
        return ScenesResult(
            scenes=found if isinstance(found, list) else [], model=model, usage=usage
        )

    def describe_hero(
        self, request: VisualProfileRequest, *, safety_identifier: str = ""
    ) -> VisualProfileResult:
        system, user = visual_profile.messages(request)
        data, model, usage = self._structured(
            "describe_hero",
            system,
            user,
            visual_profile.SCHEMA,
            "visual_profile",
            visual_profile.MAX_OUTPUT_TOKENS,
            safety_identifier,
        )
        return VisualProfileResult(profile=data, model=model, usage=usage)

    def _structured(
        self,
        method: str,
        system: str,
        user: str,
        schema: dict,
        name: str,
        max_tokens: int,
        safety_identifier: str,
    ) -> tuple[dict, str, Usage]:
        """A chat completion answering JSON that follows `schema`: (answer, model, usage)."""
        model = self.model_for(method)
        response = self._call(
            self.client.chat.completions.create,
            **_identified(safety_identifier),
            model=model,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            max_completion_tokens=max_tokens,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": name, "schema": schema, "strict": True},
            },
        )
        message = response.choices[0].message
        billed = _tokens(response)  # an answer is paid for, whether we can use it or not
        if getattr(message, "refusal", None):
            raise ContentRefused(message.refusal, provider=self.name, status=200, usage=billed)
        try:
            parsed = json.loads(message.content or "")
        except ValueError as exc:
            # A malformed answer is worth one more try, not a permanent failure.
            raise TransientProviderError(
                "The model answered with invalid JSON.", provider=self.name, usage=billed
            ) from exc
        if not isinstance(parsed, dict):
            raise TransientProviderError(
                "The model answered with a non-object.", provider=self.name, usage=billed
            )
        return parsed, response.model or model, billed

    # --- speech ----------------------------------------------------------------------------
    def speak(self, *, text: str, voice: str) -> SpeechResult:
        model = self.model_for("speak")
        voices = settings.AI_TTS_VOICES[self.name]
        voice = voices.get(voice) or voices[settings.AI_DEFAULT_VOICE]
        kwargs = {"model": model, "voice": voice, "input": text, "response_format": "mp3"}
        # Only the gpt-4o-*-tts family accepts speaking instructions; tts-1 rejects them.
        if settings.AI_TTS_INSTRUCTIONS and settings.AI_TTS_SUPPORTS_INSTRUCTIONS:
            kwargs["instructions"] = settings.AI_TTS_INSTRUCTIONS
        response = self._call(self.client.audio.speech.create, **kwargs)
        return SpeechResult(
            audio=response.content,
            model=model,
            usage=Usage(unit="characters", input_units=len(text)),
        )

    def transcribe(self, *, audio: bytes) -> TranscriptionResult:
        """Words heard in `audio` with their times (only whisper-1 gives word timestamps)."""
        model = self.model_for("transcribe")
        response = self._call(
            self.client.audio.transcriptions.create,
            model=model,
            file=("narration.mp3", audio, "audio/mpeg"),
            response_format="verbose_json",
            timestamp_granularities=["word"],
        )
        words = [(w.word, float(w.start), float(w.end)) for w in (response.words or [])]
        # Billed per second of audio.
        seconds = max(1, round(float(getattr(response, "duration", 0) or 0)))
        return TranscriptionResult(
            words=words, model=model, usage=Usage(unit="seconds", input_units=seconds)
        )

    # --- images ----------------------------------------------------------------------------
    def draw(
        self,
        *,
        prompt: str,
        reference: bytes | None = None,
        quality: str = "",
        size: str = "",
        safety_identifier: str = "",
    ) -> ImageResult:
        model = self.model_for("draw")
        kwargs = {
            "model": model,
            "prompt": prompt,
            "size": size or settings.AI_IMAGE_SIZE,
            "n": 1,
            **_identified(safety_identifier),
        }
        if quality or settings.AI_IMAGE_QUALITY:
            kwargs["quality"] = quality or settings.AI_IMAGE_QUALITY
        if reference is not None and settings.AI_IMAGE_SUPPORTS_REFERENCE:
            kwargs["image"] = _reference_file(reference)
            if settings.AI_IMAGE_INPUT_FIDELITY:
                kwargs["input_fidelity"] = settings.AI_IMAGE_INPUT_FIDELITY
            response = self._call(self.client.images.edit, **kwargs)
        else:
            if settings.AI_IMAGE_RESPONSE_FORMAT:
                # dall-e-* needs response_format=b64_json; GPT image models always answer base64.
                kwargs["response_format"] = settings.AI_IMAGE_RESPONSE_FORMAT
            response = self._call(self.client.images.generate, **kwargs)
        if not response.data or not response.data[0].b64_json:
            raise PermanentProviderError(
                "The image API answered without an image.", provider=self.name
            )
        usage = getattr(response, "usage", None)
        if usage is not None and getattr(usage, "input_tokens", None) is not None:
            units = Usage(
                unit="tokens",
                input_units=usage.input_tokens or 0,
                output_units=usage.output_tokens or 0,
                reported=True,
            )
        else:
            units = Usage(unit="images", output_units=1)
        return ImageResult(
            image=base64.b64decode(response.data[0].b64_json), model=model, usage=units
        )

    # --- moderation ------------------------------------------------------------------------
    def moderate(self, *, text: str) -> ModerationResult:
        return self._moderation(text, Usage(unit="characters", input_units=len(text)))

    def moderate_image(self, *, image: bytes) -> ModerationResult:
        # omni-moderation classifies pictures given as an image_url part (a data: URL here).
        _, _, mime_type = _reference_file(image)
        url = f"data:{mime_type};base64,{base64.b64encode(image).decode()}"
        return self._moderation(
            [{"type": "image_url", "image_url": {"url": url}}],
            Usage(unit="images", input_units=1),
        )

    def _moderation(self, given, usage: Usage) -> ModerationResult:
        model = self.model_for("moderate")
        response = self._call(self.client.moderations.create, model=model, input=given)
        result = response.results[0]
        categories = [name for name, hit in result.categories.model_dump().items() if hit]
        return ModerationResult(
            flagged=bool(result.flagged),
            model=response.model or model,
            usage=usage,
            categories=categories,
        )

    # --- errors ----------------------------------------------------------------------------
    def _call(self, method, **kwargs):
        left = chain.time_left()
        if left is not None:
            # Inside a web request: every try of this call (the SDK retries) fits in what is left.
            attempts = settings.AI_MAX_RETRIES + 1
            kwargs["timeout"] = max(0.1, min(settings.AI_REQUEST_TIMEOUT, left / attempts))
        try:
            return method(**kwargs)
        except (openai.APITimeoutError, openai.APIConnectionError) as exc:
            raise TransientProviderError(f"OpenAI unreachable: {exc}", provider=self.name) from exc
        except openai.RateLimitError as exc:
            raise TransientProviderError(
                "OpenAI rate limit", provider=self.name, status=exc.status_code
            ) from exc
        except openai.APIStatusError as exc:
            status = exc.status_code
            if status >= 500 or status == 408 or status == 409:
                raise TransientProviderError(
                    f"OpenAI error {status}", provider=self.name, status=status
                ) from exc
            code = _error_code(exc)
            if code in _SAFETY_CODES:
                raise ContentRefused(
                    f"Refused on safety grounds ({code})", provider=self.name, status=status
                ) from exc
            raise PermanentProviderError(
                f"OpenAI refused the request ({status} {code or ''})".strip(),
                provider=self.name,
                status=status,
            ) from exc
        except openai.OpenAIError as exc:
            raise PermanentProviderError(f"OpenAI error: {exc}", provider=self.name) from exc


def _error_code(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body) if isinstance(body, dict) else {}
    if isinstance(error, dict):
        return str(error.get("code") or error.get("type") or "")
    return ""


def _tokens(response) -> Usage:
    usage = getattr(response, "usage", None)
    if usage is None:
        return Usage(unit="tokens")
    return Usage(
        unit="tokens",
        input_units=usage.prompt_tokens or 0,
        output_units=usage.completion_tokens or 0,
        reported=True,
    )


def _identified(safety_identifier: str) -> dict:
    """The safety_identifier parameter, when there is a user to identify."""
    return {"safety_identifier": safety_identifier} if safety_identifier else {}


def _reference_file(picture: bytes) -> tuple[str, io.BytesIO, str]:
    """The reference picture labelled with its real type (an uploaded avatar may be JPEG/WebP)."""
    with Image.open(io.BytesIO(picture)) as image:
        mime_type = Image.MIME.get(image.format or "", "image/png")
    return f"reference.{mime_type.split('/')[1]}", io.BytesIO(picture), mime_type
