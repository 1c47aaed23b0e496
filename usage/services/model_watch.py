"""The shutdown watch on every model the settings select (infinitestories.ai.catalog).

Vendors retire models with weeks of notice. The ModelLifecycle table holds each model's announced
shutdown (seeded with sources, edited by staff); a daily beat job reads the vendors' model lists
(OpenAI's carries `shutdown_date`), records what it learned and flags models gone from a list;
staff are e-mailed at 60, 30 and 7 days before a configured model's shutdown, and at once when
one vanished or a call answered "model not found"; production logs a warning at boot for a
configured model past its date.
"""

import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from infinitestories.ai import catalog, model_lists
from infinitestories.ai.errors import ProviderError

from ..models import ModelLifecycle
from .alerts import staff_mail

logger = logging.getLogger(__name__)

ALERT_DAYS = (60, 30, 7)
# A "model not found" is announced at most this often per model.
NOT_FOUND_QUIET = timedelta(hours=24)


def model_lifecycles_ensure() -> list[ModelLifecycle]:
    """A row for each configured model (new ones with no known date), in catalog order."""
    rows = []
    for configured in catalog.configured_models():
        row, _ = ModelLifecycle.objects.get_or_create(
            vendor=configured.vendor, model=configured.model
        )
        rows.append(row)
    return rows


def model_watch_run(*, today: date | None = None) -> dict:
    """Daily (beat). Steps:
    1. read the model list of each vendor we hold credentials for;
    2. on that vendor's rows: listed or not, when first missing, a shutdown date it gave
       (recorded with the list as its source);
    3. e-mail staff about configured models that vanished, and thresholds newly reached.
    Returns what it did (counts), for the task's log line."""
    today = today or timezone.localdate()
    now = timezone.now()
    configured = {row.pk for row in model_lifecycles_ensure()}
    vanished: list[ModelLifecycle] = []
    for vendor in model_lists.vendors_with_lists():
        try:
            listed = model_lists.listed_models(vendor)
        except ProviderError as exc:
            logger.warning("Model list of %s unreadable: %s", vendor, exc.message)
            ModelLifecycle.objects.filter(vendor=vendor).update(
                checked_at=now, listed=None, check_error=exc.message[:300]
            )
            continue
        for row in ModelLifecycle.objects.filter(vendor=vendor):
            row.checked_at, row.check_error = now, ""
            row.listed = row.model in listed
            if row.listed:
                row.vanished_at = None
                learned = listed[row.model]
                if learned and learned != row.shutdown_on:
                    row.shutdown_on = learned
                    row.source = f"{vendor} model list (GET /v1/models shutdown_date)"
                    row.source_read_on = today
            elif row.vanished_at is None:
                row.vanished_at = now
                if row.pk in configured:
                    vanished.append(row)
            row.save()
        if vendor == "polly":
            _polly_voices_check(listed)
    for row in vanished:
        staff_mail(*_vanished_message(row))
    alerted = model_shutdown_alerts_send(today=today)
    return {"vanished": len(vanished), "alerts": len(alerted)}


def _polly_voices_check(listed: dict) -> None:
    missing = sorted(
        voice
        for table in settings.POLLY_VOICES.values()
        for voice in table.values()
        if f"voice:{voice}" not in listed
    )
    if missing:
        ModelLifecycle.objects.filter(vendor="polly", model=settings.POLLY_ENGINE).update(
            check_error=f"voices not offered: {', '.join(missing)}"[:300]
        )
        logger.warning("Polly does not offer the voices %s (POLLY_VOICES)", ", ".join(missing))


def model_shutdown_alerts_send(*, today: date) -> list[tuple[str, int]]:
    """E-mail staff once for each of 60, 30 and 7 days before a configured model's shutdown
    (the nearest threshold reached; the further ones count as said). Returns what was sent."""
    sent = []
    for configured in catalog.configured_models():
        with transaction.atomic():
            row = (
                ModelLifecycle.objects.select_for_update()
                .filter(vendor=configured.vendor, model=configured.model)
                .first()
            )
            days = row.days_left(today) if row else None
            if days is None:
                continue
            reached = [d for d in ALERT_DAYS if days <= d]
            marks = [f"{row.shutdown_on.isoformat()}:{d}" for d in reached]
            if not reached or all(mark in row.alerts_sent for mark in marks):
                continue
            row.alerts_sent = sorted({*row.alerts_sent, *marks})
            row.save(update_fields=["alerts_sent"])
            subject, body = _shutdown_message(row, configured=configured, days=days)
            transaction.on_commit(lambda s=subject, b=body: staff_mail(s, b), robust=True)
            sent.append((str(row), min(reached)))
    return sent


def model_not_found_report(*, vendor: str, model: str) -> bool:
    """A call answered "model not found": record it and e-mail staff at once (once a day per
    model, whatever the number of processes). Returns whether staff were told now."""
    now = timezone.now()
    row, _ = ModelLifecycle.objects.get_or_create(vendor=vendor, model=model)
    claimed = (
        ModelLifecycle.objects.filter(pk=row.pk)
        .exclude(not_found_at__gt=now - NOT_FOUND_QUIET)
        .update(not_found_at=now)
    )
    if not claimed:
        return False
    settings_named = [c.setting for c in catalog.configured_models() if c.key == (vendor, model)]
    subject = f"[InfiniteStories] AI model not found: {vendor}/{model}"
    body = (
        f"A call to {vendor} answered that the model {model!r} does not exist "
        f"(selected by {', '.join(settings_named) or 'no current setting'}).\n"
        "Calls with it fail until the setting names a live model; the chain falls over to the "
        "next vendor where one is configured. See docs/ai-vendors.md, 'Switching a model'.\n"
    )
    staff_mail(subject, body)
    return True


def model_shutdowns_warn(*, today: date | None = None) -> list[str]:
    """At boot in production: a warning for each configured model past its shutdown date."""
    today = today or timezone.localdate()
    try:
        rows = {
            (row.vendor, row.model): row
            for row in ModelLifecycle.objects.filter(shutdown_on__lte=today)
        }
    except DatabaseError as exc:  # not migrated yet: nothing known to warn about
        logger.info("Model shutdowns not checked at boot: %s", exc)
        return []
    past = []
    for configured in catalog.configured_models():
        row = rows.get(configured.key)
        if row is not None:
            logger.warning(
                "%s selects %s/%s, shut down since %s (replacement: %s)",
                configured.setting,
                row.vendor,
                row.model,
                row.shutdown_on,
                row.replacement or "none named",
            )
            past.append(str(row))
    return past


def _shutdown_message(row: ModelLifecycle, *, configured, days: int) -> tuple[str, str]:
    when = "is past" if days < 0 else f"is in {days} days"
    subject = f"[InfiniteStories] {row.vendor}/{row.model} shuts down {row.shutdown_on}"
    body = (
        f"{configured.setting} selects {row.vendor}/{row.model} ({configured.purpose}); its "
        f"announced shutdown on {row.shutdown_on} {when}.\n"
        f"Replacement: {row.replacement or 'none named'}. Source: {row.source or 'none recorded'}"
        f" (read {row.source_read_on or 'on an unknown day'}).\n"
        "Change the setting before that day; docs/ai-vendors.md says how.\n"
    )
    return subject, body


def _vanished_message(row: ModelLifecycle) -> tuple[str, str]:
    subject = f"[InfiniteStories] {row.vendor}/{row.model} is gone from {row.vendor}'s model list"
    body = (
        f"The daily model watch no longer finds {row.model} in {row.vendor}'s model list; calls "
        "with it may fail. Check the vendor's deprecation notes and change the setting.\n"
    )
    return subject, body
