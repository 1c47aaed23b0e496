"""What each vendor says of its models today, for the shutdown watch (usage.services.model_watch).

OpenAI: GET /v1/models (ids, and a `shutdown_date` on the models that have one). ElevenLabs:
GET /v1/models (ids only). Amazon Polly: DescribeVoices (the engines its voices speak with, and
the voice ids: our voice table must name voices that exist). Each answers
{model id: shutdown date or None} for the models listed; a vendor whose list cannot be read
raises a ProviderError (the watch records it and carries on with the others).
"""

from datetime import UTC, date, datetime

from django.conf import settings

from . import chain
from .errors import TransientProviderError


def listed_models(vendor: str) -> dict[str, date | None]:
    try:
        return {"openai": _openai, "elevenlabs": _elevenlabs, "polly": _polly}[vendor]()
    except KeyError as exc:
        raise ValueError(f"No model list for {vendor!r}") from exc
    except TransientProviderError:
        raise
    except Exception as exc:  # an SDK's own errors, a connection refused
        raise TransientProviderError(
            f"{vendor} model list unreadable: {type(exc).__name__}: {exc}", provider=vendor
        ) from exc


def vendors_with_lists() -> list[str]:
    """The vendors whose lists can be read with the configured credentials."""
    vendors = []
    if settings.OPENAI_API_KEY:
        vendors.append("openai")
    if settings.ELEVENLABS_API_KEY:
        vendors.append("elevenlabs")
    if "polly" in chain.speech_provider_names() or _aws_credentials():
        vendors.append("polly")
    return vendors


def _aws_credentials() -> bool:
    import boto3

    return boto3.Session().get_credentials() is not None


def _shutdown(value) -> date | None:
    """OpenAI's `shutdown_date`: a Unix time or an ISO date, absent for most models."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC).date()
    return date.fromisoformat(str(value)[:10])


def _openai() -> dict[str, date | None]:
    client = chain.get_provider("openai").client
    return {m.id: _shutdown(getattr(m, "shutdown_date", None)) for m in client.models.list()}


def _elevenlabs() -> dict[str, date | None]:
    client = chain.get_provider("elevenlabs").client
    return {m.model_id: None for m in client.models.list()}


def _polly() -> dict[str, date | None]:
    """Polly's "models" are its engines; a voice id of the voice table is listed too."""
    client = chain.get_provider("polly").client
    listed: dict[str, date | None] = {}
    token = None
    while True:
        page = client.describe_voices(**({"NextToken": token} if token else {}))
        for voice in page.get("Voices", []):
            listed[f"voice:{voice['Id']}"] = None
            for engine in voice.get("SupportedEngines", []):
                listed[engine] = None
        token = page.get("NextToken")
        if not token:
            return listed
