"""Conditional GET (ETag / If-None-Match -> 304) for the reads the app polls and re-opens.

The ETag is a hash of what the answer is made from, not of the answer: the rows as they came
from the database (every column, annotation such as a story count, and related row loaded with
them), who asks, the path with its query, the language, the host (media URLs are absolute) and
which half of a presigned URL's life it is. A 304 therefore skips the serializers and the JSON,
and any change in the answer changes the ETag, including a change written with `.update()`,
which does not touch updated_at.

Because the ETag names the answer exactly, the answer itself is kept by its ETag once rendered,
in this process (ANSWER_CACHE_BYTES, least recently used first out): a client that asks again
without If-None-Match (or another device of the family) costs the query and the hash, not the
serializers and the JSON.
"""

import hashlib
import threading
from pathlib import Path

import cachetools
from django.conf import settings
from django.utils import translation
from django.utils.http import parse_etags
from rest_framework.response import Response

_BASE = Path(__file__).resolve().parents[2]
# The answers' shapes: a deploy that changes an output serializer changes every ETag with it.
_SHAPES = hashlib.blake2b(
    b"".join(
        (_BASE / name).read_bytes()
        for name in (
            "accounts/serializers.py",
            "heroes/serializers.py",
            "stories/serializers.py",
            "infinitestories/api/conditional.py",
        )
        if (_BASE / name).exists()
    ),
    digest_size=8,
).hexdigest()


def row_state(row, _seen: frozenset = frozenset()) -> tuple | None:
    """A model instance's loaded values, annotations and related rows loaded with it (a row
    that points back at one already included, as a one-to-one does, is named, not repeated)."""
    if row is None:
        return None
    if id(row) in _seen:
        return ("seen", row.pk)
    seen = _seen | {id(row)}
    values = tuple(item for item in row.__dict__.items() if not item[0].startswith("_"))
    related = tuple(
        (name, row_state(other, seen)) for name, other in sorted(row._state.fields_cache.items())
    )
    return values, related


def etag(request, *parts) -> str:
    digest = hashlib.blake2b(digest_size=16)
    key = (
        _SHAPES,
        request.user.pk,
        request.build_absolute_uri(),
        translation.get_language(),
        parts,
    )
    digest.update(repr(key).encode())
    return f'"{digest.hexdigest()}"'


_answers: dict[int, cachetools.LRUCache] = {}
# Held for each read or write of a cache (cachetools' are not thread-safe).
_answers_lock = threading.Lock()


def _answer_cache() -> cachetools.LRUCache:
    """This process's rendered answers, (content type, body) by ETag, bounded by their bytes.
    Call it holding _answers_lock."""
    size = settings.ANSWER_CACHE_BYTES
    if size not in _answers:
        _answers[size] = cachetools.LRUCache(maxsize=size, getsizeof=lambda kept: len(kept[1]))
    return _answers[size]


def _answer_keep(tag: str, response) -> None:
    body = response.content
    if response.status_code == 200 and len(body) <= settings.ANSWER_CACHE_BYTES:
        with _answers_lock:
            _answer_cache()[tag] = (response["Content-Type"], body)


def conditional_answer(request, parts: tuple, render) -> Response:
    """304 with no body when the client's If-None-Match names the answer's ETag; else the answer
    kept under that ETag, or the one `render()` makes (then kept), with its ETag."""
    tag = etag(request, *parts)
    given = request.META.get("HTTP_IF_NONE_MATCH")
    if given:
        # Weak comparison (RFC 9110 13.1.2): W/"x" matches "x".
        wanted = {value.removeprefix("W/") for value in parse_etags(given)}
        if tag in wanted or "*" in wanted:
            return Response(status=304, headers={"ETag": tag})
    with _answers_lock:
        kept = _answer_cache().get(tag) if settings.ANSWER_CACHE_BYTES else None
    if kept is not None:
        content_type, body = kept
        response = Response(headers={"ETag": tag, "Content-Type": content_type})
        response.content = body  # rendered already: DRF's renderer is skipped
        return response
    response = render()
    response["ETag"] = tag
    if settings.ANSWER_CACHE_BYTES:
        response.add_post_render_callback(lambda rendered: _answer_keep(tag, rendered))
    return response
