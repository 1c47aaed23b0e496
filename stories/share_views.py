"""The shared story's public page and its media: no login, the link's secret is the key.

Every answer (the page, its pictures and narration, the friendly error pages) is marked not to be
indexed, sends no referrer (the link is in the URL) and carries a strict Content-Security-Policy:
only this site's own script, style, pictures and audio. The media are served here, after the
share is checked on each request, so they stop working the moment the share ends; the
read-along timings are in the page itself.
"""

import mimetypes
import re

from django.core.files.storage import default_storage
from django.http import HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from infinitestories.api import ratelimit
from infinitestories.api.errors import ApplicationError

from . import selectors
from .models import StoryShare
from .services import shares
from .share_page import page_build, page_narrated, shared_pictures

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PRIVATE_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # Other sites may not embed the pictures or the narration.
    "Cross-Origin-Resource-Policy": "same-origin",
}
_CHUNK = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _private(response: HttpResponse, *, cache: str = "no-store") -> HttpResponse:
    for header, value in PRIVATE_HEADERS.items():
        response[header] = value
    response["Cache-Control"] = cache
    return response


def _unavailable(request, *, status: int, language: str | None = None) -> HttpResponse:
    """The small friendly page of a link that no longer works (or never did)."""
    with translation.override(language or translation.get_language()):
        if status == 410:
            heading = _("This story link has expired")
            message = _("Ask the family who sent it for a new link.")
        elif status == 429:
            heading = _("Too many requests")
            message = _("Please wait a minute and try again.")
        else:
            heading = _("This story link does not work")
            message = _("It may have been removed by the family who sent it.")
        response = TemplateResponse(
            request,
            "stories/share_unavailable.html",
            {"heading": heading, "message": message, "language": translation.get_language()},
            status=status,
        )
        response.render()
        response["Content-Language"] = translation.get_language()
    return _private(response)


def _open(request, secret: str) -> tuple[StoryShare | None, HttpResponse | None]:
    """The live share behind `secret`, or the answer to give instead: 429 over the address's
    limit, 404 unknown or revoked, 410 expired."""
    try:
        ratelimit.hit(request, "share_view")
    except ApplicationError:
        return None, _unavailable(request, status=429)
    share = selectors.share_by_secret(secret=secret)
    if share is None:
        return None, _unavailable(request, status=404)
    if share.expires_at <= timezone.now():
        return None, _unavailable(request, status=410, language=share.story.language)
    return share, None


@require_safe
def share_page(request, secret: str):
    """GET /s/<secret>: the story, readable without JavaScript; read-along with it."""
    share, refusal = _open(request, secret)
    if refusal is not None:
        return refusal
    if request.method == "GET":
        shares.share_view_count(share=share)
    page = page_build(share=share)
    with translation.override(page.language):
        response = TemplateResponse(
            request,
            "stories/share.html",
            {"page": page, "secret": secret, "expires_at": share.expires_at},
        )
        response.render()
    response["Content-Language"] = page.language
    return _private(response)


@require_safe
def share_audio(request, secret: str):
    """GET /s/<secret>/audio: the narration, while the share lives (byte ranges for seeking)."""
    share, refusal = _open(request, secret)
    if refusal is not None:
        return refusal
    if not page_narrated(share=share):
        return _unavailable(request, status=404, language=share.story.language)
    return _file(request, key=share.story.audio_key, language=share.story.language)


@require_safe
def share_picture(request, secret: str, number: int):
    """GET /s/<secret>/pictures/<n>: the page's n-th picture, while the share lives."""
    share, refusal = _open(request, secret)
    if refusal is not None:
        return refusal
    rows = shared_pictures(story=share.story)
    if not 1 <= number <= len(rows):
        return _unavailable(request, status=404, language=share.story.language)
    return _file(request, key=rows[number - 1].image_key, language=share.story.language)


def _file(request, *, key: str, language: str) -> HttpResponse:
    """The stored file, whole or the one byte range asked for (a browser seeks in audio with
    Range requests; Django's FileResponse does not answer them)."""
    if not default_storage.exists(key):
        return _unavailable(request, status=404, language=language)
    size = default_storage.size(key)
    content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    start, end, status = 0, size - 1, 200
    asked = _RANGE.match(request.headers.get("Range", "").strip())
    if asked and (asked.group(1) or asked.group(2)):
        first, last = asked.groups()
        if first:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        else:  # the last N bytes
            start = max(size - int(last), 0)
        if start >= size or start > end:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return _private(response, cache="private, no-cache")
        status = 206
    length = end - start + 1
    if request.method == "HEAD":
        response = HttpResponse(status=status, content_type=content_type)
    else:
        response = StreamingHttpResponse(
            _chunks(key, start, length), status=status, content_type=content_type
        )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    # The browser may keep what it fetched for this page, but asks again before reusing it: a
    # revoked share's media are gone from the next request on.
    return _private(response, cache="private, no-cache")


def _chunks(key: str, start: int, length: int):
    with default_storage.open(key, "rb") as file:
        file.seek(start)
        while length > 0:
            chunk = file.read(min(_CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
