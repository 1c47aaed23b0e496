"""Where the AI layer's usage rows go: the sink an app registers at start, and an outbox for the
rows the database cannot take at the moment.

The usage app registers its recorder (usage.apps.UsageConfig.ready -> `usage_sink_register`):
the core is told about the app explicitly, at start, in code the import check can see, and
imports no domain app itself.

A vendor call that was paid for cannot be had again for free, and neither can the row that
records its cost: a write that still fails after the short in-place retries (a database blip
longer than about two seconds) is kept in the outbox, a Redis list (a list in this process when
there is no Redis: development), and written after a later write that succeeds, in whichever
process makes it (a process looks at the outbox at most every OUTBOX_CHECK_SECONDS, at once
when it kept a row itself). The row is never dropped silently: with the outbox unreachable too it is
logged whole (ids and units, no names) at ERROR, the last record of it.
"""

import json
import logging
import time
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.db import IntegrityError, connection

from infinitestories.faults import INFRASTRUCTURE_ERRORS, with_retries

logger = logging.getLogger(__name__)

OUTBOX_KEY = "ai:usage:outbox"  # under REDIS_KEY_PREFIX, as the cache's keys
# At most this many kept rows are written after one successful write (the rest by the next).
DRAIN_BATCH = 100

# A process looks at the outbox after a successful write at most this often (seconds), at once
# when it kept a row itself: rows kept by others wait at most this long after the next write.
OUTBOX_CHECK_SECONDS = 10.0

_sinks: list[Callable[..., object]] = []
_local_outbox: list[str] = []
_next_check = [0.0]  # time.monotonic() of this process's next look at the outbox


def usage_sink_register(sink: Callable[..., object]) -> None:
    """Make `sink(**row)` the recorder of every AI call (the usage app, at start)."""
    _sinks[:] = [sink]


def _sink() -> Callable[..., object]:
    if not _sinks:
        raise RuntimeError("No usage sink registered (usage.apps.UsageConfig.ready registers it).")
    return _sinks[0]


@cache
def _redis(url: str):
    from redis import Redis

    return Redis.from_url(url, **settings.REDIS_CLIENT_OPTIONS)


def _key() -> str:
    prefix = getattr(settings, "REDIS_KEY_PREFIX", "")
    return f"{prefix}:{OUTBOX_KEY}" if prefix else OUTBOX_KEY


def _outbox_push(entry: str) -> None:
    if settings.REDIS_URL:
        _redis(settings.REDIS_URL).rpush(_key(), entry)
    else:
        _local_outbox.append(entry)


def _outbox_pop() -> str | None:
    if settings.REDIS_URL:
        entry = _redis(settings.REDIS_URL).lpop(_key())
        return entry.decode() if isinstance(entry, bytes) else entry
    return _local_outbox.pop(0) if _local_outbox else None


def outbox_size() -> int:
    if settings.REDIS_URL:
        return int(_redis(settings.REDIS_URL).llen(_key()))
    return len(_local_outbox)


def usage_write(row: dict) -> None:
    """Write one usage row now (retried in place through a blip), else keep it for later.
    Never raises for the infrastructure: the paid result it records is used all the same."""
    try:
        with_retries(lambda: _sink()(**row))
    except INFRASTRUCTURE_ERRORS as exc:
        _keep(row, exc)
        return
    if _in_a_transaction() or time.monotonic() < _next_check[0]:
        # Rows taken from the outbox into a transaction that rolls back would be lost.
        return
    _next_check[0] = time.monotonic() + OUTBOX_CHECK_SECONDS
    try:
        if outbox_drain() == DRAIN_BATCH:
            _next_check[0] = 0.0  # more may wait
    except INFRASTRUCTURE_ERRORS as exc:
        _next_check[0] = 0.0
        logger.warning("Usage outbox not drained (%s); the next write tries again", exc)


def _in_a_transaction() -> bool:
    """Inside a caller's atomic block (a test case's own blocks aside, as Django's `durable`)."""
    return any(not block._from_testcase for block in connection.atomic_blocks)


def _keep(row: dict, exc: Exception) -> None:
    entry = json.dumps(row, sort_keys=True)
    _next_check[0] = 0.0  # the next successful write drains it
    try:
        _outbox_push(entry)
    except INFRASTRUCTURE_ERRORS as outbox_exc:
        logger.error(
            "Usage row lost to the database (%s) and the outbox (%s): %s", exc, outbox_exc, entry
        )
        return
    logger.warning("Usage row kept in the outbox, the database failed (%s)", exc)


def outbox_drain(*, limit: int = DRAIN_BATCH) -> int:
    """Write up to `limit` kept rows; the number written. A row that fails for the
    infrastructure again goes back; one that can never be written is not kept forever (it would
    stop every drain after it): see `_write_kept`."""
    written = 0
    while written < limit and outbox_size():
        entry = _outbox_pop()
        if entry is None:
            break
        try:
            _write_kept(json.loads(entry))
        except INFRASTRUCTURE_ERRORS:
            _outbox_push(entry)
            raise
        except Exception:
            logger.exception("Usage row from the outbox cannot be written; dropped: %s", entry)
            continue
        written += 1
    if written:
        logger.info("Wrote %d usage rows kept in the outbox", written)
    return written


def _write_kept(row: dict) -> None:
    """A kept row whose user is gone meanwhile (the account was deleted) is written without
    it, as the deletion keeps every other usage row of the account: anonymised."""
    try:
        _sink()(**row)
    except IntegrityError:
        if not row.get("user_id"):
            raise
        _sink()(**{**row, "user_id": None})
