"""Use case: narrate a story as one MP3.

Model: AI_TTS_MODEL with a voice from the PRD's list and, where the model takes them, calm bedtime
speaking instructions (AI_TTS_INSTRUCTIONS). The speech API takes at most 4096 characters a
request, so the text is split on sentence boundaries, pieces are synthesised concurrently
(AI_TTS_CONCURRENCY threads: a 10-minute story is ~8 pieces), then joined and measured.
"""

import contextvars
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings

from . import chain
from .audio_files import mp3_duration, mp3_join
from .base import Operation

# A calm bedtime pace (150 words a minute): the offline voice speaks at it, and pictures are
# spaced by it until real narration gives the true timing.
NARRATION_SECONDS_PER_WORD = 0.4

PROMPT_VERSION = "speech/v1"
TTS_INPUT_LIMIT = 4096
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


def narration_synthesize(
    *, ctx: chain.CallContext, text: str, voice: str, on_piece=None
) -> Narration:
    """Synthesise `text`; `on_piece(done, total)` is called in the calling thread as pieces land."""
    pieces = split_text(text)
    ctx = ctx.but(operation=Operation.AUDIO_SYNTHESIS, prompt_version=PROMPT_VERSION)
    pending: list = []
    results: dict[int, bytes] = {}
    error: BaseException | None = None
    workers = max(1, min(settings.AI_TTS_CONCURRENCY, len(pieces)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tts") as pool:
        futures = {
            # each piece in a copy of the caller's context, so its log lines keep the job's ids
            pool.submit(
                contextvars.copy_context().run,
                chain.call,
                ctx=ctx,
                method="speak",
                pending=pending,
                text=piece,
                voice=voice,
            ): index
            for index, piece in enumerate(pieces)
        }
        for future in futures:
            try:
                results[futures[future]] = future.result().audio
            except BaseException as exc:  # re-raised below, after the usage rows are written
                error = error or exc
            chain.flush(pending)
            if on_piece is not None and error is None:
                on_piece(len(results), len(pieces))
    chain.flush(pending)
    if error is not None:
        raise error
    audio = mp3_join([results[i] for i in range(len(pieces))])
    return Narration(audio=audio, duration=mp3_duration(audio), pieces=len(pieces))
