"""A fake Amazon Polly HTTP API on loopback, for tests that run the real boto3 client
(`endpoint_url=server.base_url`, any credentials: the signature is not checked, its presence is).

It implements SynthesizeSpeech as botocore sends it: POST /v1/speech with a JSON body (`Engine`,
`OutputFormat`, `Text`, `VoiceId`, `SpeechMarkTypes`). OutputFormat "mp3" answers a real MP3
whose length follows the text (SECONDS_PER_WORD a word: neither the OpenAI nor the ElevenLabs
fake's pace, so a test can tell who narrated); "json" answers word speech marks as Polly does,
one JSON object a line: {"time": ms, "type": "word", "start": byte, "end": byte, "value": word},
offsets into the UTF-8 text. Both carry the x-amzn-RequestCharacters header. Errors answer
Polly's shape (x-amzn-ErrorType header, {"message"}); faults, delays and recorded requests work
as in the fake OpenAI server.
"""

import json
import re
from dataclasses import dataclass

from .audio import speech_mp3
from .openai_server import FakeOpenAI, Fault, _Handler

SECONDS_PER_WORD = 0.3
INPUT_LIMIT = 3000
VOICES = {"Joanna", "Matthew", "Lucia", "Sergio", "Lea", "Remi", "Vicki", "Daniel"}
VOICES |= {"Bianca", "Adriano", "Ruth"}
_WORD = re.compile(r"\w+(?:['\u2019]\w+)*")


def speech_marks(text: str) -> list[dict]:
    """A mark for each word of each whitespace token, the token's slot SECONDS_PER_WORD long."""
    marks = []
    for slot, token in enumerate(re.finditer(r"\S+", text)):
        for word in _WORD.finditer(token.group()):
            begin = token.start() + word.start()
            marks.append(
                {
                    "time": round(slot * SECONDS_PER_WORD * 1000),
                    "type": "word",
                    "start": len(text[:begin].encode()),
                    "end": len(text[: begin + len(word.group())].encode()),
                    "value": word.group(),
                }
            )
    return marks


@dataclass
class FakePolly(FakeOpenAI):
    def _handler_base(self) -> type:
        return _PollyHandler

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


class _PollyHandler(_Handler):
    def _read(self) -> tuple[dict, bytes]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return (json.loads(raw) if raw else {}), raw

    def _route(self, path: str):
        return self._synthesize if path == "/v1/speech" else None

    def _listing(self, path: str):
        """DescribeVoices: every voice of VOICES, neural (`models` overrides: {"id", "engines"})."""
        if path != "/v1/voices":
            return None
        voices = self.fake.models or [{"id": v, "engines": ["neural"]} for v in sorted(VOICES)]
        return {
            "Voices": [
                {
                    "Id": v["id"],
                    "Name": v["id"],
                    "LanguageCode": "en-US",
                    "Gender": "Female",
                    "SupportedEngines": v["engines"],
                }
                for v in voices
            ]
        }

    def _fault_body(self, fault: Fault) -> dict:
        return {"message": "fake failure", "__type": fault.code}

    def _error(self, status: int, code: str, message: str) -> int:
        body = json.dumps({"message": message}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-amzn-ErrorType", code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return status

    def _synthesize(self, path: str, body: dict) -> int:
        if "Credential=" not in self.headers.get("Authorization", ""):
            return self._error(403, "UnrecognizedClientException", "not signed")
        text = body.get("Text", "")
        if body.get("VoiceId") not in VOICES:
            return self._error(400, "InvalidParameterValueException", "unknown voice")
        if body.get("Engine") != "neural":
            return self._error(400, "EngineNotSupportedException", "neural only here")
        if not text or len(text) > INPUT_LIMIT:
            return self._error(400, "TextLengthExceededException", "too long")
        if body.get("OutputFormat") == "json":
            if body.get("SpeechMarkTypes") != ["word"]:
                return self._error(400, "InvalidParameterValueException", "marks")
            lines = "".join(json.dumps(mark) + "\n" for mark in speech_marks(text))
            content, content_type = lines.encode(), "application/x-json-stream"
        elif body.get("OutputFormat") == "mp3":
            content = speech_mp3(text, seconds_per_word=SECONDS_PER_WORD)
            content_type = "audio/mpeg"
        else:
            return self._error(400, "InvalidParameterValueException", "format")
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("x-amzn-RequestCharacters", str(len(text)))
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)
        return 200
