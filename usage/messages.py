"""What the usage e-mails say. The family's from templates/usage/email/ in the language active
when it is rendered (README "Languages"); staff's budget alert in English."""

from datetime import date
from decimal import Decimal

from django.template.loader import render_to_string


def stories_alert(*, user, kind: str, used: int, limit: int) -> tuple[str, str]:
    """The family's e-mail about its monthly stories: `kind` is "near_limit" or "at_limit"."""
    context = {"user": user, "used": used, "limit": limit}
    subject = render_to_string(f"usage/email/stories_{kind}_subject.txt", context)
    body = render_to_string(f"usage/email/stories_{kind}_message.txt", context)
    return " ".join(subject.split()), body.strip()


def budget_alert(
    *, month: date, threshold: int, spent: Decimal, budget: Decimal
) -> tuple[str, str]:
    subject = f"[InfiniteStories] AI spend at {threshold}% of the {month:%B %Y} budget"
    body = (
        f"AI spend this month is ${spent:.2f} of the ${budget:.2f} budget ({threshold}% reached).\n"
    )
    if threshold >= 100:
        body += (
            "New AI work is now refused (503 AI_BUDGET_EXHAUSTED) until the budget is raised in "
            "the admin (Runtime switches and budget) or the month turns.\n"
        )
    return subject, body


def free_share_alert(
    *, month: date, share: int, spent: Decimal, budget: Decimal
) -> tuple[str, str]:
    subject = (
        f"[InfiniteStories] Free accounts' AI work stopped: {share}% of the {month:%B %Y} budget"
    )
    body = (
        f"AI spend this month is ${spent:.2f} of the ${budget:.2f} budget, which reaches the "
        f"{share}% share free accounts may use.\n"
        "Free accounts' new AI work is now refused (503 AI_BUDGET_EXHAUSTED); paid plans go on "
        "to 100%. Change the share or the budget in the admin (Runtime switches and budget).\n"
    )
    return subject, body
