"""Machine codes the generation endpoints answer with (README lists them)."""

from infinitestories.api.errors import ApplicationError

QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
REQUEST_IN_PROGRESS = "REQUEST_IN_PROGRESS"


def quota_exceeded(user) -> ApplicationError:
    return ApplicationError(
        QUOTA_EXCEEDED,
        "You have used all your stories for this month. New stories unlock on the 1st.",
        status=429,
        details={
            "storiesUsed": user.monthly_stories_used,
            "storiesLimit": user.monthly_stories_limit,
        },
    )
