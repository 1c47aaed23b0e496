"""Word timings for read-along: when each spoken word of a narration starts and ends.

Three sources, best first: the speech vendor's own character alignment ("vendor"), a transcription
of the audio with word timestamps matched back to the text ("transcription"), or an estimate from
the text and the measured duration ("estimated", the offline voice). Whatever the source, the
answer has one entry per spoken word of the text (a whitespace-separated token with a letter or
digit in it, its leading and trailing punctuation stripped), times in seconds, non-decreasing,
within the audio's duration.
"""

import difflib
import re
from dataclasses import dataclass

VENDOR = "vendor"
TRANSCRIPTION = "transcription"
ESTIMATED = "estimated"
# Weakest first: a narration joined from pieces is as good as its weakest piece.
SOURCES = [ESTIMATED, TRANSCRIPTION, VENDOR]

# A calm bedtime pace (150 words a minute): the offline voice speaks at it, and pictures are
# spaced by it until real narration gives the true timing.
NARRATION_SECONDS_PER_WORD = 0.4

_TOKEN = re.compile(r"\S+")
_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")
_SENTENCE_END = re.compile(r"[.!?…]['\"”»)]*$")


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float

    def as_dict(self) -> dict:
        return {"text": self.text, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Span:
    """A spoken word of the text and where it sits (character offsets of the word itself)."""

    text: str
    begin: int
    end: int
    pause_after: bool  # ends a sentence: a reader pauses there


def spoken_words(text: str) -> list[Span]:
    spans = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        core = _EDGE_PUNCTUATION.sub("", token)
        if not core:
            continue
        begin = match.start() + token.index(core)
        spans.append(
            Span(
                text=core,
                begin=begin,
                end=begin + len(core),
                pause_after=bool(_SENTENCE_END.search(token)),
            )
        )
    return spans


def _normal(word: str) -> str:
    return re.sub(r"[\W_]+", "", word).casefold()


def _fill(spans: list[Span], known: dict[int, tuple[float, float]], duration: float) -> list[Word]:
    """Times for every span: the known ones as given, the others spread over the gaps between
    known neighbours in proportion to their length (a sentence end weighs a little more)."""
    weights = [len(s.text) + 1 + (3 if s.pause_after else 0) for s in spans]
    times: list[tuple[float, float]] = [(0.0, 0.0)] * len(spans)
    i = 0
    while i < len(spans):
        if i in known:
            times[i] = known[i]
            i += 1
            continue
        j = i
        while j < len(spans) and j not in known:
            j += 1
        left = times[i - 1][1] if i > 0 else 0.0
        right = known[j][0] if j < len(spans) else duration
        right = max(left, right)
        total = sum(weights[i:j])
        cursor = left
        for k in range(i, j):
            step = (right - left) * weights[k] / total
            times[k] = (cursor, cursor + step)
            cursor += step
        i = j
    return _tidy(spans, times, duration)


def _tidy(spans: list[Span], times: list[tuple[float, float]], duration: float) -> list[Word]:
    """Non-decreasing, within [0, duration], rounded to milliseconds."""
    words = []
    floor = 0.0
    for span, (start, end) in zip(spans, times, strict=True):
        start = min(max(start, floor), duration)
        end = min(max(end, start), duration)
        floor = start
        words.append(Word(span.text, round(start, 3), round(end, 3)))
    return words


def words_estimated(*, text: str, duration: float) -> list[Word]:
    """Timings read from the text alone, spread over the measured duration."""
    return _fill(spoken_words(text), {}, duration)


def words_from_alignment(
    *, text: str, characters: list[str], starts: list[float], ends: list[float], duration: float
) -> list[Word] | None:
    """Word timings from a vendor's character alignment of `text`; None when the alignment is not
    of this text (then the caller falls back to another source).

    A vendor may normalise whitespace, so characters are matched on the non-space ones.
    """
    if not (len(characters) == len(starts) == len(ends)):
        return None
    text_positions = [i for i, c in enumerate(text) if not c.isspace()]
    aligned = [i for i, c in enumerate(characters) if not c.isspace()]
    if [text[i] for i in text_positions] != [characters[i] for i in aligned]:
        return None
    at = dict(zip(text_positions, aligned, strict=True))
    spans = spoken_words(text)
    known = {
        n: (float(starts[at[span.begin]]), float(ends[at[span.end - 1]]))
        for n, span in enumerate(spans)
    }
    return _fill(spans, known, duration)


def words_from_marks(
    *, text: str, marks: list[tuple[int, int, float]], duration: float
) -> list[Word] | None:
    """Word timings from a vendor's word marks: (start, end) byte offsets into `text` as UTF-8
    and the time in seconds the word starts (Amazon Polly's speech marks). A word ends where the
    next mark starts (the last at the audio's end). None when no mark lands on the text's words.

    Byte offsets are turned into character offsets, and each spoken word of the text takes the
    time of the first mark overlapping it; words without a mark are spread over the gaps.
    """
    encoded = text.encode()
    spans = spoken_words(text)
    ordered = sorted(marks, key=lambda mark: mark[2])
    placed = []  # (first character, character after the last, start, end) of each mark
    for n, (begin, end, start) in enumerate(ordered):
        if not 0 <= begin < end <= len(encoded):
            return None
        until = ordered[n + 1][2] if n + 1 < len(ordered) else duration
        placed.append(
            (
                len(encoded[:begin].decode(errors="ignore")),
                len(encoded[:end].decode(errors="ignore")),
                float(start),
                float(max(until, start)),
            )
        )
    known: dict[int, tuple[float, float]] = {}
    cursor = 0
    for n, span in enumerate(spans):
        while cursor < len(placed) and placed[cursor][1] <= span.begin:
            cursor += 1
        hits = []
        k = cursor
        while k < len(placed) and placed[k][0] < span.end:
            if placed[k][1] > span.begin:
                hits.append(placed[k])
            k += 1
        if hits:
            known[n] = (hits[0][2], hits[-1][3])
    if not known:
        return None
    return _fill(spans, known, duration)


def words_from_transcript(
    *, text: str, transcript: list[tuple[str, float, float]], duration: float
) -> list[Word]:
    """Word timings from a transcription (word, start, end) matched back to `text`.

    A recogniser writes numbers, names and contractions its own way, so words are matched as a
    sequence (difflib): matched words take the recogniser's times, the others are spread over
    the gaps between their matched neighbours.
    """
    spans = spoken_words(text)
    heard = [_normal(word) for word, _, _ in transcript]
    matcher = difflib.SequenceMatcher(a=[_normal(s.text) for s in spans], b=heard, autojunk=False)
    known = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            _, start, end = transcript[block.b + k]
            known[block.a + k] = (float(start), float(end))
    return _fill(spans, known, duration)


def words_join(pieces: list[tuple[list[Word], float]], *, duration: float) -> list[Word]:
    """One list for the whole narration: each piece's words shifted by the measured durations
    of the pieces before it."""
    spans: list[Span] = []
    times: list[tuple[float, float]] = []
    offset = 0.0
    for words, length in pieces:
        for word in words:
            spans.append(Span(word.text, 0, 0, False))
            times.append((word.start + offset, word.end + offset))
        offset += length
    return _tidy(spans, times, duration)


def source_weakest(sources: list[str]) -> str:
    return min(sources, key=SOURCES.index) if sources else ESTIMATED
