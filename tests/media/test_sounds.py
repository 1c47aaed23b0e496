"""media.sounds.sound_check: a narration is MP3 frames from end to end, of a sane length."""

import pytest

from infinitestories.ai.audio_files import silent_mp3
from media.sounds import MAX_SECONDS, SoundError, sound_check
from tests.fakes.audio import speech_mp3


def test_an_mp3_with_its_id3_tag_is_measured():
    sound = sound_check(speech_mp3("one two three four five", seconds_per_word=0.4))

    assert sound.duration == pytest.approx(2.0, abs=0.05)
    assert sound.frames == 83


def test_a_narration_longer_than_the_limit_or_too_short_is_refused():
    too_short = silent_mp3(0.2)
    header_only = silent_mp3(1)[:4] + b"\x00" * 5000

    for content in (too_short, header_only, b"ID3" + b"\x00" * 20):
        with pytest.raises(SoundError):
            sound_check(content)
    assert sound_check(silent_mp3(3)).duration == pytest.approx(3, abs=0.05)
    assert MAX_SECONDS == 7200


def test_a_narration_over_two_hours_is_refused():
    with pytest.raises(SoundError, match="longer than 2 hours"):
        sound_check(silent_mp3(MAX_SECONDS + 30))
