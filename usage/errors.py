"""Machine codes the usage rules answer with (README "Error codes" lists them), and their
answers, in the language of the request or job that is refused."""

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from infinitestories.api.errors import ApplicationError

QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
NOT_IN_PLAN = "NOT_IN_PLAN"
ACCOUNT_BLOCKED = "ACCOUNT_BLOCKED"
AI_DISABLED = "AI_DISABLED"
FEATURE_DISABLED = "FEATURE_DISABLED"
AI_BUDGET_EXHAUSTED = "AI_BUDGET_EXHAUSTED"
MAINTENANCE = "MAINTENANCE"

CONSENT_REQUIRED = "CONSENT_REQUIRED"

# Refusals that mean "this user keeps hitting a limit" (counted to flag them for review).
LIMIT_CODES = {QUOTA_EXCEEDED, "RATE_LIMITED"}


def _retry_after(seconds: int) -> dict[str, str]:
    return {"Retry-After": str(max(int(seconds), 1))}


def quota_exceeded(*, stories_used: int, stories_limit: int, retry_after: int) -> ApplicationError:
    return ApplicationError(
        QUOTA_EXCEEDED,
        _("You have used all your stories for this month. New stories unlock on the 1st."),
        status=429,
        details={
            "limit": "monthly_stories",
            "storiesUsed": stories_used,
            "storiesLimit": stories_limit,
            "retryAfter": retry_after,
        },
        headers=_retry_after(retry_after),
    )


def cost_ceiling_reached(*, limit: str, ceiling: Decimal, retry_after: int) -> ApplicationError:
    """`limit` is "daily_cost" or "monthly_cost": the plan's ceiling that this work would pass."""
    if limit == "daily_cost":
        message = _("You have reached your plan's AI allowance for now. It refills tomorrow.")
    else:
        message = _("You have reached your plan's AI allowance for now. It refills on the 1st.")
    return ApplicationError(
        QUOTA_EXCEEDED,
        message,
        status=429,
        details={"limit": limit, "ceilingUsd": float(ceiling), "retryAfter": retry_after},
        headers=_retry_after(retry_after),
    )


def not_in_plan(*, feature: str, allowed=None) -> ApplicationError:
    details = {"feature": feature}
    if allowed is not None:
        details["allowed"] = allowed
    return ApplicationError(
        NOT_IN_PLAN, _("Your plan does not include this. Upgrade to use it."), 403, details
    )


def account_blocked() -> ApplicationError:
    return ApplicationError(
        ACCOUNT_BLOCKED,
        _("Story making is paused for this account. Please contact support."),
        status=403,
    )


def ai_disabled() -> ApplicationError:
    return ApplicationError(
        AI_DISABLED,
        _("Our storyteller is taking a short break. Please try again a little later."),
        status=503,
    )


def feature_disabled(*, feature: str) -> ApplicationError:
    return ApplicationError(
        FEATURE_DISABLED,
        _("This is switched off for a moment. Please try again a little later."),
        status=503,
        details={"feature": feature},
    )


def budget_exhausted(*, retry_after: int) -> ApplicationError:
    return ApplicationError(
        AI_BUDGET_EXHAUSTED,
        _("Our storyteller has told all the stories it can this month. Please try again later."),
        status=503,
        headers=_retry_after(retry_after),
    )


def consent_required() -> ApplicationError:
    return ApplicationError(
        CONSENT_REQUIRED,
        _(
            "A parent needs to agree to how we use AI before stories, pictures or narration can "
            "be made."
        ),
        status=403,
        details={"current_policy_version": settings.PARENTAL_CONSENT_POLICY_VERSION},
    )
