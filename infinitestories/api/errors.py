"""One error shape for every failure: {"error": message, "code": MACHINE_CODE, "details": {...}}.

Services raise ApplicationError; the AI layer's errors, DRF's and Django's are translated here;
anything else is logged and answered as a plain 500 that never carries a traceback.

Messages are in the language of the request (README "Languages"): written with gettext where they
are raised, gettext_lazy for the constants here; DRF's and Django's come from their own catalogs.
The code never changes with the language.
"""

import logging
import sys
from typing import Any

from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response

from infinitestories.ai.base import Operation
from infinitestories.ai.errors import (
    AIBusy,
    AIError,
    FamilyTextFlagged,
    GeneratedContentFlagged,
    TransientProviderError,
)
from infinitestories.faults import INFRASTRUCTURE_ERRORS

logger = logging.getLogger(__name__)

# Machine codes the iOS app can switch on (README lists them).
VALIDATION_ERROR = "VALIDATION_ERROR"
MALFORMED_JSON = "MALFORMED_JSON"
UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
UNAUTHORIZED = "UNAUTHORIZED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
RATE_LIMITED = "RATE_LIMITED"
INTERNAL_ERROR = "INTERNAL_ERROR"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
CONTENT_REJECTED = "CONTENT_REJECTED"
AI_UNAVAILABLE = "AI_UNAVAILABLE"
AI_FAILED = "AI_FAILED"
IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
REQUEST_IN_PROGRESS = "REQUEST_IN_PROGRESS"


class ApplicationError(Exception):
    """The one exception services raise for an answer the client should see."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details or {}
        self.headers = headers or {}


NOT_FOUND_MESSAGE = gettext_lazy("Not found.")
INVALID_FIELDS_MESSAGE = gettext_lazy("The request has invalid fields.")
_FORBIDDEN = gettext_lazy("You do not have permission to do this.")
_INTERNAL_ERROR = gettext_lazy("Something went wrong on our side. Please try again.")


class NotFoundError(ApplicationError):
    def __init__(self, message: str = NOT_FOUND_MESSAGE):
        super().__init__(NOT_FOUND, message, status=404)


# What the family reads when the AI failed for good, by the use case that failed.
_AVATAR_FAILED = gettext_lazy("We could not draw this avatar. Please try a different description.")
_AI_FAILED_MESSAGES = {
    Operation.AVATAR_GENERATION: _AVATAR_FAILED,
    Operation.VISUAL_PROFILE: _AVATAR_FAILED,
    Operation.MODERATION: gettext_lazy(
        "We could not check this text right now. Please try again later."
    ),
}
_AI_FAILED_DEFAULT = gettext_lazy("We could not write this story right now. Please try again.")
_STORY_FLAGGED = gettext_lazy(
    "We could not write a story we were happy with this time. Please try again, "
    "perhaps with a different occasion."
)
_AI_UNAVAILABLE = gettext_lazy(
    "Our storyteller is resting right now. Please try again in a few minutes."
)
_SERVICE_UNAVAILABLE = gettext_lazy(
    "We are having trouble on our side. Please try again in a moment."
)
# What a client should wait before trying again after a 503 SERVICE_UNAVAILABLE (seconds).
SERVICE_RETRY_AFTER = "5"


def service_unavailable(exc: BaseException) -> tuple[dict, int, dict]:
    """The answer to a failure of the infrastructure (Redis, the database, storage): 503 with
    Retry-After, never a 500; the cause stays in the log."""
    logger.warning("Service unavailable: %s: %s", type(exc).__name__, exc)
    return (
        error_body(SERVICE_UNAVAILABLE, _SERVICE_UNAVAILABLE),
        503,
        {"Retry-After": SERVICE_RETRY_AFTER},
    )


def ai_error_answer(exc: AIError) -> ApplicationError:
    """The answer to an AI-layer failure: flagged family text 400, a provider that is down 503
    (retry later), one that failed for good 502."""
    if isinstance(exc, FamilyTextFlagged):
        return ApplicationError(
            CONTENT_REJECTED, exc.message, status=400, details={"field": ",".join(exc.fields)}
        )
    if isinstance(exc, AIBusy):
        return _ai_busy(exc)
    if isinstance(exc, TransientProviderError):
        return ApplicationError(AI_UNAVAILABLE, _AI_UNAVAILABLE, status=503)
    if isinstance(exc, GeneratedContentFlagged):
        return ApplicationError(AI_FAILED, _STORY_FLAGGED, status=502)
    logger.warning("AI %s failed permanently: %s", exc.operation or "call", exc)
    message = _AI_FAILED_MESSAGES.get(exc.operation, _AI_FAILED_DEFAULT)
    return ApplicationError(AI_FAILED, message, status=502)


# The same words as every rate limit (ratelimit.TOO_MANY_REQUESTS).
_TOO_MANY_AT_ONCE = gettext_lazy("Too many requests. Please wait a little and try again.")
# What to wait before trying again when in-request AI work is full (seconds).
AI_BUSY_RETRY_AFTER = "10"


def _ai_busy(exc: AIBusy) -> ApplicationError:
    """The account has as many requests waiting on a vendor as it may (429), or the service
    has (503): answered at once, nothing charged."""
    headers = {"Retry-After": AI_BUSY_RETRY_AFTER}
    if exc.scope == "user":
        return ApplicationError(
            RATE_LIMITED,
            _TOO_MANY_AT_ONCE,
            status=429,
            details={"limit": "ai_in_flight", "retryAfter": int(AI_BUSY_RETRY_AFTER)},
            headers=headers,
        )
    return ApplicationError(AI_UNAVAILABLE, _AI_UNAVAILABLE, status=503, headers=headers)


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    """The envelope; a lazy message is put in the language active now (the request's)."""
    return {"error": str(message), "code": code, "details": details or {}}


def _flatten(detail: Any) -> Any:
    """DRF's per-field lists of messages become one string per field; nesting is kept."""
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return _encodable(" ".join(str(item) for item in detail))
        return [_flatten(item) for item in detail]
    return _encodable(str(detail))


def _encodable(message: str) -> str:
    """A message may quote the client's value (a choice it does not know): keep it encodable as
    UTF-8 whatever was sent, a lone surrogate included."""
    return message.encode("utf-8", "backslashreplace").decode("utf-8")


_DRF_CODES: list[tuple[type[Exception], str]] = [
    (exceptions.ParseError, MALFORMED_JSON),
    (exceptions.UnsupportedMediaType, UNSUPPORTED_MEDIA_TYPE),
    (exceptions.NotAuthenticated, UNAUTHORIZED),
    (exceptions.AuthenticationFailed, UNAUTHORIZED),
    (exceptions.PermissionDenied, FORBIDDEN),
    (exceptions.NotFound, NOT_FOUND),
    (exceptions.MethodNotAllowed, METHOD_NOT_ALLOWED),
    (exceptions.Throttled, RATE_LIMITED),
]


def exception_handler(exc: Exception, context: dict) -> Response:
    if isinstance(exc, AIError):
        exc = ai_error_answer(exc)
    if isinstance(exc, ApplicationError):
        return Response(
            error_body(exc.code, exc.message, exc.details), status=exc.status, headers=exc.headers
        )
    if isinstance(exc, exceptions.ValidationError):
        details = _flatten(exc.detail)
        if not isinstance(details, dict):
            details = {"nonFieldErrors": details}
        return Response(error_body(VALIDATION_ERROR, INVALID_FIELDS_MESSAGE, details), status=400)
    if isinstance(exc, Http404 | ObjectDoesNotExist):  # e.g. deleted by a concurrent request
        return Response(error_body(NOT_FOUND, NOT_FOUND_MESSAGE), status=404)
    if isinstance(exc, PermissionDenied):
        return Response(error_body(FORBIDDEN, _FORBIDDEN), status=403)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body(PAYLOAD_TOO_LARGE, _("The request body is too large.")), status=413
        )
    for exc_class, code in _DRF_CODES:
        if isinstance(exc, exc_class):
            message = exc.detail if isinstance(exc.detail, str) else _("Request refused.")
            if code == MALFORMED_JSON:
                message = _("The request body is not valid JSON.")
            headers = {}
            if getattr(exc, "auth_header", None):
                headers["WWW-Authenticate"] = exc.auth_header
            if getattr(exc, "wait", None):
                headers["Retry-After"] = str(int(exc.wait))
            return Response(error_body(code, str(message)), status=exc.status_code, headers=headers)
    if isinstance(exc, SuspiciousOperation):
        return Response(error_body(VALIDATION_ERROR, _("The request was refused.")), status=400)
    if isinstance(exc, INFRASTRUCTURE_ERRORS):
        body, status_code, headers = service_unavailable(exc)
        return Response(body, status=status_code, headers=headers)
    logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
    return Response(
        error_body(INTERNAL_ERROR, _INTERNAL_ERROR), status=status.HTTP_500_INTERNAL_SERVER_ERROR
    )


def json_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


def handler400(request, exception=None):
    return json_error(VALIDATION_ERROR, _("Bad request."), 400)


def handler403(request, exception=None):
    return json_error(FORBIDDEN, _FORBIDDEN, 403)


def handler404(request, exception=None):
    return json_error(NOT_FOUND, NOT_FOUND_MESSAGE, 404)


def handler500(request):
    """A crash is 500 INTERNAL_ERROR. A failure of the infrastructure met outside a view (a
    middleware's own read: the maintenance switch, read before every write) is 503, as it is
    in a view: the database refusing connections is an outage, not a bug."""
    exc = sys.exc_info()[1]
    if isinstance(exc, INFRASTRUCTURE_ERRORS):
        body, status, headers = service_unavailable(exc)
        return JsonResponse(body, status=status, headers=headers)
    return json_error(INTERNAL_ERROR, _INTERNAL_ERROR, 500)
