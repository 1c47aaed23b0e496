import re
import time
import uuid

import sentry_sdk

from .errors import NOT_FOUND, json_error

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy or a client may name a request: a UUID, a hex or base64 token, a trace id. Anything
# else (too long, spaces, control characters, non-ASCII) is replaced, so logs cannot be forged.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}")


def request_id(get_response):
    """Name every request: keep a sane X-Request-ID, else make one; answer with it.

    django-structlog (next in MIDDLEWARE) binds it to every log line of the request and carries
    it into the Celery tasks the request starts; Sentry tags errors with it. The start time is
    kept for the access line's duration (api/apps.py).
    """

    def middleware(request):
        request.started_at = time.monotonic()
        # META, not request.headers: that is cached on first use, before the line below.
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        rid = given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        request.META["HTTP_X_REQUEST_ID"] = rid
        sentry_sdk.set_tag("request_id", rid)
        response = get_response(request)
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
