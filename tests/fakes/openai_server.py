"""A fake OpenAI HTTP API on loopback, for tests that run the real openai SDK end to end.

openai 3.x talks through httpx2, which respx cannot intercept, so the boundary is real HTTP:
point OPENAI_BASE_URL at `server.base_url`. It implements what the app calls:
/v1/chat/completions (plain and response_format json_schema), /v1/audio/speech (MP3 whose length
follows the text), /v1/audio/transcriptions (verbose_json with word timestamps, as whisper-1),
/v1/images/generations and /v1/images/edits (b64_json PNG), /v1/moderations.

Faults are programmable per path prefix: `fail(path, times=2, status=500)` answers that status N
times then recovers; `fail(path, times=None)` always fails; `fail(path, times=None, after=1)`
answers once, then fails; `refuse(path, times=1)` answers a
400 content_policy_violation; `delay[path] = seconds` slows answers. Moderation flags text with
one of `flag_words`, and pictures (image_url parts, as omni-moderation takes them) on command:
`flag_images(times=1)`. Every request is recorded, its raw body too (`Recorded.raw`), so a test
can search everything that left the app. The story the chat model writes is in the language the
prompt asks for, about the hero the DATA block names.
"""

import base64
import io
import json
import re
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import ExifTags, Image
from PIL.PngImagePlugin import PngInfo

from infinitestories.ai.local_media import picture
from infinitestories.ai.local_stories import write_story
from infinitestories.ai.speech import NARRATION_SECONDS_PER_WORD as SECONDS_PER_WORD

from .audio import speech_mp3, spoken_text

TTS_LIMIT = 4096
LANGUAGES = {"English": "en", "Spanish": "es", "French": "fr", "German": "de", "Italian": "it"}
FLAG_WORDS = {"blood", "knife", "gun", "kill", "flagme"}
DEFAULT_MODELS = [
    "gpt-5.4",
    "gpt-5.4-mini",
    "gpt-image-2",
    "omni-moderation-latest",
    "gpt-4o-mini-tts-2025-12-15",
    "whisper-1",
]


@dataclass
class Recorded:
    path: str
    body: dict
    status: int = 200
    query: str = ""
    raw: bytes = b""
    at: float = field(default_factory=time.time)  # when the request arrived (benchmarks)


@dataclass
class Fault:
    status: int
    times: int | None  # None: always
    code: str = "server_error"
    after: int = 0  # answers this many requests before failing

    def take(self) -> bool:
        """Whether it strikes now (counting one use). Called under the fake's lock."""
        if self.after > 0:
            self.after -= 1
            return False
        if self.times is None:
            return True
        if self.times > 0:
            self.times -= 1
            return True
        return False


@dataclass
class FakeOpenAI:
    host: str = "127.0.0.1"
    requests: list[Recorded] = field(default_factory=list)
    faults: dict[str, Fault] = field(default_factory=dict)
    delay: dict[str, float] = field(default_factory=dict)
    # `hold[path] = threading.Event()`: requests to that path wait until the event is set (a
    # vendor slow for as long as a test needs, without sleeping on a clock).
    hold: dict[str, threading.Event] = field(default_factory=dict)
    # Overrides: the story the chat model writes ({"title", "content"}), extra paragraphs.
    story: dict | None = None
    story_paragraphs: int | None = None
    # A billed chat answer the app cannot use: a refusal, or text that is not the JSON asked for
    # (an answer cut off at max tokens).
    chat_refusal: str | None = None
    chat_raw: str | None = None
    flag_words: set[str] = field(default_factory=lambda: set(FLAG_WORDS))
    # Moderation flags this many pictures from now on (flag_images).
    image_flags: Fault = field(default_factory=lambda: Fault(status=200, times=0, code="flagged"))
    # GET /v1/models: the models listed, each {"id", ...} (a "shutdown_date" where one is
    # announced); None lists the app's default models. The other fakes list theirs the same way.
    models: list[dict] | None = None

    def __post_init__(self):
        self._lock = threading.Lock()
        handler = type("Handler", (self._handler_base(),), {"fake": self})
        self.httpd = ThreadingHTTPServer((self.host, 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _handler_base(self) -> type:
        return _Handler

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> "FakeOpenAI":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail(
        self, path: str, *, times: int | None = 1, status: int = 500, after: int = 0, code: str = ""
    ) -> None:
        self.faults[path] = Fault(
            status=status, times=times, after=after, code=code or "server_error"
        )

    def refuse(self, path: str, *, times: int | None = 1) -> None:
        self.faults[path] = Fault(status=400, times=times, code="content_policy_violation")

    def flag_images(self, *, times: int | None = 1) -> None:
        """Flag the next `times` pictures moderation sees (None: every one)."""
        with self._lock:
            self.image_flags = Fault(status=200, times=times, code="flagged")

    def _flag_image(self) -> bool:
        with self._lock:
            return self.image_flags.take()

    def calls(self, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(path)]

    def _fault_for(self, path: str) -> Fault | None:
        with self._lock:
            for prefix, fault in self.faults.items():
                if path.startswith(prefix) and fault.take():
                    return fault
        return None

    def _record(self, path: str, body: dict, raw: bytes, query: str = "") -> Recorded:
        """Recorded on arrival (status 0 until answered), so a test can see a call in flight."""
        record = Recorded(path=path, body=body, status=0, raw=raw, query=query)
        with self._lock:
            self.requests.append(record)
        return record


def _with_vendor_metadata(png: bytes) -> bytes:
    """Like real image APIs, the fake signs its pictures (text chunks, EXIF): the app must not
    keep any of it."""
    info = PngInfo()
    info.add_text("Software", "fake-openai image model")
    info.add_text("c2pa", "content credentials manifest")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "fake-openai"
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).save(out, format="PNG", pnginfo=info, exif=exif)
    return out.getvalue()


def _files(value) -> bool:
    """A multipart field's uploaded files (recorded as a count, not their bytes)."""
    return isinstance(value, list) and bool(value) and isinstance(value[0], bytes)


def _data_block(text: str) -> dict:
    match = re.search(r"<DATA>\n(.*)\n</DATA>", text, re.S)
    return json.loads(match.group(1)) if match else {}


# What the real image API reports, written out here rather than read from the production tables
# the cost estimates use (infinitestories.ai.images), so a cost test compares two sources: output
# tokens of one picture by quality and size, from OpenAI's image generation guide (gpt-image-1).
PICTURE_OUTPUT_TOKENS = {
    ("low", "1024x1024"): 272,
    ("low", "1024x1536"): 408,
    ("low", "1536x1024"): 400,
    ("medium", "1024x1024"): 1056,
    ("medium", "1024x1536"): 1584,
    ("medium", "1536x1024"): 1568,
    ("high", "1024x1024"): 4160,
    ("high", "1024x1536"): 6240,
    ("high", "1536x1024"): 6208,
}
# A 1024x1024 reference picture as input, by OpenAI's vision rule: 85 base tokens plus 170 for
# each of the four 512-pixel tiles of its 768x768 scaled copy.
REFERENCE_PICTURE_TOKENS = 85 + 4 * 170


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


class _Handler(BaseHTTPRequestHandler):
    fake: "FakeOpenAI"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _read(self) -> tuple[dict, bytes]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            return json.loads(raw or b"{}"), raw
        if content_type.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + raw
            )
            form: dict = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if part.get_filename():
                    form.setdefault(name, []).append(payload)
                    form[f"{name}__content_type"] = part.get_content_type()
                else:
                    form[name] = payload.decode()
            return form, raw
        return {}, raw

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: dict) -> None:
        self._send(status, json.dumps(payload).encode())

    def do_POST(self):
        path, _, query = self.path.partition("?")
        body, raw = self._read()
        recorded = self.fake._record(
            path,
            {k: (f"<{len(v)} file(s)>" if _files(v) else v) for k, v in body.items()},
            raw,
            query,
        )
        for prefix, seconds in self.fake.delay.items():
            if path.startswith(prefix):
                time.sleep(seconds)
        for prefix, gate in list(self.fake.hold.items()):
            if path.startswith(prefix):
                gate.wait(60)
        fault = self.fake._fault_for(path)
        if fault is not None:
            recorded.status = fault.status
            return self._json(fault.status, self._fault_body(fault))
        handler = self._route(path)
        if handler is None:
            recorded.status = 404
            return self._json(404, {"error": {"message": "unknown path", "code": "not_found"}})
        recorded.status = handler(path, body)

    def do_GET(self):
        """The vendor's model list (the shutdown watch reads it), faults as for POST."""
        path, _, query = self.path.partition("?")
        recorded = self.fake._record(path, {}, b"", query)
        fault = self.fake._fault_for(path)
        if fault is not None:
            recorded.status = fault.status
            return self._json(fault.status, self._fault_body(fault))
        answer = self._listing(path)
        if answer is None:
            recorded.status = 404
            return self._json(404, {"error": {"message": "unknown path", "code": "not_found"}})
        recorded.status = 200
        self._json(200, answer)

    def _listing(self, path: str) -> dict | list | None:
        if path != "/v1/models":
            return None
        models = self.fake.models
        if models is None:
            models = [{"id": name} for name in DEFAULT_MODELS]
        return {
            "object": "list",
            "data": [{"object": "model", "owned_by": "openai", **m} for m in models],
        }

    def _fault_body(self, fault: Fault) -> dict:
        error = {"message": "fake failure", "type": "server_error", "code": fault.code}
        if fault.code == "content_policy_violation":
            error.update(
                type="invalid_request_error",
                message="Your request was rejected by the safety system.",
            )
        return {"error": error}

    def _route(self, path: str):
        return {
            "/v1/chat/completions": self._chat,
            "/v1/audio/speech": self._speech,
            "/v1/audio/transcriptions": self._transcription,
            "/v1/images/generations": self._image,
            "/v1/images/edits": self._image,
            "/v1/moderations": self._moderation,
        }.get(path)

    # --- endpoints ----------------------------------------------------------------------------
    def _chat(self, path: str, body: dict) -> int:
        messages = body.get("messages", [])
        prompt = "\n".join(m.get("content", "") for m in messages)
        schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("name")
        data = _data_block(prompt)
        if schema == "story":
            if self.fake.story is not None:
                answer = self.fake.story
            else:
                hero = data.get("hero", {})
                asked = re.search(r"in (English|Spanish|French|German|Italian)", prompt)
                title, content = write_story(
                    language=LANGUAGES[asked.group(1)] if asked else "en",
                    name=hero.get("name", "Hero"),
                    age=hero.get("age", 7),
                    traits=hero.get("traits", []),
                    abilities=hero.get("abilities", []),
                    event="a special day",
                    paragraphs=self.fake.story_paragraphs,
                )
                answer = {"title": title, "content": content}
        elif schema == "scenes":
            count = int(re.search(r"exactly (\d+) scenes", prompt).group(1))
            paragraphs = [p for p in data.get("story", "").split("\n\n") if p.strip()]
            answer = {
                "scenes": [
                    {
                        "description": f"Scene {i + 1}: "
                        + paragraphs[i * len(paragraphs) // count][:120],
                        "anchor": " ".join(paragraphs[i * len(paragraphs) // count].split()[:6]),
                        "mood": "calm",
                    }
                    for i in range(count)
                ]
            }
        elif schema == "visual_profile":
            answer = {
                "hair_color": "blonde",
                "hair_style": "curly",
                "eye_color": "blue",
                "skin_tone": "light",
                "body_type": "child",
                "height": "small",
                "clothing_style": "yellow raincoat",
                "color_palette": ["yellow", "sky blue"],
                "accessories": ["star pin"],
                "art_style": "watercolor",
                "canonical_prompt": "A 7-year-old girl with curly blonde hair and blue eyes in a yellow raincoat, watercolor",
                "simplified_prompt": "girl, curly blonde hair, yellow raincoat",
            }
        else:
            answer = None
        content = json.dumps(answer) if answer is not None else "Once upon a time."
        refusal = self.fake.chat_refusal
        if refusal is not None:
            content = None
        elif self.fake.chat_raw is not None:
            content = self.fake.chat_raw
        self._json(
            200,
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                # Like the real API: the dated snapshot that answered, not the alias asked for.
                "model": f"{body.get('model')}-2026-03-05",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": refusal},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": _tokens(prompt),
                    "completion_tokens": _tokens(content or refusal),
                    "total_tokens": _tokens(prompt) + _tokens(content or refusal),
                },
            },
        )
        return 200

    def _speech(self, path: str, body: dict) -> int:
        text = body.get("input", "")
        if len(text) > TTS_LIMIT:
            self._json(
                400, {"error": {"message": "input too long", "code": "string_above_max_length"}}
            )
            return 400
        self._send(200, speech_mp3(text, seconds_per_word=SECONDS_PER_WORD), "audio/mpeg")
        return 200

    def _transcription(self, path: str, body: dict) -> int:
        """As whisper-1 with verbose_json and word granularity: the words heard (the text the
        fake voice tagged its MP3 with), without punctuation, SECONDS_PER_WORD apart."""
        audio = (body.get("file") or [b""])[0]
        text = spoken_text(audio)
        heard = [re.sub(r"[^\w'-]+", "", token) for token in text.split()]
        words = [
            {
                "word": word,
                "start": round(i * SECONDS_PER_WORD, 3),
                "end": round((i + 0.75) * SECONDS_PER_WORD, 3),
            }
            for i, word in enumerate(heard)
            if word
        ]
        self._json(
            200,
            {
                "task": "transcribe",
                "language": "english",
                "duration": round(len(text.split()) * SECONDS_PER_WORD, 2),
                "text": " ".join(heard),
                "words": words,
            },
        )
        return 200

    def _image(self, path: str, body: dict) -> int:
        prompt = body.get("prompt", "")
        reference = (
            (body.get("image") or body.get("image[]") or [None])[0]
            if path.endswith("edits")
            else None
        )
        png = _with_vendor_metadata(picture(prompt, reference=reference))
        # Tokens as the real API counts them: the picture's by quality and size, the reference's.
        quality, size = body.get("quality") or "medium", body.get("size") or "1024x1024"
        output = PICTURE_OUTPUT_TOKENS.get(
            (quality, size), PICTURE_OUTPUT_TOKENS[("medium", "1024x1024")]
        )
        image_in = REFERENCE_PICTURE_TOKENS if reference is not None else 0
        self._json(
            200,
            {
                "created": int(time.time()),
                "data": [{"b64_json": base64.b64encode(png).decode()}],
                "usage": {
                    "input_tokens": _tokens(prompt) + image_in,
                    "output_tokens": output,
                    "total_tokens": _tokens(prompt) + image_in + output,
                    "input_tokens_details": {
                        "text_tokens": _tokens(prompt),
                        "image_tokens": image_in,
                    },
                },
            },
        )
        return 200

    def _moderation(self, path: str, body: dict) -> int:
        given = body.get("input", "")
        parts = [given] if isinstance(given, str) else list(given)
        texts = [p if isinstance(p, str) else p.get("text", "") for p in parts]
        images = [p["image_url"]["url"] for p in parts if isinstance(p, dict) and "image_url" in p]
        if any(not url.startswith("data:image/") for url in images):
            self._json(400, {"error": {"message": "bad image_url", "code": "invalid_image"}})
            return 400
        words = set(re.findall(r"\w+", " ".join(texts).lower()))
        flagged = bool(words & self.fake.flag_words) or any(self.fake._flag_image() for _ in images)
        categories = {"violence": flagged, "sexual": False, "self-harm": False, "harassment": False}
        self._json(
            200,
            {
                "id": "modr-fake",
                "model": "omni-moderation-2024-09-26",
                "results": [
                    {
                        "flagged": flagged,
                        "categories": categories,
                        "category_scores": {k: (0.9 if v else 0.01) for k, v in categories.items()},
                    }
                ],
            },
        )
        return 200
