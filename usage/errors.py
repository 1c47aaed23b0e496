"""Machine codes the usage rules answer with (README lists them)."""

from django.conf import settings

from infinitestories.api.errors import ApplicationError

QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
CONSENT_REQUIRED = "CONSENT_REQUIRED"


def quota_exceeded(*, stories_used: int, stories_limit: int) -> ApplicationError:
    return ApplicationError(
        QUOTA_EXCEEDED,
        "You have used all your stories for this month. New stories unlock on the 1st.",
        status=429,
        details={"storiesUsed": stories_used, "storiesLimit": stories_limit},
    )


def consent_required() -> ApplicationError:
    return ApplicationError(
        CONSENT_REQUIRED,
        "A parent needs to agree to how we use AI before stories, pictures or narration can be made.",
        status=403,
        details={"current_policy_version": settings.PARENTAL_CONSENT_POLICY_VERSION},
    )
