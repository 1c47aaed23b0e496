"""Caps on AI work done while a web request waits (a story written in the request, an avatar,
moderation of an edit), so a slow vendor cannot hold every web thread.

A web request takes its places at its first AI call and keeps them until it is answered
(`request_scope`, entered by the web middleware with the time budget): one place among the
account's (AI_INFLIGHT_PER_USER, shared by every process through the cache), one among this
process's (AI_INFLIGHT_PER_PROCESS, its threads) and one among all processes'
(AI_INFLIGHT_GLOBAL). A request that finds no place is refused at once: AIBusy, which the API
answers 429 (the account's own requests) or 503 (everyone's), never a thread left waiting.

A place in the cache is a key added with an expiry (WEB_TIMEOUT), so a process that dies holding
one gives it back by itself. Work in a Celery job (no request) is not capped here: the workers'
concurrency bounds it.
"""

import random
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache as shared_cache

from .errors import AIBusy


class _Places:
    """The places one request holds (its AI calls may run in threads that copied its context)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.taken = False
        self.release: list = []


_request: ContextVar[_Places | None] = ContextVar("ai_inflight", default=None)
_process_places: dict[int, threading.BoundedSemaphore] = {}
_process_lock = threading.Lock()


def _process_semaphore() -> threading.BoundedSemaphore:
    size = max(1, settings.AI_INFLIGHT_PER_PROCESS)
    with _process_lock:
        if size not in _process_places:
            _process_places[size] = threading.BoundedSemaphore(size)
        return _process_places[size]


@contextmanager
def request_scope() -> Iterator[None]:
    """The places the AI calls of the current web request take are given back when it ends."""
    places = _Places()
    token = _request.set(places)
    try:
        yield
    finally:
        _request.reset(token)
        for release in reversed(places.release):
            release()


def admit(*, user_id: str | None) -> None:
    """Take this request's places before its first AI call; a no-op outside a web request and
    for its later calls. Raises AIBusy when the account or the service has none free."""
    places = _request.get()
    if places is None:
        return
    with places.lock:
        if places.taken:
            return
        taken: list = []
        try:
            if user_id is not None:
                taken.append(
                    _cache_place(f"user:{user_id}", settings.AI_INFLIGHT_PER_USER, scope="user")
                )
            semaphore = _process_semaphore()
            if not semaphore.acquire(blocking=False):
                raise AIBusy(scope="service")
            taken.append(semaphore.release)
            taken.append(_cache_place("all", settings.AI_INFLIGHT_GLOBAL, scope="service"))
        except BaseException:
            for release in reversed(taken):
                release()
            raise
        places.release.extend(taken)
        places.taken = True


def _cache_place(group: str, size: int, *, scope: str):
    """Add one of `size` keys of `group` (the first free one, from a random start so that
    parallel requests rarely try the same); return what gives it back."""
    if size <= 0:
        return lambda: None
    token = uuid.uuid4().hex
    start = random.randrange(size)
    for offset in range(size):
        key = f"ai-inflight:{group}:{(start + offset) % size}"
        if shared_cache.add(key, token, timeout=settings.WEB_TIMEOUT):

            def release(key=key):
                if shared_cache.get(key) == token:  # not one taken by another after expiry
                    shared_cache.delete(key)

            return release
    raise AIBusy(scope=scope)


def in_flight(*, user_id: str | None = None) -> int:
    """How many places are taken (the account's, or everyone's): for tests and the admin."""
    group, size = (
        (f"user:{user_id}", settings.AI_INFLIGHT_PER_USER)
        if user_id is not None
        else ("all", settings.AI_INFLIGHT_GLOBAL)
    )
    keys = [f"ai-inflight:{group}:{index}" for index in range(size)]
    return len(shared_cache.get_many(keys))
