import re
import time
import uuid
from contextvars import ContextVar

import sentry_sdk
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.exception import convert_exception_to_response
from django.http import JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin
from django.utils.module_loading import import_string

from infinitestories.ai import chain, inflight
from infinitestories.faults import INFRASTRUCTURE_ERRORS

from .errors import NOT_FOUND, NOT_FOUND_MESSAGE, json_error, service_unavailable

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
            return json_error(NOT_FOUND, NOT_FOUND_MESSAGE, 404)
        if request.path_info.startswith("/api/") and len(request.path_info) > 5:
            request.path_info = request.path_info.rstrip("/")
        return get_response(request)

    return middleware


# infinitestories/urls.py serves the admin here.
ADMIN_PREFIX = "/admin/"


class LanguageMiddleware(MiddlewareMixin):
    """The language of the answer: the best of en, es, fr, de, it for the request's
    Accept-Language, English when none fits; it answers Content-Language with the language
    finally used, which for a signed-in API request is the user's own (accounts.authentication
    activates it once the bearer token is read).

    Django's LocaleMiddleware less its URL-prefix handling: no URL here names a language
    (no i18n_patterns), and looking for one in every path cost a tenth of a trivial request's
    plumbing. The answers are the same (tests/infinitestories/test_languages.py).

    The admin stays in English: its own texts are (a multi-language admin is out of the PRD's
    scope), and half-translated pages would be worse than none.
    """

    def process_request(self, request):
        if request.path_info.startswith(ADMIN_PREFIX):
            language = settings.LANGUAGE_CODE
        else:
            language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class ServiceUnavailableMiddleware:
    """Views outside DRF (the admin, the local upload endpoint, e-mailed pages) answer a failure
    of Redis, the database or storage as DRF views do: 503 SERVICE_UNAVAILABLE, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, INFRASTRUCTURE_ERRORS):
            return None
        body, status, headers = service_unavailable(exception)
        return JsonResponse(body, status=status, headers=headers)


# The share of WEB_TIMEOUT the AI calls of one request may use; the rest saves and answers.
AI_SHARE_OF_WEB_TIMEOUT = 0.9


def ai_time_budget(get_response):
    """Stories and avatars are made inside the request: their AI calls share WEB_TIMEOUT, so a
    slow vendor ends the request with 503 AI_UNAVAILABLE (its Idempotency-Key released at once)
    instead of holding a web thread after the client has given up. Their places among the
    in-request AI calls (infinitestories.ai.inflight) are given back when the request ends."""

    def middleware(request):
        with (
            inflight.request_scope(),
            chain.time_budget(settings.WEB_TIMEOUT * AI_SHARE_OF_WEB_TIMEOUT),
        ):
            return get_response(request)

    return middleware


# The admin's and the e-mailed pages' middleware, in order: sign-in from the session, OTP,
# the audit log's actor, flash messages, and django-axes last as it asks (it answers a
# locked-out admin login). The API signs in with a bearer token and uses none of them.
SITE_MIDDLEWARE = [
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "axes.middleware.AxesMiddleware",
]


class SiteOnlyMiddleware:
    """Runs SITE_MIDDLEWARE for every path but /api/: on the API they cost a third of a trivial
    request's plumbing (the audit log reconnects a signal on each) and do nothing. An API request
    starts anonymous; DRF's authentication names its user."""

    def __init__(self, get_response):
        self.get_response = get_response
        handler = get_response
        for path in reversed(SITE_MIDDLEWARE):
            instance = import_string(path)(handler)
            # None of them has view, template or exception hooks (checked in the tests).
            handler = convert_exception_to_response(instance)
        self.site = handler

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            request.user = AnonymousUser()
            return self.get_response(request)
        return self.site(request)
