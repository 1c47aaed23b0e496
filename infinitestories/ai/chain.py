"""The provider chain and the metering wrapper: every AI call in the code base goes through `call`.

`call` tries the configured providers in order (AI_PROVIDER_CHAIN). A provider that fails with a
transient error (after the SDK's own retries) is skipped for AI_PROVIDER_COOLDOWN seconds, a flag
kept in the shared cache so every web and worker process skips it, and the next one answers.
Each attempt is metered, success or failure, through the usage sink that AI_USAGE_SINK names
(the usage app's recorder): the AI layer knows no domain app.
"""

import logging
import time
from dataclasses import dataclass, replace
from functools import cache

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.utils.module_loading import import_string

from .errors import ProviderError, TransientProviderError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallContext:
    """What a usage row records besides the call itself."""

    operation: str
    user_id: str | None = None
    prompt_version: str = ""
    story_id: str = ""
    hero_id: str = ""
    job_id: str = ""

    def but(self, **changes) -> "CallContext":
        return replace(self, **changes)


@cache
def _provider(name: str, fingerprint: tuple):
    if name == "openai":
        from .openai_provider import OpenAIProvider

        return OpenAIProvider()
    if name == "local":
        from .local_provider import LocalProvider

        return LocalProvider()
    raise ValueError(f"Unknown AI provider {name!r}")


def get_provider(name: str):
    # Settings that shape the client are part of the key, so tests that change them get a new one.
    fingerprint = (
        settings.OPENAI_BASE_URL,
        settings.OPENAI_API_KEY,
        settings.AI_REQUEST_TIMEOUT,
        settings.AI_MAX_RETRIES,
    )
    return _provider(name, fingerprint)


def provider_names() -> list[str]:
    return list(settings.AI_PROVIDER_CHAIN) or [settings.AI_PROVIDER]


def providers_warm_up(*, fresh: bool = False) -> None:
    """Build the configured providers (their SDK imported, their HTTP client made) at process
    start, not inside the first request or job: importing the openai SDK alone takes about
    0.6 s, which every new web or worker process used to add to the first story it served.

    `fresh`: drop clients inherited from a parent process (a forked worker makes its own).
    """
    if fresh:
        _provider.cache_clear()
    for name in provider_names():
        get_provider(name)
    logger.info("AI providers ready: %s", ", ".join(provider_names()))


def _cooldown_key(name: str) -> str:
    return f"ai:cooldown:{name}"


def is_cooling_down(name: str) -> bool:
    return bool(shared_cache.get(_cooldown_key(name)))


def _sink():
    return import_string(settings.AI_USAGE_SINK)


def call(*, ctx: CallContext, method: str, pending: list | None = None, **kwargs):
    """Run `method` on the first healthy provider; meter every attempt.

    With `pending` (a list), usage rows are collected instead of written, so that calls made in
    worker threads leave the database to the calling thread (`flush`). An error raised names the
    operation that failed, for the message the family sees.
    """

    def record(**row):
        row.update(
            user_id=ctx.user_id,
            operation=ctx.operation,
            prompt_version=ctx.prompt_version,
            story_id=ctx.story_id,
            hero_id=ctx.hero_id,
            job_id=ctx.job_id,
        )
        if pending is not None:
            pending.append(row)
        else:
            _sink()(**row)

    names = provider_names()
    if method == "moderate" and names[0] != "local":
        # The offline word list is for development; it never stands in for real moderation.
        names = [name for name in names if name != "local"]
    healthy = [name for name in names if not is_cooling_down(name)]
    last_error: TransientProviderError | None = None
    for name in healthy or names:
        provider = get_provider(name)
        started = time.monotonic()
        try:
            result = getattr(provider, method)(**kwargs)
        except Exception as exc:
            spoken = kwargs.get("text", "") if method == "speak" else ""
            record(
                vendor=provider.name,
                model=provider.model_for(method),
                unit="characters" if spoken else "",
                input_units=len(spoken),
                output_units=0,
                usage_reported=False,
                latency_ms=int((time.monotonic() - started) * 1000),
                success=False,
                error=f"{type(exc).__name__}: {getattr(exc, 'message', exc)}",
            )
            if isinstance(exc, ProviderError):
                exc.operation = exc.operation or ctx.operation
            if isinstance(exc, TransientProviderError):
                logger.warning("AI provider %s failed (%s); cooling down", name, exc)
                shared_cache.set(_cooldown_key(name), True, timeout=settings.AI_PROVIDER_COOLDOWN)
                last_error = exc
                continue
            if not isinstance(exc, ProviderError):
                logger.exception("Unexpected error from AI provider %s", name)
            raise
        record(
            vendor=provider.name,
            model=result.model or provider.model_for(method),
            unit=result.usage.unit,
            input_units=result.usage.input_units,
            output_units=result.usage.output_units,
            usage_reported=result.usage.reported,
            latency_ms=int((time.monotonic() - started) * 1000),
            success=True,
        )
        return result
    assert last_error is not None
    raise last_error


def flush(pending: list) -> None:
    """Write usage rows collected by calls made in worker threads."""
    sink = _sink()
    while pending:
        sink(**pending.pop(0))
