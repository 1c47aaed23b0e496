"""Devices (a family's phones) and the pushes that tell them work has ended.

Other apps call two functions, after the work's own writes: `job_ended_notify(job=...)` when a
generation job completes or fails, `avatar_ready_notify(hero=...)` when an avatar is drawn. Both
only schedule a task for after the commit; the task sends the pushes. A push that cannot be sent
is logged and recorded on the device, never raised into the work that ended.
"""

import functools
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from . import apns
from .messages import ALERTS
from .models import Device

logger = logging.getLogger(__name__)

# A family rarely has more phones and tablets than this; the least recently used go first.
MAX_DEVICES_PER_USER = 10
ENDED = ("completed", "failed")


@functools.cache
def _say_pushes_are_off() -> None:
    """One line per process in the log, not one per job."""
    logger.info(
        "Push notifications are off: APNS_KEY_ID, APNS_TEAM_ID, "
        "APNS_PRIVATE_KEY and APNS_TOPIC are not all set."
    )


def _push_on() -> bool:
    """Whether pushes are configured; says once per process that they are off."""
    if apns.configured():
        return True
    _say_pushes_are_off()
    return False


# --- Devices


def device_register(
    *, user, token: str, platform: str, environment: str, locale: str = ""
) -> tuple[Device, bool]:
    """Register the phone's token for `user`; (device, created).

    The same token again updates it (environment, locale, last use). A token another account
    had moves to this one: one phone gets the pushes of the account signed in on it. Past
    MAX_DEVICES_PER_USER, the user's least recently used devices are forgotten.
    """
    now = timezone.now()
    values = {
        "user": user,
        "platform": platform,
        "environment": environment,
        "locale": locale,
        "last_used_at": now,
    }
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(token=token).first()
        created = False
        if device is None:
            try:
                with transaction.atomic():
                    device = Device.objects.create(token=token, **values)
                created = True
            except IntegrityError:  # the same phone registered in parallel
                device = Device.objects.select_for_update().get(token=token)
        if not created:
            if device.user_id != user.pk:
                logger.info("Device %s moved to another account", device.pk)
            for name, value in values.items():
                setattr(device, name, value)
            device.save(update_fields=[*values])
        stale = Device.objects.filter(user=user).order_by("-last_used_at")[MAX_DEVICES_PER_USER:]
        Device.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()
    return device, created


def device_delete(*, device: Device) -> None:
    device.delete()


def device_forget(*, user, token: str) -> int:
    """Sign-out from a phone: it stops getting this account's pushes. Returns how many."""
    deleted, _ = Device.objects.filter(user=user, token=token.strip().lower()).delete()
    return deleted


# --- Pushes


def job_ended_notify(*, job) -> None:
    """A generation job (story, narration, pictures) just completed or failed: push it to the
    family's phones once the surrounding transaction commits, from a task of its own.

    Takes the job row as it is (any object with pk, user_id, kind, status, story_id); never
    raises, so a push can never fail the work.
    """
    try:
        if job.status not in ENDED:
            return
        _notify_on_commit(
            user_id=job.user_id,
            kind=str(job.kind),
            status=str(job.status),
            job_id=str(job.pk),
            story_id=str(job.story_id or ""),
        )
    except Exception:
        logger.exception("Push for job %s not scheduled", getattr(job, "pk", "?"))


def avatar_ready_notify(*, hero) -> None:
    """A hero's avatar was drawn: push it once the surrounding transaction commits."""
    try:
        _notify_on_commit(
            user_id=hero.user_id, kind="avatar", status="completed", hero_id=str(hero.pk)
        )
    except Exception:
        logger.exception("Push for hero %s not scheduled", getattr(hero, "pk", "?"))


def _notify_on_commit(*, user_id, **event) -> None:
    if not _push_on():
        return
    from .tasks import work_ended_push_task

    # robust: a broker hiccup is logged; the work is saved and the app finds it by polling.
    transaction.on_commit(
        lambda: work_ended_push_task.apply_async(kwargs={"user_id": user_id, **event}),
        robust=True,
    )


def push_payload(
    *, kind: str, status: str, job_id: str = "", story_id: str = "", hero_id: str = ""
) -> dict:
    """The push: ids for the app and a short alert in the active language; nothing else."""
    ids = {"storyId": story_id, "jobId": job_id, "heroId": hero_id}
    return {
        "aps": {"alert": {"body": str(ALERTS[(kind, status)])}, "sound": "default"},
        "kind": kind,
        "status": status,
        **{name: value for name, value in ids.items() if value},
    }


def work_ended_push(
    *, user_id, kind: str, status: str, job_id: str = "", story_id: str = "", hero_id: str = ""
) -> int:
    """Send the push about ended work to each of the user's devices, in the user's language;
    returns how many took it.

    Each device is tried up to APNS_MAX_ATTEMPTS times on 429, 5xx, no answer or a refused
    provider token (re-signed), with exponential back-off. A device Apple says is gone (410
    Unregistered, 400 BadDeviceToken) is deleted at once; every other outcome is recorded on the
    device for staff (the admin).
    """
    if (kind, status) not in ALERTS or not apns.configured():
        return 0
    devices = list(Device.objects.filter(user_id=user_id).select_related("user"))
    if not devices:
        return 0
    with translation.override(devices[0].user.preferred_language):
        payload = push_payload(
            kind=kind, status=status, job_id=job_id, story_id=story_id, hero_id=hero_id
        )
    collapse_id = f"{story_id or hero_id or job_id}:{kind}"
    sent = 0
    for device in devices:
        answer, reason = _push_with_retries(device=device, payload=payload, collapse_id=collapse_id)
        if answer is not None and answer.device_gone:
            logger.info("Device %s unregistered by APNs (%s): deleted", device.pk, answer.reason)
            device.delete()
            continue
        ok = answer is not None and answer.sent
        sent += ok
        Device.objects.filter(pk=device.pk).update(
            last_push_at=timezone.now(),
            last_push_result=Device.PushResult.SENT if ok else Device.PushResult.FAILED,
            last_push_reason=reason[:100],
        )
        if not ok:
            logger.warning("Push to device %s not sent: %s", device.pk, reason)
    return sent


class _TryAgain(Exception):
    pass


def _push_with_retries(
    *, device: Device, payload: dict, collapse_id: str
) -> tuple[apns.PushAnswer | None, str]:
    """(Apple's last answer or None, a short reason for staff)."""
    outcome: dict = {"answer": None, "reason": ""}
    retrying = Retrying(
        stop=stop_after_attempt(max(1, settings.APNS_MAX_ATTEMPTS)),
        wait=wait_exponential(multiplier=settings.APNS_RETRY_WAIT, max=30),
        retry=retry_if_exception_type(_TryAgain),
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                try:
                    answer = apns.push_send(
                        device_token=device.token,
                        environment=device.environment,
                        payload=payload,
                        collapse_id=collapse_id,
                    )
                except apns.PushNotSent as exc:
                    outcome.update(answer=None, reason=f"no answer ({exc})")
                    raise _TryAgain from exc
                outcome.update(
                    answer=answer,
                    reason="" if answer.sent else f"HTTP {answer.status} {answer.reason}".strip(),
                )
                if answer.retryable:
                    raise _TryAgain
    except _TryAgain:
        pass  # out of attempts: the last outcome stands
    return outcome["answer"], outcome["reason"]
