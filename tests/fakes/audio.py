"""Real MP3s for the fake speech vendors, tagged with the text they speak.

The audio is silence (the offline voice's frames) as long as the text takes to read at the given
pace; an ID3 tag carries the text, so the fake transcription can "hear" it, as a real recogniser
would hear the words spoken.
"""

import io

from mutagen.id3 import ID3, TXXX

from infinitestories.ai.audio_files import silent_mp3

_TAG = "spoken-text"


def speech_mp3(text: str, *, seconds_per_word: float) -> bytes:
    audio = io.BytesIO(silent_mp3(len(text.split()) * seconds_per_word))
    tags = ID3()
    tags.add(TXXX(encoding=3, desc=_TAG, text=[text]))
    tags.save(audio)
    return audio.getvalue()


def spoken_text(mp3: bytes) -> str:
    try:
        tags = ID3(io.BytesIO(mp3))
    except Exception:
        return ""
    frame = tags.get(f"TXXX:{_TAG}")
    return str(frame.text[0]) if frame is not None else ""
