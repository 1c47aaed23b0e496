"""An uploaded picture costs a web worker a bounded amount of memory: it is refused by the size
its header declares before a pixel is decoded, large ones are decoded reduced, and one process
decodes at most PICTURE_DECODE_CONCURRENCY of them at once (the rest answer 503 at once)."""

import io
import json
import os
import struct
import subprocess
import sys
import threading
import zlib

import pytest
from PIL import Image

from infinitestories.api.errors import ApplicationError
from media import pictures
from media.pictures import MAX_SIDE, PictureError, picture_clean
from media.services import upload_picture_check

MB = 1024 * 1024


def declared_png(width: int, height: int) -> bytes:
    """A small PNG file (zeros compress well) that declares a `width` x `height` RGB canvas."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    compressor = zlib.compressobj(9)
    row = b"\0" * (1 + 3 * width)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


# Runs in a fresh interpreter, so its peak resident memory is this picture's alone.
_MEASURE = """
import json, resource, sys
import django
django.setup()
from media.pictures import PictureError, picture_clean
content = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    picture_clean(content)
    outcome = "kept"
except PictureError as exc:
    outcome = str(exc)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "peak_kib": after - before}))
"""


def peak_memory(content: bytes, tmp_path) -> dict:
    path = tmp_path / "picture.png"
    path.write_bytes(content)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "infinitestories.settings_test"}
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=os.getcwd(),
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_small_png_declaring_a_huge_canvas_is_refused_without_decoding_it(tmp_path):
    content = declared_png(6300, 6300)  # 39.7 MP, ~120 KB on disk
    assert len(content) < 300_000

    measured = peak_memory(content, tmp_path)

    assert measured["outcome"] == "The picture has too many pixels."
    assert measured["peak_kib"] < 32 * 1024  # decoded, it would be hundreds of MB


def test_a_picture_within_the_cap_costs_at_most_the_documented_bound(tmp_path):
    content = declared_png(4000, 4000)  # 16 MP: the largest an avatar may be

    measured = peak_memory(content, tmp_path)

    assert measured["outcome"] == "kept"
    # docs/operations.md: at most ~128 MB for one picture (16 MP decoded once, then fitted).
    assert measured["peak_kib"] < 128 * 1024


def test_a_long_strip_is_refused_by_its_longest_side():
    with pytest.raises(PictureError, match="too many pixels"):
        picture_clean(declared_png(9000, 10))


def test_a_large_jpeg_is_decoded_reduced_and_fits_max_side():
    buffer = io.BytesIO()
    Image.new("RGB", (6000, 2000), "green").save(buffer, format="JPEG")

    picture = picture_clean(buffer.getvalue())

    assert max(picture.width, picture.height) == MAX_SIDE


def test_uploads_past_the_process_decoding_limit_answer_503_at_once(settings):
    small = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(small, format="PNG")
    slots = settings.PICTURE_DECODE_CONCURRENCY
    held = [pictures.picture_decode_slot() for _ in range(slots)]
    for slot in held:
        slot.__enter__()
    try:
        with pytest.raises(ApplicationError) as refused:
            upload_picture_check(content=small.getvalue(), mime_type="image/png", max_size=MB)
    finally:
        for slot in held:
            slot.__exit__(None, None, None)

    assert refused.value.status == 503
    assert refused.value.headers["Retry-After"]
    again = upload_picture_check(content=small.getvalue(), mime_type="image/png", max_size=MB)
    assert again.width == 20  # free again


def test_parallel_uploads_never_decode_more_than_the_limit_at_once(settings, monkeypatch):
    at_once, most = [0], [0]
    lock = threading.Lock()
    entered = threading.Barrier(settings.PICTURE_DECODE_CONCURRENCY + 1, timeout=30)
    release = threading.Event()

    def slow_clean(content):
        with lock:
            at_once[0] += 1
            most[0] = max(most[0], at_once[0])
        entered.wait()
        release.wait(30)
        with lock:
            at_once[0] -= 1
        return "kept"

    monkeypatch.setattr("media.services.picture_clean", slow_clean)
    outcomes: list = []
    small = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(small, format="PNG")

    def adopt():
        try:
            outcomes.append(
                upload_picture_check(content=small.getvalue(), mime_type="image/png", max_size=MB)
            )
        except ApplicationError as exc:
            outcomes.append(exc.status)

    threads = [threading.Thread(target=adopt) for _ in range(settings.PICTURE_DECODE_CONCURRENCY)]
    for thread in threads:
        thread.start()
    entered.wait()  # every slot is busy decoding
    for _ in range(6):
        adopt()  # more uploads meanwhile: refused at once, not queued behind the others
    release.set()
    for thread in threads:
        thread.join(30)

    assert most[0] == settings.PICTURE_DECODE_CONCURRENCY
    assert outcomes.count(503) == 6
    assert outcomes.count("kept") == settings.PICTURE_DECODE_CONCURRENCY
