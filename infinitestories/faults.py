"""Failures of what the service runs on (the cache and broker, the database, object storage), as
opposed to bugs or bad input. A request that meets one answers 503 SERVICE_UNAVAILABLE
(infinitestories.api.errors); a generation job that meets one is retried later, keeping the AI
work already paid for (stories.services.jobs).
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from django.db import InterfaceError, OperationalError, connection
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

logger = logging.getLogger(__name__)
T = TypeVar("T")

# OSError covers local storage and sockets (ConnectionError, TimeoutError are OSErrors).
INFRASTRUCTURE_ERRORS: tuple[type[Exception], ...] = (
    RedisError,
    BrokerError,
    OperationalError,
    InterfaceError,
    BotoCoreError,
    ClientError,
    OSError,
)


def with_retries(step: Callable[[], T]) -> T:
    """Run `step`, again after a short pause when the infrastructure fails (three tries within
    about two seconds). For a write that must outlive a blip because what it stores cannot be had
    again for free: AI work already paid for, and the usage row that records its cost."""
    for attempt in Retrying(
        retry=retry_if_exception_type(INFRASTRUCTURE_ERRORS),
        stop=stop_after_attempt(3),
        wait=wait_exponential(multiplier=0.5, max=2),
        before_sleep=lambda state: logger.warning(
            "Write failed (%s); trying again", state.outcome.exception()
        ),
        reraise=True,
    ):
        with attempt:
            return step()
    raise AssertionError("unreachable")  # pragma: no cover - reraise=True raises the last error


# A release that failed with the infrastructure is tried again this often, for this long.
BACKGROUND_EVERY = 5.0
BACKGROUND_WITHIN = 60.0


def retried_in_background(step: Callable[[], object], *, name: str) -> threading.Thread | None:
    """Run `step` now (with_retries); when the infrastructure still fails, try again from a
    daemon thread every BACKGROUND_EVERY seconds for BACKGROUND_WITHIN seconds. For a release
    that must not wait for a sweeper: the AI work and the Idempotency-Key of a request that
    died with the database under it. Returns the thread, if one was started."""
    try:
        with_retries(step)
        return None
    except INFRASTRUCTURE_ERRORS as exc:
        logger.warning("%s failed (%s); trying again in the background", name, exc)

    def again():
        deadline = time.monotonic() + BACKGROUND_WITHIN
        try:
            while time.monotonic() < deadline:
                try:
                    step()
                    return
                except INFRASTRUCTURE_ERRORS as exc:
                    logger.warning("%s failed again (%s)", name, exc)
                    connection.close()
                    time.sleep(BACKGROUND_EVERY)
            logger.error("%s gave up; the sweeper will do it", name)
        finally:
            connection.close()

    thread = threading.Thread(target=again, name=f"retry-{name}", daemon=True)
    thread.start()
    return thread
