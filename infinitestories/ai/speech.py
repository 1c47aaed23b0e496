"""Use case: narrate a story as one MP3, with the time of every word for read-along.

Vendors: the speech chain (chain.speech_provider_names: OpenAI's AI_TTS_MODEL, ElevenLabs'
ELEVENLABS_TTS_MODEL, the offline voice), each with a voice for every name of the PRD's list.
A speech API takes a limited number of characters a request (4096 for OpenAI), so the text is
split on sentence boundaries within the vendor's limit, pieces are synthesised concurrently
(AI_TTS_CONCURRENCY threads: a 10-minute story is ~8 pieces), then joined and measured.
Word timings come from the vendor (ElevenLabs' alignment, Polly's speech marks), else a
transcription (only of OpenAI's narration, and never from AI_OPENAI_TRANSCRIPTION_SHUTDOWN on),
else an estimate (infinitestories.ai.timings), joined across pieces by their measured durations.
"""

import contextvars
import logging
import math
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from . import chain, timings
from .audio_files import mp3_duration, mp3_join
from .base import (
    DEFAULT_SPEECH_INPUT_LIMIT,
    Capability,
    Operation,
    SpeechRequest,
    TranscriptionRequest,
)
from .errors import ProviderError, TransientProviderError

logger = logging.getLogger(__name__)

# A calm bedtime pace (150 words a minute), from timings: the offline voice speaks at it, and
# pictures are spaced by it until real narration gives the true timing.
NARRATION_SECONDS_PER_WORD = timings.NARRATION_SECONDS_PER_WORD

PROMPT_VERSION = "speech/v1"
TRANSCRIPTION_VERSION = "transcription/v1"
# OpenAI's speech endpoint limit; each vendor has its own (`input_limit` on the provider).
TTS_INPUT_LIMIT = DEFAULT_SPEECH_INPUT_LIMIT
VOICES = ["nova", "echo", "alloy", "fable", "onyx", "shimmer", "coral"]

_SENTENCE_END = re.compile(r"(?<=[.!?…»\"”])\s+|\n{2,}")


def split_text(text: str, *, limit: int = TTS_INPUT_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut between sentences (inside a sentence only if a
    single sentence is longer than the limit, then between words)."""
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]
    pieces: list[str] = []
    current = ""
    for sentence in sentences:
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            head, sentence = sentence[:cut].strip(), sentence[cut:].strip()
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        candidate = f"{current} {sentence}".strip() if current else sentence
        if len(candidate) > limit:
            pieces.append(current)
            current = sentence
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


@dataclass
class Narration:
    audio: bytes
    duration: float
    pieces: int
    vendor: str
    # Read-along: one {"text", "start", "end"} per spoken word, and where the times came from.
    words: list[dict] = field(default_factory=list)
    timings_source: str = timings.ESTIMATED


class _Skipped(Exception):
    """A piece not sent because another piece already failed."""


@dataclass
class _Piece:
    audio: bytes
    duration: float
    words: list[timings.Word]
    source: str


def narration_synthesize(
    *,
    ctx: chain.CallContext,
    text: str,
    voice: str,
    language: str = "en",
    on_piece=None,
    guard=None,
) -> Narration:
    """Narrate `text` with the first speech vendor that can (chain.speech_provider_names).

    One story, one voice: every piece is spoken by the same vendor. When a vendor fails part-way
    (after its own retries), the pieces it made are dropped and the next vendor narrates the whole
    text, cut within its own limit. `on_piece(done, total)` is called in the calling thread as
    pieces land.

    `guard` (optional, called from the pieces' threads): `go_on()` before every paid call
    (raises to stop), `load(vendor=, voice=, text=)` a piece kept by an earlier run (a dict like
    `keep`'s, or None) and `keep(vendor=, voice=, text=, piece=)` each paid piece as it arrives.
    `language` picks the voice of vendors whose voices speak one language (Polly).
    """
    ctx = ctx.but(operation=Operation.AUDIO_SYNTHESIS, prompt_version=PROMPT_VERSION)
    errors: list[ProviderError] = []
    for name in chain.usable(chain.speech_provider_names(), Capability.SPEAK):
        try:
            return _narrate_with(
                name,
                ctx=ctx,
                text=text,
                voice=voice,
                language=language,
                on_piece=on_piece,
                guard=guard,
            )
        except ProviderError as exc:
            logger.warning("Narration by %s failed (%s); trying the next vendor", name, exc)
            errors.append(exc)
    transient = [e for e in errors if isinstance(e, TransientProviderError)]
    raise (transient or errors)[0]


def _narrate_with(
    name: str, *, ctx, text: str, voice: str, language: str, on_piece, guard=None
) -> Narration:
    provider = chain.get_provider(name)
    pieces = split_text(text, limit=provider.input_limit)
    pending: list = []
    results: dict[int, _Piece] = {}
    error: BaseException | None = None
    failed = threading.Event()

    def speak(piece: str) -> _Piece:
        # Once a piece failed this vendor will not be used: pieces not sent yet are not paid for.
        if failed.is_set():
            raise _Skipped
        try:
            if guard is None:
                return _speak_piece(
                    provider, ctx=ctx, text=piece, voice=voice, language=language, pending=pending
                )
            kept = guard.load(vendor=name, voice=voice, text=piece)
            if kept is not None:
                words = [timings.Word(**word) for word in kept["words"]]
                return _Piece(kept["audio"], kept["duration"], words, kept["source"])
            spoken = _speak_piece(
                provider,
                ctx=ctx,
                text=piece,
                voice=voice,
                language=language,
                pending=pending,
                guard=guard,
            )
            guard.keep(
                vendor=name,
                voice=voice,
                text=piece,
                piece={
                    "audio": spoken.audio,
                    "duration": spoken.duration,
                    "words": [word.as_dict() for word in spoken.words],
                    "source": spoken.source,
                },
            )
            return spoken
        except BaseException:
            failed.set()
            raise

    workers = max(1, min(settings.AI_TTS_CONCURRENCY, len(pieces)))
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tts") as pool:
            # each piece in a copy of the caller's context, so its log lines keep the job's ids
            futures = {
                pool.submit(contextvars.copy_context().run, speak, piece): index
                for index, piece in enumerate(pieces)
            }
            for future in futures:
                try:
                    results[futures[future]] = future.result()
                except _Skipped:
                    pass
                except BaseException as exc:  # re-raised below, after the usage rows are written
                    error = error or exc
                chain.flush(pending)
                if on_piece is not None and error is None:
                    on_piece(len(results), len(pieces))
    finally:
        # Every piece paid for is recorded, also when reporting progress failed.
        chain.flush(pending)
    if error is not None:
        raise error
    ordered = [results[i] for i in range(len(pieces))]
    audio = mp3_join([piece.audio for piece in ordered])
    duration = mp3_duration(audio)
    # Stories keep their duration to the centisecond: no word may end after the rounded figure.
    within = math.floor(duration * 100) / 100
    words = timings.words_join([(p.words, p.duration) for p in ordered], duration=within)
    return Narration(
        audio=audio,
        duration=duration,
        pieces=len(pieces),
        vendor=name,
        words=[word.as_dict() for word in words],
        timings_source=timings.source_weakest([p.source for p in ordered]),
    )


def _speak_piece(
    provider, *, ctx, text: str, voice: str, language: str, pending: list, guard=None
) -> _Piece:
    """One piece's audio and word timings: the vendor's own, else a transcription, else an
    estimate. Read-along never fails a narration: a failed transcription is an estimate."""
    if guard is not None:
        guard.go_on()
    result = chain.call(
        ctx=ctx,
        request=SpeechRequest(text=text, voice=voice, language=language),
        pending=pending,
        providers=[provider.name],
    )
    duration = mp3_duration(result.audio)
    if result.words is not None:
        return _Piece(result.audio, duration, result.words, timings.VENDOR)
    if provider.speech_timings == timings.TRANSCRIPTION:
        if guard is not None:
            guard.go_on()
        heard = _transcribe(ctx=ctx, audio=result.audio, pending=pending)
        if heard is not None:
            words = timings.words_from_transcript(text=text, transcript=heard, duration=duration)
            return _Piece(result.audio, duration, words, timings.TRANSCRIPTION)
    words = timings.words_estimated(text=text, duration=duration)
    return _Piece(result.audio, duration, words, timings.ESTIMATED)


def transcription_available() -> bool:
    """Whether narration may be transcribed for its timings: switched on, and OpenAI's
    transcription models (whisper-1 the only one with word times) not shut down yet."""
    return (
        settings.AI_TTS_TRANSCRIBE
        and timezone.now().date() < settings.AI_OPENAI_TRANSCRIPTION_SHUTDOWN
    )


def _transcribe(*, ctx, audio: bytes, pending: list) -> list | None:
    if not transcription_available():
        return None
    names = [
        name
        for name in chain.provider_names()
        if chain.get_provider(name).can(Capability.TRANSCRIBE)
    ]
    if not names:
        return None
    try:
        result = chain.call(
            ctx=ctx.but(
                operation=Operation.AUDIO_TRANSCRIPTION, prompt_version=TRANSCRIPTION_VERSION
            ),
            request=TranscriptionRequest(audio=audio),
            pending=pending,
            providers=names,
        )
    except ProviderError as exc:
        logger.warning("Transcription for word timings failed (%s); estimating them", exc)
        return None
    return result.words or None
