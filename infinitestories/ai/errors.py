"""The AI layer's own exceptions. It raises nothing else; infinitestories.api.errors turns them
into answers (one translation for every endpoint) and the job machinery into job states.
"""


class AIError(Exception):
    """Base of everything the AI layer raises. `operation` names the use case that failed."""

    def __init__(self, message: str, *, operation: str = ""):
        super().__init__(message)
        self.message = message
        self.operation = operation


class ProviderError(AIError):
    """A provider's call failed. `usage` is what the vendor billed for it all the same (a chat
    answer that refused or did not parse is paid for): the failed call is metered with it."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        operation: str = "",
        usage=None,
    ):
        super().__init__(message, operation=operation)
        self.provider = provider
        self.status = status
        self.usage = usage


class TransientProviderError(ProviderError):
    """Timeouts, 429, 5xx, connection errors: worth retrying later or on another provider."""


class AIBusy(TransientProviderError):
    """No place for in-request AI work right now (infinitestories.ai.inflight): `scope` "user"
    when the account has as many requests waiting on a vendor as it may, "service" when the
    web process or the whole service has. Nothing was sent or charged."""

    def __init__(self, *, scope: str):
        super().__init__(f"Too much AI work in flight ({scope}).", operation="")
        self.scope = scope


class PermanentProviderError(ProviderError):
    """400, 401, 403, 404, malformed answers: retrying the same request cannot help."""


class ContentRefused(PermanentProviderError):
    """The vendor refused the request on safety grounds (for example an image prompt)."""


class GeneratedContentFlagged(PermanentProviderError):
    """What the model wrote failed our moderation, again after one rewrite."""


class FamilyTextFlagged(AIError):
    """Moderation flagged text the family wrote. `message` is kind words for the family."""

    def __init__(self, message: str, *, fields: list[str], categories: list[str]):
        super().__init__(message, operation="moderation")
        self.fields = fields
        self.categories = categories


class FamilyImageFlagged(FamilyTextFlagged):
    """Moderation flagged a picture the family gave us (an uploaded avatar)."""
