"""Amazon Polly, for narration only, through boto3 (already a dependency for storage).

Why: from 2027-01-06 OpenAI's speech models no longer answer and ElevenLabs would be the only
narrator; Polly is the vendor the narration falls over to (chain.speech_provider_names). Its
neural voices speak our five languages, one voice per language (POLLY_VOICES: the PRD's voice
names map to a woman's or a man's voice). Polly returns no timings with the audio: word timings
come from a second SynthesizeSpeech of the same text with OutputFormat "json" and
SpeechMarkTypes ["word"] (JSON lines: the time in ms and the word's byte offsets in the text).
Both requests are billed per character, so a piece's usage counts the characters twice.
Region, endpoint, engine and the per-request limit (3,000 billed characters) are settings;
credentials are boto3's own chain (the usual AWS variables); the timeout and retries are the
other vendors' (AI_REQUEST_TIMEOUT, AI_MAX_RETRIES; botocore retries throttling and 5xx itself).
"""

import json
import logging

from django.conf import settings

from . import timings
from .audio_files import mp3_duration
from .base import Capability, Provider, SpeechResult, Usage
from .errors import PermanentProviderError, TransientProviderError

logger = logging.getLogger(__name__)

# Error codes Polly answers that another vendor (or a later try) may not meet.
_TRANSIENT = {"ThrottlingException", "ServiceFailureException", "ServiceUnavailable"}


class PollyProvider(Provider):
    name = "polly"
    capabilities = frozenset({Capability.SPEAK})
    speech_timings = timings.VENDOR
    # The audio and the speech marks are two requests, each billed for the whole text.
    billed_characters_per_character = 2

    def __init__(self) -> None:
        import boto3
        from botocore.config import Config

        self.client = boto3.client(
            "polly",
            region_name=settings.POLLY_REGION,
            endpoint_url=settings.POLLY_ENDPOINT_URL,
            config=Config(
                connect_timeout=min(10.0, settings.AI_REQUEST_TIMEOUT),
                read_timeout=settings.AI_REQUEST_TIMEOUT,
                # botocore's "max_attempts" here counts the retries, not the first request
                retries={"max_attempts": settings.AI_MAX_RETRIES, "mode": "standard"},
            ),
        )
        self.input_limit = settings.POLLY_TTS_INPUT_LIMIT

    def model_for(self, capability: Capability) -> str:
        # Polly has engines, not models: the engine is what the price depends on.
        return settings.POLLY_ENGINE

    def voice_for(self, *, voice: str, language: str) -> str:
        """The Polly voice for one of the PRD's voice names in `language` (English's when the
        language has none)."""
        kinds = settings.AI_TTS_VOICES[self.name]
        kind = kinds.get(voice) or kinds[settings.AI_DEFAULT_VOICE]
        table = settings.POLLY_VOICES.get(language) or settings.POLLY_VOICES["en"]
        return table[kind]

    def speak(self, *, text: str, voice: str, language: str = "en") -> SpeechResult:
        voice_id = self.voice_for(voice=voice, language=language)
        request = {"Engine": self.model_for(Capability.SPEAK), "Text": text, "VoiceId": voice_id}
        audio_answer = self._synthesize(**request, OutputFormat="mp3")
        billed = int(audio_answer.get("RequestCharacters") or len(text))
        audio = self._read(audio_answer, billed=billed)
        try:
            duration = mp3_duration(audio)
        except Exception as exc:
            raise TransientProviderError(
                "Polly answered without playable audio.",
                provider=self.name,
                usage=Usage("characters", input_units=billed),
            ) from exc
        marks_answer = self._synthesize(
            **request, OutputFormat="json", SpeechMarkTypes=["word"], billed_before=billed
        )
        billed += int(marks_answer.get("RequestCharacters") or len(text))
        words = timings.words_from_marks(
            text=text, marks=_marks(self._read(marks_answer, billed=billed)), duration=duration
        )
        if words is None:
            logger.warning("Polly speech marks do not match the text; estimating")
        return SpeechResult(
            audio=audio,
            model=self.model_for(Capability.SPEAK),
            usage=Usage(unit="characters", input_units=billed, reported=True),
            words=words,
        )

    def _synthesize(self, *, billed_before: int = 0, **request) -> dict:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            return self.client.synthesize_speech(**request)
        except NoCredentialsError as exc:
            raise PermanentProviderError(
                "Polly has no AWS credentials (AWS_ACCESS_KEY_ID...).", provider=self.name
            ) from exc
        except ClientError as exc:
            raise _error(exc, billed_before=billed_before) from exc
        except BotoCoreError as exc:  # timeouts and connection errors
            raise TransientProviderError(
                f"Polly unreachable: {exc}",
                provider=self.name,
                usage=Usage("characters", input_units=billed_before) if billed_before else None,
            ) from exc

    def _read(self, answer: dict, *, billed: int) -> bytes:
        from botocore.exceptions import BotoCoreError

        try:
            return answer["AudioStream"].read()
        except BotoCoreError as exc:
            raise TransientProviderError(
                f"Polly's answer was cut off: {exc}",
                provider=self.name,
                usage=Usage("characters", input_units=billed),
            ) from exc


def _marks(body: bytes) -> list[tuple[int, int, float]]:
    """Word marks of Polly's JSON lines: (start byte, end byte, seconds)."""
    marks = []
    for line in body.decode().splitlines():
        if not line.strip():
            continue
        mark = json.loads(line)
        if mark.get("type") == "word":
            marks.append((int(mark["start"]), int(mark["end"]), int(mark["time"]) / 1000))
    return marks


def _error(exc, *, billed_before: int) -> Exception:
    error = exc.response.get("Error", {})
    code = str(error.get("Code") or "")
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    usage = Usage("characters", input_units=billed_before) if billed_before else None
    if status >= 500 or status == 429 or code in _TRANSIENT:
        return TransientProviderError(
            f"Polly error {status} {code}".strip(), provider="polly", status=status, usage=usage
        )
    return PermanentProviderError(
        f"Polly refused the request ({status} {code})".strip(),
        provider="polly",
        status=status,
        usage=usage,
    )
