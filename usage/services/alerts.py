"""E-mails about money and limits: staff hear of the global budget once per threshold per month,
a family of its monthly stories once at 80 % and once at 100 % (in its own language)."""

import logging
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation

from .. import messages
from ..models import BudgetAlert, SpendCounter
from ..selectors import GLOBAL_SCOPE, QuotaState, free_budget_share, monthly_budget, spend

logger = logging.getLogger(__name__)

BUDGET_THRESHOLDS = (50, 80, 95, 100)


def budget_alerts_send(*, month: date) -> list[int]:
    """E-mail staff for each threshold of the monthly budget that spending has reached and that
    was not yet announced this month (a unique row per month and threshold, so each goes once,
    whatever the number of processes). Returns the thresholds announced now."""
    budget = monthly_budget()
    spent = spend(scope=GLOBAL_SCOPE, period=SpendCounter.Period.MONTH, start=month).spent
    if budget > 0:
        _free_share_alert(month=month, spent=spent, budget=budget)
    if budget <= 0 or spent * 100 < BUDGET_THRESHOLDS[0] * budget:
        return []
    reached = [t for t in BUDGET_THRESHOLDS if spent * 100 >= t * budget]
    announced = set(
        BudgetAlert.objects.filter(month=month, kind=BudgetAlert.Kind.BUDGET).values_list(
            "threshold", flat=True
        )
    )
    sent = []
    for threshold in reached:
        if threshold in announced:
            continue
        _, created = BudgetAlert.objects.get_or_create(
            month=month,
            kind=BudgetAlert.Kind.BUDGET,
            threshold=threshold,
            defaults={"spent": spent, "budget": budget},
        )
        if created:
            sent.append(threshold)
            transaction.on_commit(
                lambda t=threshold: _budget_mail(
                    month=month, threshold=t, spent=spent, budget=budget
                ),
                robust=True,
            )
    return sent


def _free_share_alert(*, month: date, spent: Decimal, budget: Decimal) -> bool:
    """E-mail staff once a month when spending reaches free accounts' share of the budget (their
    AI work stops; paid plans' goes on)."""
    share = free_budget_share()
    if share >= 100 or spent * 100 < share * budget:
        return False
    _, created = BudgetAlert.objects.get_or_create(
        month=month,
        kind=BudgetAlert.Kind.FREE_SHARE,
        threshold=share,
        defaults={"spent": spent, "budget": budget},
    )
    if created:
        transaction.on_commit(
            lambda: staff_mail(
                *messages.free_share_alert(month=month, share=share, spent=spent, budget=budget)
            ),
            robust=True,
        )
    return created


def staff_mail(subject: str, body: str) -> None:
    """Mail every active staff member with an address (budget, watch and review alerts)."""
    staff = list(
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not staff:
        logger.warning("%s, and no staff to tell", subject)
        return
    send_mail(subject, body, None, staff)


def _budget_mail(*, month: date, threshold: int, spent: Decimal, budget: Decimal) -> None:
    subject, body = messages.budget_alert(
        month=month, threshold=threshold, spent=spent, budget=budget
    )
    staff_mail(subject, body)


def story_quota_mail(*, user, state: QuotaState, kind: str) -> None:
    """The family's e-mail: "near_limit" (80 %) or "at_limit" (100 %), in its language (sent
    after commit, whatever language is active then). Not sent where mail cannot arrive (an
    Apple relay address its owner switched off)."""
    if not user.mail_reachable:
        return
    with translation.override(user.preferred_language):
        subject, body = messages.stories_alert(
            user=user, kind=kind, used=state.stories_used, limit=state.stories_limit
        )
    send_mail(subject, body, None, [user.email])
