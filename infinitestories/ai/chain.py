"""The provider chain and the metering wrapper: every AI call in the code base goes through `call`.

`call` tries the configured providers in order (AI_PROVIDER_CHAIN; narration has its own chain,
`speech_provider_names`). A provider that fails with a transient error (after the SDK's own
retries) is skipped for AI_PROVIDER_COOLDOWN seconds, a flag kept in the shared cache so every
web and worker process skips it, and the next one answers.
Each attempt is metered, success or failure, through the usage sink that AI_USAGE_SINK names
(the usage app's recorder): the AI layer knows no domain app.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from functools import cache

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.utils import timezone
from django.utils.module_loading import import_string

from infinitestories.faults import INFRASTRUCTURE_ERRORS, with_retries

from .base import Usage
from .errors import ProviderError, TransientProviderError
from .privacy import safety_identifier

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

    @property
    def safety_identifier(self) -> str:
        """What vendors know the user by: a keyed hash, never the e-mail or the id."""
        return safety_identifier(self.user_id)


@cache
def _provider(name: str, fingerprint: tuple):
    if name == "openai":
        from .openai_provider import OpenAIProvider

        return OpenAIProvider()
    if name == "local":
        from .local_provider import LocalProvider

        return LocalProvider()
    if name == "elevenlabs":
        from .elevenlabs_provider import ElevenLabsProvider

        return ElevenLabsProvider()
    if name == "polly":
        from .polly import PollyProvider

        return PollyProvider()
    raise ValueError(f"Unknown AI provider {name!r}")


def get_provider(name: str):
    # Settings that shape the client are part of the key, so tests that change them get a new one.
    fingerprint = (
        settings.OPENAI_BASE_URL,
        settings.OPENAI_API_KEY,
        settings.AI_REQUEST_TIMEOUT,
        settings.AI_MAX_RETRIES,
        settings.AI_TTS_INPUT_LIMIT,
        settings.ELEVENLABS_API_KEY,
        settings.ELEVENLABS_BASE_URL,
        settings.ELEVENLABS_TTS_INPUT_LIMIT,
        settings.POLLY_REGION,
        settings.POLLY_ENDPOINT_URL,
        settings.POLLY_TTS_INPUT_LIMIT,
    )
    return _provider(name, fingerprint)


def provider_names() -> list[str]:
    return list(settings.AI_PROVIDER_CHAIN) or [settings.AI_PROVIDER]


def speech_provider_names() -> list[str]:
    """The vendors that narrate, in order: AI_TTS_PROVIDER_CHAIN when set.

    Otherwise it follows AI_PROVIDER_CHAIN, with ElevenLabs (when ELEVENLABS_API_KEY is set) as
    the fallback until OpenAI's speech models shut down (AI_OPENAI_TTS_SHUTDOWN, 2027-01-06).
    From that day on: ElevenLabs (with a key) then Amazon Polly, and OpenAI no more; the offline
    voice of a development chain stays last. Decided at each call, so running servers switch on
    the day itself.
    """
    if settings.AI_TTS_PROVIDER_CHAIN:
        return list(settings.AI_TTS_PROVIDER_CHAIN)
    names = provider_names()
    if "openai" not in names:
        return names  # the offline chain of development narrates offline
    eleven = ["elevenlabs"] if settings.ELEVENLABS_API_KEY else []
    if timezone.now().date() >= settings.AI_OPENAI_TTS_SHUTDOWN:
        return [*eleven, "polly", *[name for name in names if name != "openai"]]
    return [*names, *eleven]


def usable(names: list[str]) -> list[str]:
    """The providers not cooling down, in order; all of them when every one is."""
    return [name for name in names if not is_cooling_down(name)] or names


def providers_warm_up(*, fresh: bool = False) -> None:
    """Build the configured providers (their SDK imported, their HTTP client made) at process
    start, not inside the first request or job: importing the openai SDK alone takes about
    0.6 s, which every new web or worker process used to add to the first story it served.

    `fresh`: drop clients inherited from a parent process (a forked worker makes its own).
    """
    if fresh:
        _provider.cache_clear()
    names = list(dict.fromkeys([*provider_names(), *speech_provider_names()]))
    for name in names:
        get_provider(name)
    logger.info("AI providers ready: %s", ", ".join(names))
    if not fresh and not settings.DEBUG:
        # Production says at boot when a configured model is past its shutdown date.
        try:
            import_string(settings.AI_BOOT_CHECK)()
        except Exception:
            logger.exception("The boot check of configured models failed")


def _cooldown_key(name: str) -> str:
    return f"ai:cooldown:{name}"


def is_cooling_down(name: str) -> bool:
    """Whether `name` failed lately. The flag saves time, it guards nothing: with the cache
    down the provider is simply tried, so narration half bought is not lost to a Redis fault."""
    try:
        return bool(shared_cache.get(_cooldown_key(name)))
    except INFRASTRUCTURE_ERRORS as exc:
        logger.warning("Cool-down of %s unknown (%s); trying it", name, exc)
        return False


def _cool_down(name: str) -> None:
    try:
        shared_cache.set(_cooldown_key(name), True, timeout=settings.AI_PROVIDER_COOLDOWN)
    except INFRASTRUCTURE_ERRORS as exc:
        logger.warning("Cool-down of %s not recorded (%s)", name, exc)


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


MODERATION_METHODS = ("moderate", "moderate_image")


def _sink():
    return import_string(settings.AI_USAGE_SINK)


def call(
    *,
    ctx: CallContext,
    method: str,
    pending: list | None = None,
    providers: list[str] | None = None,
    **kwargs,
):
    """Run `method` on the first healthy provider; meter every attempt.

    With `pending` (a list), usage rows are collected instead of written, so that calls made in
    worker threads leave the database to the calling thread (`flush`). `providers` replaces the
    chain (narration pins each story to one vendor). An error raised names the operation that
    failed, for the message the family sees.
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
            with_retries(lambda: _sink()(**row))

    names = providers or provider_names()
    if method in MODERATION_METHODS and names[0] != "local":
        # The offline word list is for development; it never stands in for real moderation.
        names = [name for name in names if name != "local"]
    last_error: TransientProviderError | None = None
    for name in usable(names):
        left = time_left()
        if left is not None and left <= 0:
            raise last_error or TransientProviderError(
                "Out of time for this request.", operation=ctx.operation
            )
        provider = get_provider(name)
        started = time.monotonic()
        try:
            given = kwargs
            if method in getattr(provider, "identified_methods", ()):
                given = {**kwargs, "safety_identifier": ctx.safety_identifier}
            result = getattr(provider, method)(**given)
        except Exception as exc:
            # What the vendor billed for a failed call: its own figures when it answered (a
            # refusal, an answer that did not parse), else the characters sent to speech.
            spoken = kwargs.get("text", "") if method == "speak" else ""
            billed = getattr(exc, "usage", None) or Usage(
                "characters" if spoken else "", input_units=len(spoken)
            )
            record(
                vendor=provider.name,
                model=provider.model_for(method),
                unit=billed.unit,
                input_units=billed.input_units,
                output_units=billed.output_units,
                usage_reported=billed.reported,
                latency_ms=int((time.monotonic() - started) * 1000),
                success=False,
                error=f"{type(exc).__name__}: {getattr(exc, 'message', exc)}",
            )
            if isinstance(exc, ProviderError):
                exc.operation = exc.operation or ctx.operation
                if pending is None and _model_not_found(exc):
                    _report_model_not_found(provider.name, provider.model_for(method))
            if isinstance(exc, TransientProviderError):
                logger.warning("AI provider %s failed (%s); cooling down", name, exc)
                _cool_down(name)
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


def _model_not_found(exc: ProviderError) -> bool:
    """The vendor says the model does not exist (OpenAI: 404 model_not_found)."""
    return exc.status == 404 or "model_not_found" in exc.message


def _report_model_not_found(vendor: str, model: str) -> None:
    """Staff hear of it at once (AI_MODEL_NOT_FOUND_SINK); the call's own error goes on."""
    try:
        import_string(settings.AI_MODEL_NOT_FOUND_SINK)(vendor=vendor, model=model)
    except Exception:
        logger.exception("Could not report that %s/%s was not found", vendor, model)


def flush(pending: list) -> None:
    """Write usage rows collected by calls made in worker threads."""
    sink = _sink()
    while pending:
        with_retries(lambda: sink(**pending[0]))
        pending.pop(0)
