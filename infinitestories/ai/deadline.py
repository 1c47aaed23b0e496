"""How long the AI work of the current web request may still take.

Its own module, below the providers and the chain, so that a provider can shorten its timeout
without importing the chain that builds it.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# When the AI work of the current web request must be over (time.monotonic()); None outside one.
_deadline: ContextVar[float | None] = ContextVar("ai_deadline", default=None)


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """AI calls made inside share `seconds`: a vendor request waits at most what is left (the
    provider shortens its timeout), and no call starts once it is spent (TransientProviderError:
    the request answers 503 AI_UNAVAILABLE and nothing is charged)."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left() -> float | None:
    """Seconds left in the current budget, or None when there is none (a worker's job)."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()
