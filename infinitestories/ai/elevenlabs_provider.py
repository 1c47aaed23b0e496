"""ElevenLabs, for narration only, through its official SDK.

Why: OpenAI's speech models (tts-1, tts-1-hd, gpt-4o-mini-tts) shut down on 2027-01-06 with no
replacement on /v1/audio/speech, and ElevenLabs' "text to speech with timestamps" endpoint returns
the MP3 and a character alignment in one call, which gives read-along word timings for free. Its
multilingual model speaks our five languages (it detects the language from the text). The model,
voices, base URL, timeout and retries are settings; the SDK retries 429, 408, 409 and 5xx itself.
"""

import base64
import logging

import httpx
from django.conf import settings

from . import timings
from .audio_files import mp3_duration
from .base import Capability, Provider, SpeechResult, Usage
from .errors import PermanentProviderError, TransientProviderError

logger = logging.getLogger(__name__)

# Statuses ElevenLabs answers in its error body when an account is out of credit or throttled:
# another vendor can narrate meanwhile, so they are transient (the chain moves on).
_EXHAUSTED = {"quota_exceeded", "too_many_concurrent_requests", "system_busy"}


class ElevenLabsProvider(Provider):
    name = "elevenlabs"
    capabilities = frozenset({Capability.SPEAK})
    speech_timings = timings.VENDOR

    def __init__(self) -> None:
        from elevenlabs.client import ElevenLabs

        self.client = ElevenLabs(
            api_key=settings.ELEVENLABS_API_KEY or "missing-key",
            base_url=settings.ELEVENLABS_BASE_URL,
            timeout=settings.AI_REQUEST_TIMEOUT,
        )
        self.input_limit = settings.ELEVENLABS_TTS_INPUT_LIMIT

    def model_for(self, capability: Capability) -> str:
        return settings.ELEVENLABS_TTS_MODEL

    def speak(self, *, text: str, voice: str, language: str = "en") -> SpeechResult:
        from elevenlabs.core.api_error import ApiError

        model = self.model_for(Capability.SPEAK)
        voices = settings.AI_TTS_VOICES[self.name]
        voice_id = voices.get(voice) or voices[settings.AI_DEFAULT_VOICE]
        try:
            response = self.client.text_to_speech.convert_with_timestamps(
                voice_id,
                text=text,
                model_id=model,
                output_format=settings.ELEVENLABS_OUTPUT_FORMAT,
                # False asks for zero retention (the text names a child); enterprise plans only.
                enable_logging=settings.ELEVENLABS_ENABLE_LOGGING,
                request_options={"max_retries": settings.AI_MAX_RETRIES},
            )
        except httpx.TransportError as exc:  # timeouts and connection errors
            raise TransientProviderError(
                f"ElevenLabs unreachable: {exc}", provider=self.name
            ) from exc
        except ApiError as exc:
            raise _error(exc) from exc
        try:
            audio = base64.b64decode(response.audio_base_64, validate=True)
            duration = mp3_duration(audio)
        except Exception as exc:
            # It answered, so the characters are billed, though the audio cannot be used.
            raise TransientProviderError(
                "ElevenLabs answered without playable audio.",
                provider=self.name,
                usage=Usage(unit="characters", input_units=len(text)),
            ) from exc
        words = None
        if response.alignment is not None:
            words = timings.words_from_alignment(
                text=text,
                characters=response.alignment.characters,
                starts=response.alignment.character_start_times_seconds,
                ends=response.alignment.character_end_times_seconds,
                duration=duration,
            )
            if words is None:
                logger.warning("ElevenLabs alignment does not match the text; estimating")
        return SpeechResult(
            audio=audio,
            model=model,
            usage=Usage(unit="characters", input_units=len(text)),
            words=words,
        )


def _error(exc) -> Exception:
    status = exc.status_code or 0
    body = exc.body if isinstance(exc.body, dict) else {}
    detail = body.get("detail") if isinstance(body.get("detail"), dict) else {}
    code = str(detail.get("status") or "")
    if status >= 500 or status in (408, 409, 429) or code in _EXHAUSTED:
        return TransientProviderError(
            f"ElevenLabs error {status} {code}".strip(), provider="elevenlabs", status=status
        )
    return PermanentProviderError(
        f"ElevenLabs refused the request ({status} {code})".strip(),
        provider="elevenlabs",
        status=status,
    )
