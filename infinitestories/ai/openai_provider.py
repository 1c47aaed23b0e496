"""OpenAI (or any OpenAI-compatible endpoint) through the official SDK.

Each request becomes OpenAI's call here, as the use case built it (the chat prompts, schema and
output limit come with the request; this module imports no use case). Every model name, the base
URL, the timeout and the retries are settings (OpenAI retires models often, so swapping one is a
configuration change). Only parameters the real API has are sent (there is no "previous
generation id" for images: consistency comes from the visual profile and the avatar as a
reference picture, images.edit). The user's keyed hash goes out as `safety_identifier` where the
API has the field (chat and images; the moderation and speech endpoints have none).
"""

import base64
import io
import json
import logging

import openai
from django.conf import settings
from PIL import Image

from . import timings
from .base import (
    Capability,
    ChatAnswer,
    ChatPrompt,
    ImageResult,
    ModerationResult,
    Provider,
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
from .deadline import time_left
from .errors import ContentRefused, PermanentProviderError, TransientProviderError

logger = logging.getLogger(__name__)

# Codes the image and chat APIs use when they refuse a prompt on safety grounds.
_SAFETY_CODES = {"content_policy_violation", "moderation_blocked", "safety_violation"}


class OpenAIProvider(Provider):
    name = "openai"
    capabilities = frozenset(Capability)
    # The speech endpoint returns audio only: read-along timings come from a transcription.
    speech_timings = timings.TRANSCRIPTION

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

    def model_for(self, capability: Capability) -> str:
        return {
            Capability.WRITE_STORY: settings.AI_STORY_MODEL,
            Capability.PICK_SCENES: settings.AI_SMALL_MODEL,
            Capability.DESCRIBE_HERO: settings.AI_SMALL_MODEL,
            Capability.SPEAK: settings.AI_TTS_MODEL,
            Capability.DRAW: settings.AI_IMAGE_MODEL,
            Capability.MODERATE: settings.AI_MODERATION_MODEL,
            Capability.TRANSCRIBE: settings.AI_TRANSCRIPTION_MODEL,
            Capability.MODERATE_IMAGE: settings.AI_MODERATION_MODEL,
        }[capability]

    # --- text ------------------------------------------------------------------------------
    def write_story(self, request: StoryRequest) -> StoryResult:
        answer = self._structured(Capability.WRITE_STORY, request.prompt, request.safety_identifier)
        return StoryResult.from_answer(answer)

    def pick_scenes(self, request: ScenesRequest) -> ScenesResult:
        answer = self._structured(Capability.PICK_SCENES, request.prompt, request.safety_identifier)
        return ScenesResult.from_answer(answer)

    def describe_hero(self, request: VisualProfileRequest) -> VisualProfileResult:
        answer = self._structured(
            Capability.DESCRIBE_HERO, request.prompt, request.safety_identifier
        )
        return VisualProfileResult.from_answer(answer)

    def _structured(
        self, capability: Capability, prompt: ChatPrompt, safety_identifier: str
    ) -> ChatAnswer:
        """A chat completion answering JSON that follows the prompt's schema."""
        model = self.model_for(capability)
        response = self._call(
            self.client.chat.completions.create,
            **_identified(safety_identifier),
            model=model,
            messages=[
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            max_completion_tokens=prompt.max_output_tokens,
            response_format={
                "type": "json_schema",
                "json_schema": {
                    "name": prompt.schema_name,
                    "schema": prompt.schema,
                    "strict": True,
                },
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
        return ChatAnswer(data=parsed, model=response.model or model, usage=billed)

    # --- speech ----------------------------------------------------------------------------
    def speak(self, *, text: str, voice: str, language: str = "en") -> SpeechResult:
        model = self.model_for(Capability.SPEAK)
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
        """Words heard in the audio with their times (only whisper-1 gives word timestamps)."""
        model = self.model_for(Capability.TRANSCRIBE)
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
        model = self.model_for(Capability.DRAW)
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
        if not response.data or not response.data[0].b64_json:
            # It answered: what it says it spent is billed, picture or not.
            raise PermanentProviderError(
                "The image API answered without an image.", provider=self.name, usage=units
            )
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
        model = self.model_for(Capability.MODERATE)
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
        left = time_left()
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
