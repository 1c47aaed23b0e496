"""Provider failures in two classes the job machinery treats differently, plus content refusals."""

from infinitestories.api.errors import ApplicationError

# Machine codes (README lists them).
CONTENT_REJECTED = "CONTENT_REJECTED"
AI_UNAVAILABLE = "AI_UNAVAILABLE"
AI_FAILED = "AI_FAILED"


class ProviderError(Exception):
    """Base of every failure a provider reports."""

    def __init__(self, message: str, *, provider: str = "", status: int | None = None):
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status = status


class TransientProviderError(ProviderError):
    """Timeouts, 429, 5xx, connection errors: worth retrying later or on another provider."""


class PermanentProviderError(ProviderError):
    """400, 401, 403, 404, malformed answers: retrying the same request cannot help."""


class ContentRefused(PermanentProviderError):
    """The vendor refused the request on safety grounds (for example an image prompt)."""


class ContentRejected(ApplicationError):
    """Our own moderation flagged text; answered as 400 CONTENT_REJECTED with a kind message."""

    def __init__(self, message: str, *, reason: str = "", field: str = ""):
        details = {"field": field} if field else {}
        super().__init__(CONTENT_REJECTED, message, status=400, details=details)
        self.reason = reason


def unavailable(message: str = "") -> ApplicationError:
    return ApplicationError(
        AI_UNAVAILABLE,
        message or "Our storyteller is resting right now. Please try again in a few minutes.",
        status=503,
    )


def failed(message: str = "") -> ApplicationError:
    return ApplicationError(
        AI_FAILED,
        message or "We could not write this story right now. Please try again.",
        status=502,
    )
