"""The life of paid AI work, the one API every path that buys AI calls goes through.

    admitted --start--> running --end--> settled
        \\--------------end-------------> released   (never ran: its units are given back)

- In a request: `with ai_work(...)` admits, runs and ends the work whatever happens (the story,
  the avatar). Several pieces at once (a story with its narration and pictures):
  `ai_works_admit`, then `ai_work_running` for the piece done in the request, and
  `ai_work_hand_over` for each piece a job will do (`ai_work_abandon` gives back a piece the
  request never handed over).
- In a job: `ai_work_start` when it begins (consent, switches and block are asked again, and
  work stopped meanwhile refuses), `ai_work_check` between paid calls, `ai_work_end` when it
  ends (done, failed, or out of attempts in the sweeper).
- From outside (a narration replaced, consent withdrawn, a story or account deleted):
  `ai_work_stop`; staff blocking an account or switching AI or a feature off:
  `ai_works_stop_refused`. Work that never started ends at once; running work stays reserved until its
  worker has stopped and ended it (it checks before every paid call).

Ending is exactly once, from whichever process comes first (a row lock and the state).
Nothing outside usage calls the spend counters, reservations or rate-limit units directly
(tests/usage/test_work.py checks it).
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from infinitestories.api.errors import ApplicationError
from infinitestories.faults import INFRASTRUCTURE_ERRORS, retried_in_background

from ..models import CostReservation
from . import admission
from . import spend as spending

logger = logging.getLogger(__name__)

AIWork = CostReservation
State = CostReservation.State


@dataclass(frozen=True)
class Piece:
    """One piece of work asked for: the operation, how much of it (pictures), the text to
    narrate, the voice, the pictures the story already has."""

    operation: str
    units: int = 1
    characters: int = 0
    voice: str = ""
    pictures_on_story: int = 0


class WorkStopped(Exception):
    """The work was stopped from outside (replaced, withdrawn, deleted) or ended meanwhile: the
    worker stops before its next paid call."""

    def __init__(self, reason: str = ""):
        super().__init__(reason or "stopped")
        self.reason = reason


def _stop_key(work_id: str) -> str:
    return f"usage:work:stop:{work_id}"


def _lease() -> timedelta:
    return timedelta(seconds=settings.AI_WORK_REQUEST_LEASE)


# --- Admission ------------------------------------------------------------------------------------


def ai_works_admit(*, user, pieces: list[Piece], priority: str = "normal") -> list[AIWork]:
    """Admit every piece or none (a refusal gives back the pieces admitted before it), before
    any AI call. The pieces are held by the request (a lease of AI_WORK_REQUEST_LEASE seconds)
    until it runs them or hands them over to a job."""
    lease_until = timezone.now() + _lease()
    admitted: list[AIWork] = []
    try:
        for piece in pieces:
            admitted.append(
                admission.work_admit(
                    user=user,
                    operation=piece.operation,
                    units=piece.units,
                    characters=piece.characters,
                    priority=priority,
                    voice=piece.voice,
                    pictures_on_story=piece.pictures_on_story,
                    lease_until=lease_until,
                )
            )
    except BaseException:
        for work in admitted:
            ai_work_end(work=work)
        raise
    return admitted


def ai_work_admit(
    *,
    user,
    operation: str,
    units: int = 1,
    characters: int = 0,
    priority: str = "normal",
    voice: str = "",
    pictures_on_story: int = 0,
) -> AIWork:
    """Admit one piece of work (see ai_works_admit)."""
    piece = Piece(
        operation=operation,
        units=units,
        characters=characters,
        voice=voice,
        pictures_on_story=pictures_on_story,
    )
    return ai_works_admit(user=user, pieces=[piece], priority=priority)[0]


@contextmanager
def ai_work(*, user, operation: str, priority: str = "normal", **piece) -> Iterator[AIWork]:
    """Work done inside a request: admitted (or refused) on entry, ended on exit whatever
    happened."""
    work = ai_work_admit(user=user, operation=operation, priority=priority, **piece)
    with ai_work_running(work=work):
        yield work


@contextmanager
def ai_work_running(*, work: AIWork) -> Iterator[AIWork]:
    """Run admitted work inside the request and end it on exit, also on an error (its real cost
    is in the usage log call by call). An end the database refuses (an outage) is tried again
    in the background for a minute, so the family's allowance is not held for long."""
    _mark_running(work=work)
    try:
        yield work
    finally:
        _end_soon(work=work)


def ai_work_hand_over(*, work: AIWork) -> None:
    """A job holds the work from now on (in the caller's transaction): no request lease; the
    job's end, its deletion or the sweeper end it."""
    AIWork.objects.filter(pk=work.pk).update(lease_until=None)
    work.lease_until = None


def ai_work_abandon(*, work: AIWork) -> bool:
    """The request failed before handing the work over (or it was rolled back): give it back.
    Work a job holds is left to the job."""
    if AIWork.objects.filter(pk=work.pk, lease_until__isnull=False, ended_at__isnull=True).exists():
        return ai_work_end(work=work)
    return False


def ai_works_end_unclaimed(*, work_ids: list[str]) -> int:
    """End the pieces of `work_ids` that no job holds: work handed over for a job that will now
    never be made (a story written in the background failed, was stopped or deleted before its
    narration's and pictures' jobs took their work). Work a job holds is left to that job."""
    unclaimed = AIWork.objects.filter(pk__in=work_ids, job__isnull=True, ended_at__isnull=True)
    return sum(ai_work_end(work=work) for work in unclaimed)


# --- A job's work ---------------------------------------------------------------------------------


def ai_work_start(*, work: AIWork) -> None:
    """A job begins (or begins again) its work: refuse it (the ApplicationError, with the
    family's message) if the parent withdrew consent, staff switched AI or the feature off or
    blocked the account since it was admitted, or WorkStopped if it was stopped or ended
    meanwhile. Else it is running."""
    ai_work_check(work=work)
    _mark_running(work=work)


def ai_work_check(*, work: AIWork) -> None:
    """Between paid calls: may the work go on? Raises WorkStopped (stopped from outside, or
    ended) or the refusal (consent, switches, block)."""
    row = AIWork.objects.select_related("user").filter(pk=work.pk).first()
    if row is None or row.ended or row.stop_reason:
        raise WorkStopped(row.stop_reason if row is not None else "")
    if row.user is None:  # the account was deleted
        raise WorkStopped("account deleted")
    refusal = admission.may_run_refusal(operation=row.operation, user=row.user)
    if refusal is not None:
        raise refusal


def ai_work_stopped(*, work_id: str) -> bool:
    """A cheap check any thread may make before a paid call (the shared cache; no database):
    whether the work was asked to stop. ai_work_check is the full one."""
    try:
        return bool(cache.get(_stop_key(work_id)))
    except INFRASTRUCTURE_ERRORS:
        return False


def ai_work_stop(*, work: AIWork, reason: str, running: bool) -> bool:
    """Stop the work from outside. `running`: a worker has it now (its job is processing), so
    the work stays reserved and flagged until that worker stops and ends it; otherwise it ends
    here. Returns whether this call ended it."""
    if not running:
        return ai_work_end(work=work)
    flagged = (
        AIWork.objects.filter(pk=work.pk, ended_at__isnull=True)
        .filter(Q(stop_reason="") | Q(stop_reason__isnull=True))
        .update(stop_reason=reason[:200], stop_requested_at=timezone.now())
    )
    if flagged:
        try:
            cache.set(_stop_key(work.pk), reason[:200] or "stopped", timeout=24 * 3600)
        except INFRASTRUCTURE_ERRORS as exc:  # the database flag is the truth
            logger.warning("Stop of AI work %s not signalled (%s)", work.pk, exc)
    return False


def ai_works_stop_refused(*, user_id: str | None = None) -> int:
    """Staff blocked an account (`user_id`) or switched AI or a feature off: flag the running
    work that may no longer run, so each worker stops before its next paid call. Work not yet
    started is refused when it starts. Returns how many were flagged."""
    running = AIWork.objects.filter(state=State.RUNNING, ended_at__isnull=True, stop_reason="")
    if user_id is not None:
        running = running.filter(user_id=user_id)
    flagged = 0
    for work in running.select_related("user").exclude(user=None):
        refusal = admission.may_run_refusal(operation=work.operation, user=work.user)
        if refusal is not None:
            ai_work_stop(work=work, reason=refusal.code, running=True)
            flagged += 1
    if flagged:
        logger.info("Stopped %d running AI work(s) staff turned off", flagged)
    return flagged


def ai_work_refusal(*, work: AIWork) -> ApplicationError | None:
    """Why the work may not run now (consent, switches, block), with the family's message; None
    if it may."""
    row = AIWork.objects.select_related("user").filter(pk=work.pk).first()
    if row is None or row.user is None:
        return None
    return admission.may_run_refusal(operation=row.operation, user=row.user)


def ai_work_end(*, work: AIWork) -> bool:
    """End the work, exactly once whoever calls: settled if it ran, released if it never did
    (its rate-limit units are given back then). Returns whether this call ended it."""
    row = AIWork.objects.filter(pk=work.pk).values("state", "user_id", "operation", "units")
    row = row.first()
    if row is None or row["state"] in AIWork.ENDED:
        return False
    never_ran = row["state"] == State.ADMITTED
    ended = spending.cost_reservation_end(
        reservation_id=work.pk, state=State.RELEASED if never_ran else State.SETTLED
    )
    if ended and never_ran and row["user_id"]:
        try:
            admission.units_refund(
                user_id=row["user_id"], operation=row["operation"], units=row["units"]
            )
        except INFRASTRUCTURE_ERRORS as exc:
            logger.warning("Units of AI work %s not given back (%s)", work.pk, exc)
    return ended


def ai_work_renew(*, work: AIWork, characters: int, voice: str = "", priority: str = "normal"):
    """Running work must buy more than it was admitted for (an edit to narrate again): admit the
    new piece like any admission (a refusal raises, the old work is ended), end the old one,
    and return the new one, running."""
    user = AIWork.objects.select_related("user").get(pk=work.pk).user
    try:
        renewed = ai_work_admit(
            user=user,
            operation=work.operation,
            characters=characters,
            voice=voice,
            priority=priority,
        )
    finally:
        ai_work_end(work=work)
    ai_work_hand_over(work=renewed)
    _mark_running(work=renewed)
    return renewed


# --- Helpers and the sweeper ----------------------------------------------------------------------


def _mark_running(*, work: AIWork) -> None:
    now = timezone.now()
    started = AIWork.objects.filter(pk=work.pk, state=State.ADMITTED).update(
        state=State.RUNNING, started_at=now
    )
    if started:
        work.state, work.started_at = State.RUNNING, now


def _end_soon(*, work: AIWork) -> None:
    """End now; if the database is away, keep trying from a thread for a minute (the sweeper
    ends it after its lease otherwise)."""
    retried_in_background(lambda: ai_work_end(work=work), name=f"end of AI work {work.pk}")


def ai_works_release_stale() -> int:
    """End work nobody will end (beat, every minute):
    - held by a request past its lease: the request died (its process, or the database under it);
    - stopped from outside and not ended by its worker within twice AI_JOB_STALE_AFTER: the
      worker is gone;
    - any other work older than COST_RESERVATION_TTL that no job holds (a last resort).
    """
    now = timezone.now()
    stopped_long_ago = now - 2 * timedelta(seconds=settings.AI_JOB_STALE_AFTER)
    stale = AIWork.objects.filter(ended_at__isnull=True).filter(
        Q(lease_until__lt=now)
        | Q(stop_requested_at__lt=stopped_long_ago)
        | Q(
            created_at__lt=now - timedelta(seconds=settings.COST_RESERVATION_TTL),
            job__isnull=True,  # no job holds it (a job's end, deletion or sweeper ends its work)
        )
    )
    ended = sum(ai_work_end(work=work) for work in stale.only("pk"))
    if ended:
        logger.warning("Ended %d AI work(s) nobody would end", ended)
    return ended


def refusal_message(exc: Exception) -> str:
    """What to tell staff or the family about a refusal."""
    return exc.message if isinstance(exc, ApplicationError) else str(exc)
