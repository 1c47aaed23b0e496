"""Machine codes the usage rules answer with (README lists them)."""

from infinitestories.api.errors import ApplicationError

QUOTA_EXCEEDED = "QUOTA_EXCEEDED"


def quota_exceeded(*, stories_used: int, stories_limit: int) -> ApplicationError:
    return ApplicationError(
        QUOTA_EXCEEDED,
        "You have used all your stories for this month. New stories unlock on the 1st.",
        status=429,
        details={"storiesUsed": stories_used, "storiesLimit": stories_limit},
    )
