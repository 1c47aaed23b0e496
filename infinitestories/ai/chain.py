"""The provider chain and the metering wrapper: every AI call in the code base goes through `call`.

`call` tries the configured providers in order (AI_PROVIDER_CHAIN; narration has its own chain,
`speech_provider_names`), those that have the request's capability, by the request's own typed
dispatch (`request.send(provider)`). A provider that fails with a transient error (after the
SDK's own retries) is skipped for that capability for AI_PROVIDER_COOLDOWN seconds, a flag kept
in the shared cache so every web and worker process skips it, and the next one answers: a
picture's 500 does not move narration to another vendor.

Each attempt is metered through the usage sink the usage app registers at start (metering;
the AI layer knows no domain app): an answer with the units the vendor billed, a
failure with what it billed (a chat answer that refused or did not parse), and a failure the
vendor did not bill (an error status, unreachable, timed out before answering) with none, so it costs nothing. A row
the database cannot take is kept in an outbox (`metering`) and written later: a paid call is
never lost from the usage log, and its result is used all the same.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.utils import timezone

from infinitestories.faults import INFRASTRUCTURE_ERRORS

from . import inflight, metering
from .base import Capability, Provider, Request, Usage

# time_budget is used from here by the web middleware (infinitestories.api.middleware).
from .deadline import time_budget, time_left  # noqa: F401
from .errors import PermanentProviderError, ProviderError, TransientProviderError
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
def _provider(name: str, fingerprint: tuple) -> Provider:
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


def get_provider(name: str) -> Provider:
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


def usable(names: list[str], capability: Capability) -> list[str]:
    """The providers not cooling down for `capability`, in order; all of them when every one is."""
    return [name for name in names if not is_cooling_down(name, capability)] or names


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
    if not fresh and not settings.DEBUG and _model_watch:
        # Production says at boot when a configured model is past its shutdown date.
        try:
            _model_watch["boot_check"]()
        except Exception:
            logger.exception("The boot check of configured models failed")


# The shutdown watch (usage.services.model_watch) registers here at start (usage.apps), as the
# usage recorder does in metering: the core imports no app.
_model_watch: dict[str, Callable[..., object]] = {}


def model_watch_register(
    *, not_found: Callable[..., object], boot_check: Callable[[], object]
) -> None:
    """`not_found(vendor=, model=)`: a call answered "model not found"; `boot_check()`: at a
    production process's start, warn of configured models past their shutdown date."""
    _model_watch.update(not_found=not_found, boot_check=boot_check)


def _cooldown_key(name: str, capability: Capability) -> str:
    return f"ai:cooldown:{name}:{capability.value}"


def is_cooling_down(name: str, capability: Capability) -> bool:
    """Whether `name` failed lately at `capability`. The flag saves time, it guards nothing: with
    the cache down the provider is simply tried, so narration half bought is not lost to a Redis
    fault."""
    try:
        return bool(shared_cache.get(_cooldown_key(name, capability)))
    except INFRASTRUCTURE_ERRORS as exc:
        logger.warning("Cool-down of %s (%s) unknown (%s); trying it", name, capability, exc)
        return False


def _cool_down(name: str, capability: Capability) -> None:
    try:
        shared_cache.set(
            _cooldown_key(name, capability), True, timeout=settings.AI_PROVIDER_COOLDOWN
        )
    except INFRASTRUCTURE_ERRORS as exc:
        logger.warning("Cool-down of %s (%s) not recorded (%s)", name, capability, exc)


MODERATION = frozenset({Capability.MODERATE, Capability.MODERATE_IMAGE})
NOT_BILLED = Usage(unit="")


def call(
    *,
    ctx: CallContext,
    request: Request,
    pending: list | None = None,
    providers: list[str] | None = None,
):
    """Send `request` to the first healthy provider that has its capability; meter every attempt.

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
            metering.usage_write(row)

    capability = request.capability
    names = providers or provider_names()
    if capability in MODERATION and names[0] != "local":
        # The offline word list is for development; it never stands in for real moderation.
        names = [name for name in names if name != "local"]
    names = [name for name in names if get_provider(name).can(capability)]
    if not names:
        raise PermanentProviderError(
            f"No configured AI provider can {capability.value}.", operation=ctx.operation
        )
    # In a web request: a place among the in-request AI calls, or AIBusy at once.
    inflight.admit(user_id=ctx.user_id)
    last_error: TransientProviderError | None = None
    for name in usable(names, capability):
        left = time_left()
        if left is not None and left <= 0:
            raise last_error or TransientProviderError(
                "Out of time for this request.", operation=ctx.operation
            )
        provider = get_provider(name)
        started = time.monotonic()
        try:
            result = request.send(provider)
        except Exception as exc:
            # What the vendor billed for a failed call: its own figures when it answered (a
            # refusal, an answer that did not parse); nothing when it did not (5xx, 4xx,
            # unreachable, timed out before answering).
            billed = getattr(exc, "usage", None) or NOT_BILLED
            record(
                vendor=provider.name,
                model=provider.model_for(capability),
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
                    _report_model_not_found(provider.name, provider.model_for(capability))
            if isinstance(exc, TransientProviderError):
                logger.warning(
                    "AI provider %s failed to %s (%s); cooling down", name, capability, exc
                )
                _cool_down(name, capability)
                last_error = exc
                continue
            if not isinstance(exc, ProviderError):
                logger.exception("Unexpected error from AI provider %s", name)
            raise
        record(
            vendor=provider.name,
            model=result.model or provider.model_for(capability),
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
    """Staff hear of it at once (the shutdown watch); the call's own error goes on."""
    if "not_found" not in _model_watch:
        return
    try:
        _model_watch["not_found"](vendor=vendor, model=model)
    except Exception:
        logger.exception("Could not report that %s/%s was not found", vendor, model)


def flush(pending: list) -> None:
    """Write usage rows collected by calls made in worker threads."""
    while pending:
        metering.usage_write(pending.pop(0))
