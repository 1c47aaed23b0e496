"""The one door to paid AI work: ai_work_admit, asked before any AI call by every path that starts
a story, narration, pictures or an avatar, and the end of admitted work (settle or release).

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
from ..models import AccountStanding, Plan, RuntimeSettings, SpendCounter
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
from . import controls, quota
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


@dataclass(frozen=True)
class Admission:
    """Admitted work: what it counted and reserved, to settle when it ends (`reservation_id` goes
    on a job row) or to release when it never starts."""

    user_id: str
    operation: str
    units: int
    reservation_id: str = ""
    image_quality: str = ""
    image_size: str = ""


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
    month = timezone.localdate().replace(day=1)
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


def ai_work_admit(
    *,
    user,
    operation: str,
    units: int = 1,
    characters: int = 0,
    priority: str = "normal",
    voice: str = "",
    pictures_on_story: int = 0,
) -> Admission:
    """Admit AI work or refuse it, before any AI call; a refusal raises with nothing counted,
    reserved or queued. `units` is how much (pictures), `characters` the text to narrate,
    `pictures_on_story` the pictures the story already has (the plan caps them per story).

    1. ADMISSION_CHECKS in order: switches, block, plan, monthly stories, global budget.
    2. Count the units against the operation's rate limit (atomic in the shared cache).
    3. Reserve the estimated cost against the plan's daily and monthly ceilings and the budget
       (atomic in the database); a refusal here gives the units back.
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
        rate = RATE_LIMIT.get(operation)
        if rate:
            ratelimit.units_charge(name=rate, key=f"user:{user.pk}", units=units)
        try:
            reservation = spending.cost_reserve(
                user=user,
                operation=operation,
                amount=cost_estimate(
                    operation=operation, plan=work.plan, units=units, characters=characters
                ),
                plan=work.plan,
                budget=budget_for(user=user),
            )
        except ApplicationError:
            if rate:
                ratelimit.units_refund(name=rate, key=f"user:{user.pk}", units=units)
            raise
    except ApplicationError as refusal:
        _refusal_note(user_id=user.pk, refusal=refusal)
        raise
    return Admission(
        user_id=user.pk,
        operation=operation,
        units=units,
        reservation_id=reservation.pk if reservation is not None else "",
        image_quality=work.plan.image_quality,
        image_size=work.plan.image_size,
    )


def ai_work_settle(*, reservation_id: str) -> None:
    """The admitted work ended, done or failed: release its reservation (its real cost was
    recorded call by call)."""
    spending.cost_reservation_settle(reservation_id=reservation_id)


def ai_work_release(*, admission: Admission) -> None:
    """Admitted work that will never start (the request failed before it): give back its units
    and its reservation."""
    rate = RATE_LIMIT.get(admission.operation)
    if rate:
        ratelimit.units_refund(name=rate, key=f"user:{admission.user_id}", units=admission.units)
    spending.cost_reservation_settle(reservation_id=admission.reservation_id)


def ai_work_may_run(*, operation: str, user=None) -> ApplicationError | None:
    """Whether queued work may still run now (a job about to start): the refusal if staff
    switched AI or this feature off meanwhile, or blocked the account (`user`), else None."""
    work = Work(user=user, operation=operation)
    try:
        ai_switched_on(work)
        feature_switched_on(work)
        if user is not None:
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
        if controls.standing_flag(user_id=user_id, reason=reason):
            logger.warning("User %s flagged for review: %s", user_id, reason)
