"""Narration files as we accept them from a family: MP3 (MPEG audio Layer III) through and
through, of a sane length. The bytes are kept as they are (re-encoding would lose quality, and an
MP3's tags describe the recording, not the child); what is checked is that they are audio.
"""

import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from mutagen import MutagenError
from mutagen.mp3 import MP3

from infinitestories.ai.audio_files import mp3_frames_span

# A story of the longest text we keep (50,000 characters) takes under an hour to read aloud;
# twice that is room enough, and a longer "narration" is something else.
MAX_SECONDS = 2 * 3600
# Less than this is not a narration (the title alone takes longer to say).
MIN_SECONDS = 0.5
# What may lie outside the chain of frames: tags (ID3v1, APE, Lyrics3) and encoder padding.
MAX_STRAY_BYTES = 16 * 1024


class SoundError(ValueError):
    """Not a narration we can keep."""


@dataclass(frozen=True)
class Sound:
    duration: float
    frames: int


def sound_check(content: bytes) -> Sound:
    """What mutagen measures of the MP3 in `content`, once it is sure the bytes are MP3 frames.

    1. mutagen must find MPEG audio in it and measure a duration within MIN..MAX_SECONDS.
    2. The frames must follow one another across the file: at most MAX_STRAY_BYTES (or a tenth
       of the file) before the first frame or after the last, tags aside. An HTML page or a
       picture with a frame header inside it does not pass.
    """
    try:
        info = MP3(io.BytesIO(content)).info
    except (MutagenError, ValueError, OSError, EOFError) as exc:
        raise SoundError(_("The narration is not an MP3 file.")) from exc
    duration = float(info.length or 0)
    if not info.sample_rate or duration < MIN_SECONDS:
        raise SoundError(_("The narration is not an MP3 file."))
    if duration > MAX_SECONDS:
        raise SoundError(
            _("The narration is longer than %(hours)d hours.") % {"hours": MAX_SECONDS // 3600}
        )
    start, end, frames = mp3_frames_span(content)
    tag_end = _id3v2_end(content)
    stray = (start - tag_end) + (len(content) - end)
    if frames < 2 or stray > max(MAX_STRAY_BYTES, len(content) // 10):
        raise SoundError(_("The narration is not an MP3 file."))
    return Sound(duration=round(duration, 2), frames=frames)


def _id3v2_end(content: bytes) -> int:
    if content[:3] == b"ID3" and len(content) >= 10:
        return 10 + ((content[6] << 21) | (content[7] << 14) | (content[8] << 7) | content[9])
    return 0
