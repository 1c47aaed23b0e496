"""The checks that admit paid AI work, or refuse it (usage.services.work is the lifecycle that
every path calls; this module decides).

Admission runs ADMISSION_CHECKS in order (each raises its refusal), then counts the work against
its rate limit and reserves its estimated cost against the plan's ceilings and the global budget.
A refusal leaves nothing behind: no units counted, nothing reserved, nothing queued.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.functional import cached_property

from infinitestories.ai.base import Operation
from infinitestories.api import ratelimit
from infinitestories.api.errors import ApplicationError

from .. import errors
from ..models import (
    AccountStanding,
    CostReservation,
    Plan,
    RuntimeSettings,
    SpendCounter,
    month_start,
)
from ..selectors import (
    GLOBAL_SCOPE,
    account_standing,
    budget_for,
    cost_estimate,
    plan_for,
    runtime_settings,
    seconds_until_next_month,
    spend,
)
from . import quota
from . import spend as spending

logger = logging.getLogger(__name__)

# The rate limit (infinitestories.api.ratelimit) each operation's units count against.
RATE_LIMIT = {
    Operation.STORY_GENERATION: "story_generation",
    Operation.AUDIO_SYNTHESIS: "audio_generation",
    Operation.IMAGE_GENERATION: "illustration_generation",
    Operation.AVATAR_GENERATION: "avatar_generation",
}
# Staff's per-feature switch (RuntimeSettings) for each operation, and the feature's name.
FEATURE_SWITCH = {
    Operation.AUDIO_SYNTHESIS: ("audio_enabled", "audio"),
    Operation.IMAGE_GENERATION: ("illustrations_enabled", "illustrations"),
    Operation.AVATAR_GENERATION: ("avatars_enabled", "avatars"),
}


@dataclass
class Work:
    """What is asked: the operation, how much of it, and the choices that a plan may forbid."""

    user: object
    operation: str
    units: int = 1
    characters: int = 0
    priority: str = "normal"
    voice: str = ""
    pictures_on_story: int = 0
    switches: RuntimeSettings = field(default_factory=runtime_settings)

    @cached_property
    def standing(self) -> AccountStanding:
        return account_standing(user=self.user)

    @cached_property
    def plan(self) -> Plan:
        return plan_for(user=self.user, standing=self.standing)


# --- The checks, in order. Each raises its refusal; add a rule by adding a function here. ---------


def ai_switched_on(work: Work) -> None:
    if not work.switches.ai_enabled:
        raise errors.ai_disabled()


def feature_switched_on(work: Work) -> None:
    switch, feature = FEATURE_SWITCH.get(work.operation, (None, None))
    if switch and not getattr(work.switches, switch):
        raise errors.feature_disabled(feature=feature)


def account_not_blocked(work: Work) -> None:
    if work.standing.blocked:
        raise errors.account_blocked()


def plan_allows(work: Work) -> None:
    """Priority, voices and pictures the user's plan includes (403 NOT_IN_PLAN)."""
    plan = work.plan
    if work.priority == "high" and not plan.high_priority:
        raise errors.not_in_plan(feature="high_priority")
    if work.voice in settings.AI_PREMIUM_VOICES and not plan.premium_voices:
        raise errors.not_in_plan(feature="premium_voices")
    if work.operation == Operation.IMAGE_GENERATION:
        if not plan.illustrations:
            raise errors.not_in_plan(feature="illustrations")
        if work.pictures_on_story + work.units > plan.pictures_per_story:
            raise errors.not_in_plan(feature="pictures_per_story", allowed=plan.pictures_per_story)


def stories_left(work: Work) -> None:
    if work.operation == Operation.STORY_GENERATION:
        quota.story_quota_check(user=work.user, plan=work.plan)


def budget_left(work: Work) -> None:
    """Once the month's spend reaches the global budget, no new AI work (503) until staff raise
    it or the month turns; reads, edits and the library keep working. Free accounts stop
    earlier, at their share of it (budget_for), so paying families keep the rest."""
    month = month_start(timezone.localdate())
    spent = spend(scope=GLOBAL_SCOPE, period=SpendCounter.Period.MONTH, start=month).spent
    if spent >= budget_for(user=work.user):
        raise errors.budget_exhausted(retry_after=seconds_until_next_month())


def ai_consent_check(*, user) -> None:
    """Refuse (403 CONSENT_REQUIRED) any AI processing of a family's data until a parent has
    consented to the current policy (PARENTAL_CONSENT_POLICY_VERSION), and after a withdrawal.
    Read from the user row, which accounts keeps in step with the consent history. Moderation,
    which is free and not metered, asks only this."""
    if not settings.PARENTAL_CONSENT_REQUIRED:
        return
    if user.parental_consent_version != settings.PARENTAL_CONSENT_POLICY_VERSION:
        raise errors.consent_required()


def consent_given(work: Work) -> None:
    ai_consent_check(user=work.user)


ADMISSION_CHECKS: list[Callable[[Work], None]] = [
    consent_given,
    ai_switched_on,
    feature_switched_on,
    account_not_blocked,
    plan_allows,
    stories_left,
    budget_left,
]


def work_admit(
    *,
    user,
    operation: str,
    units: int = 1,
    characters: int = 0,
    priority: str = "normal",
    voice: str = "",
    pictures_on_story: int = 0,
    lease_until=None,
) -> CostReservation:
    """Admit one piece of AI work or refuse it, before any AI call; a refusal raises with nothing
    counted, reserved or queued. `units` is how much (pictures), `characters` the text to
    narrate, `pictures_on_story` the pictures the story already has (the plan caps them).

    1. ADMISSION_CHECKS in order: consent, switches, block, plan, monthly stories, budget.
    2. Count the units against the operation's rate limit (atomic in the shared cache).
    3. Reserve the estimated cost against the plan's daily and monthly ceilings and the budget
       (atomic in the database) and write the work's row; a refusal here gives the units back.
    A user refused again and again for limits is flagged for staff review.
    """
    work = Work(
        user=user,
        operation=operation,
        units=units,
        characters=characters,
        priority=priority or "normal",
        voice=voice,
        pictures_on_story=pictures_on_story,
    )
    try:
        for check in ADMISSION_CHECKS:
            check(work)
        units_charge(user_id=user.pk, operation=operation, units=units)
        try:
            return spending.cost_reserve(
                user=user,
                operation=operation,
                units=units,
                amount=cost_estimate(
                    operation=operation, plan=work.plan, units=units, characters=characters
                ),
                plan=work.plan,
                budget=budget_for(user=user),
                lease_until=lease_until,
            )
        except ApplicationError:
            units_refund(user_id=user.pk, operation=operation, units=units)
            raise
    except ApplicationError as refusal:
        _refusal_note(user_id=user.pk, refusal=refusal)
        raise


def units_charge(*, user_id: str, operation: str, units: int) -> None:
    rate = RATE_LIMIT.get(operation)
    if rate:
        ratelimit.units_charge(name=rate, key=f"user:{user_id}", units=units)


def units_refund(*, user_id: str, operation: str, units: int) -> None:
    rate = RATE_LIMIT.get(operation)
    if rate:
        ratelimit.units_refund(name=rate, key=f"user:{user_id}", units=units)


def may_run_refusal(*, operation: str, user) -> ApplicationError | None:
    """Whether admitted work may (still) run now: the refusal if the parent withdrew consent, or
    staff switched AI or this feature off, or blocked the account meanwhile; else None."""
    work = Work(user=user, operation=operation)
    try:
        consent_given(work)
        ai_switched_on(work)
        feature_switched_on(work)
        account_not_blocked(work)
    except ApplicationError as refusal:
        return refusal
    return None


def _refusal_note(*, user_id: str, refusal: ApplicationError) -> None:
    """Count limit refusals per user in the shared cache; REVIEW_FLAG_REFUSALS of them within
    REVIEW_FLAG_WINDOW seconds flag the user for review in the admin (never a block)."""
    if refusal.code not in errors.LIMIT_CODES:
        return
    key = f"usage:refusals:{user_id}"
    cache.add(key, 0, settings.REVIEW_FLAG_WINDOW)
    count = cache.incr(key)
    if count >= settings.REVIEW_FLAG_REFUSALS:
        reason = (
            f"{count} requests refused for limits within {settings.REVIEW_FLAG_WINDOW // 60} "
            f"minutes (last: {refusal.code} {refusal.details.get('limit', '')})"
        )
        if standing_flag(user_id=user_id, reason=reason):
            logger.warning("User %s flagged for review: %s", user_id, reason)


def standing_flag(*, user_id: str, reason: str) -> bool:
    """Flag the user for staff review (never a block). False if already flagged."""
    AccountStanding.objects.get_or_create(user_id=user_id)
    return bool(
        AccountStanding.objects.filter(user_id=user_id, flagged_for_review=False).update(
            flagged_for_review=True, flag_reason=reason[:300], flagged_at=timezone.now()
        )
    )
