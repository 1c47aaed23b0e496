"""Uploading a file as the app does: POST /api/files/upload, then a PUT of the bytes to the
presigned URL of the S3 server (moto) it answers."""

import io
import urllib.request

from PIL import Image

from tests.fakes.audio import speech_mp3

MIME_TYPES = {"avatar": "image/png", "pictogram": "image/png", "illustration": "image/png"}


def upload(api, content: bytes, *, category: str, mime_type: str = "") -> str:
    """The storageKey of `content` uploaded in `category` by the signed-in client `api`."""
    mime_type = mime_type or MIME_TYPES.get(category, "audio/mpeg")
    answer = api.post(
        "/api/files/upload",
        {"fileName": "f", "mimeType": mime_type, "fileSize": len(content), "category": category},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    put = urllib.request.Request(  # noqa: S310 - loopback moto server
        answer.json()["uploadUrl"], data=content, method="PUT", headers={"Content-Type": mime_type}
    )
    with urllib.request.urlopen(put) as response:  # noqa: S310
        assert response.status == 200
    return answer.json()["storageKey"]


def download(url: str) -> bytes:
    with urllib.request.urlopen(url) as response:  # noqa: S310 - loopback moto server
        return response.read()


def png(color: str = "blue", size: tuple[int, int] = (16, 12)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def narration(text: str = "Once upon a time a brave fox found the moon.") -> bytes:
    """A real MP3 (silent frames, an ID3 tag carrying the text), 0.4 s a word."""
    return speech_mp3(text, seconds_per_word=0.4)


def bucket_keys(s3_client, bucket: str) -> set[str]:
    return {obj["Key"] for obj in s3_client.list_objects_v2(Bucket=bucket).get("Contents", [])}
