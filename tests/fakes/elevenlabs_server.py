"""A fake ElevenLabs HTTP API on loopback, for tests that run the official `elevenlabs` SDK.

It implements what the app calls, as the SDK sends it: POST
/v1/text-to-speech/{voice_id}/with-timestamps?output_format=… with a JSON body (`text`,
`model_id`, …) and the `xi-api-key` header. It answers `audio_base64` (a real MP3 whose length
follows the text, SECONDS_PER_WORD a word, deliberately not the OpenAI fake's pace so a test can
tell who narrated) and `alignment` / `normalized_alignment`: every character of the text with its
start and end in seconds. Faults, delays and recorded requests work as in the fake OpenAI server.
"""

import base64
import re
from dataclasses import dataclass

from .audio import speech_mp3
from .openai_server import FakeOpenAI, Fault, _Handler

SECONDS_PER_WORD = 0.35
INPUT_LIMIT = 10_000
MODELS = ["eleven_multilingual_v2", "eleven_v3", "eleven_flash_v2_5"]
_SPEECH = re.compile(r"^/v1/text-to-speech/([^/]+)/with-timestamps$")


def alignment(text: str) -> dict:
    """Each word spoken over 80% of its slot, the rest a pause; a character's time is its share
    of its word (spaces sit in the pause after the word before them)."""
    starts, ends = [], []
    word = -1
    in_word = False
    tokens = [m.span() for m in re.finditer(r"\S+", text)]
    for index, char in enumerate(text):
        if not char.isspace() and not in_word:
            word += 1
        in_word = not char.isspace()
        slot = max(word, 0) * SECONDS_PER_WORD
        if in_word:
            begin, end = tokens[word]
            share = 0.8 * SECONDS_PER_WORD / (end - begin)
            start = slot + (index - begin) * share
            starts.append(round(start, 3))
            ends.append(round(start + share, 3))
        else:
            pause = slot + 0.8 * SECONDS_PER_WORD if word >= 0 else 0.0
            starts.append(round(pause, 3))
            ends.append(round(pause, 3))
    return {
        "characters": list(text),
        "character_start_times_seconds": starts,
        "character_end_times_seconds": ends,
    }


@dataclass
class FakeElevenLabs(FakeOpenAI):
    def _handler_base(self) -> type:
        return _ElevenLabsHandler

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


class _ElevenLabsHandler(_Handler):
    def _route(self, path: str):
        return self._speech_with_timestamps if _SPEECH.match(path) else None

    def _listing(self, path: str):
        if path != "/v1/models":
            return None
        ids = [m["id"] for m in self.fake.models] if self.fake.models is not None else MODELS
        return [{"model_id": model_id, "name": model_id} for model_id in ids]

    def _fault_body(self, fault: Fault) -> dict:
        return {"detail": {"status": fault.code, "message": "fake failure"}}

    def _speech_with_timestamps(self, path: str, body: dict) -> int:
        if not self.headers.get("xi-api-key"):
            self._json(401, {"detail": {"status": "invalid_api_key", "message": "no key"}})
            return 401
        text = body.get("text", "")
        if not text or len(text) > INPUT_LIMIT:
            self._json(400, {"detail": {"status": "text_too_long", "message": "too long"}})
            return 400
        timing = alignment(text)
        audio = speech_mp3(text, seconds_per_word=SECONDS_PER_WORD)
        self._json(
            200,
            {
                "audio_base64": base64.b64encode(audio).decode(),
                "alignment": timing,
                "normalized_alignment": timing,
            },
        )
        return 200
