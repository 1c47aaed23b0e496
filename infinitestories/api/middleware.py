import re
import time
import uuid
from contextvars import ContextVar

import sentry_sdk

from .errors import NOT_FOUND, json_error

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy or a client may name a request: a UUID, a hex or base64 token, a trace id. Anything
# else (too long, spaces, control characters, non-ASCII) is replaced, so logs cannot be forged.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}")


_current_request: ContextVar = ContextVar("current_request", default=None)


def absolute_url(url: str) -> str:
    """`url` with the scheme and host of the request being served (as the client reached us);
    unchanged when it is absolute already or when no request is being served."""
    request = _current_request.get()
    if request is None or not url.startswith("/"):
        return url
    return request.build_absolute_uri(url)


def request_context(get_response):
    """Name every request: keep a sane X-Request-ID, else make one; answer with it. And keep
    the request at hand for `absolute_url`.

    django-structlog (next in MIDDLEWARE) binds the id to every log line of the request and
    carries it into the Celery tasks the request starts; Sentry tags errors with it. The start
    time is kept for the access line's duration (api/apps.py).
    """

    def middleware(request):
        request.started_at = time.monotonic()
        # META, not request.headers: that is cached on first use, before the line below.
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        rid = given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        request.META["HTTP_X_REQUEST_ID"] = rid
        sentry_sdk.set_tag("request_id", rid)
        token = _current_request.set(request)
        try:
            response = get_response(request)
        finally:
            _current_request.reset(token)
        response[REQUEST_ID_HEADER] = rid
        return response

    return middleware


def api_paths(get_response):
    """Path hygiene before routing.

    - API paths are declared without a trailing slash; `/api/heroes/` is served as `/api/heroes`.
    - A NUL byte can name nothing we store (PostgreSQL text cannot hold it): 404 at once.
    """

    def middleware(request):
        if "\x00" in request.path_info:
            return json_error(NOT_FOUND, "Not found.", 404)
        if request.path_info.startswith("/api/") and len(request.path_info) > 5:
            request.path_info = request.path_info.rstrip("/")
        return get_response(request)

    return middleware
