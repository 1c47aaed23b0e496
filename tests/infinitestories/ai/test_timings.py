"""Word timings for read-along: whatever their source, one entry per spoken word, in order,
non-decreasing, within the audio."""

import pytest

from infinitestories.ai import timings
from tests.fakes.elevenlabs_server import SECONDS_PER_WORD as ELEVEN_PACE
from tests.fakes.elevenlabs_server import alignment

TEXT = "The Brave Fox.\n\n“Hello,” said Mia — twice! It was 7 o'clock; time for bed..."
SPOKEN = ["The", "Brave", "Fox", "Hello", "said", "Mia", "twice", "It", "was", "7", "o'clock",
          "time", "for", "bed"]  # fmt: skip


def assert_consistent(words: list[timings.Word], duration: float) -> None:
    assert [w.text for w in words] == SPOKEN
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    assert all(0 <= w.start <= w.end <= duration for w in words)


def test_spoken_words_skip_punctuation_only_tokens_and_keep_inner_apostrophes():
    spans = timings.spoken_words(TEXT)

    assert [s.text for s in spans] == SPOKEN
    assert [TEXT[s.begin : s.end] for s in spans] == SPOKEN
    assert [s.text for s in spans if s.pause_after] == ["Fox", "twice", "bed"]


def test_estimated_words_fill_the_measured_duration():
    words = timings.words_estimated(text=TEXT, duration=7.0)

    assert_consistent(words, 7.0)
    assert words[0].start == 0 and words[-1].end == 7.0
    # a longer word takes longer to say
    by_text = {w.text: w.end - w.start for w in words}
    assert by_text["o'clock"] > by_text["It"]


def test_vendor_alignment_gives_each_word_its_first_and_last_characters_times():
    aligned = alignment(TEXT)

    words = timings.words_from_alignment(
        text=TEXT,
        characters=aligned["characters"],
        starts=aligned["character_start_times_seconds"],
        ends=aligned["character_end_times_seconds"],
        duration=20.0,
    )

    assert_consistent(words, 20.0)
    # the fake vendor speaks token k from k x pace over 80% of its slot ("—" is token 6)
    assert words[0].start == 0 and words[0].end == pytest.approx(0.8 * ELEVEN_PACE, abs=0.002)
    assert words[6].start == pytest.approx(7 * ELEVEN_PACE, abs=0.002)  # "twice"


def test_alignment_with_other_spacing_still_matches_but_another_text_does_not():
    squeezed = TEXT.replace("\n\n", " ")
    aligned = alignment(squeezed)
    args = {
        "starts": aligned["character_start_times_seconds"],
        "ends": aligned["character_end_times_seconds"],
        "duration": 20.0,
    }

    assert timings.words_from_alignment(text=TEXT, characters=aligned["characters"], **args)
    other = list(squeezed.replace("Mia", "Max"))
    assert timings.words_from_alignment(text=TEXT, characters=other, **args) is None


def test_transcript_words_are_matched_back_to_the_text_and_gaps_interpolated():
    # the recogniser drops "Brave", writes "seven" for "7" and hears an extra "um"
    heard = ["the", "fox", "hello", "said", "mia", "um", "twice", "it", "was", "seven",
             "o'clock", "time", "for", "bed"]  # fmt: skip
    transcript = [(w, i * 0.5, i * 0.5 + 0.4) for i, w in enumerate(heard)]

    words = timings.words_from_transcript(text=TEXT, transcript=transcript, duration=8.0)

    assert_consistent(words, 8.0)
    by_text = {w.text: (w.start, w.end) for w in words}
    assert by_text["The"] == (0.0, 0.4)
    assert by_text["twice"] == (3.0, 3.4)  # heard at index 6
    # unmatched words sit between their matched neighbours
    assert 0.4 <= by_text["Brave"][0] <= by_text["Brave"][1] <= 0.5
    assert 4.4 <= by_text["7"][0] <= by_text["7"][1] <= 5.0


def test_pieces_are_joined_with_the_measured_durations_of_the_pieces_before():
    first = timings.words_estimated(text="Once upon a time.", duration=2.0)
    second = timings.words_estimated(text="The end.", duration=1.0)

    words = timings.words_join([(first, 2.1), (second, 1.0)], duration=3.05)

    assert [w.text for w in words] == ["Once", "upon", "a", "time", "The", "end"]
    assert words[4].start == pytest.approx(2.1)
    assert words[-1].end == 3.05  # clamped to the joined file's measured length


def test_a_narration_is_as_good_as_its_weakest_piece():
    assert timings.source_weakest(["vendor", "vendor"]) == "vendor"
    assert timings.source_weakest(["vendor", "estimated", "transcription"]) == "estimated"
