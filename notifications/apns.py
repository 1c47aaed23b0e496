"""Apple Push Notification service: its HTTP/2 API with token-based authentication.

APNs speaks HTTP/2 only. The client is httpx with the h2 package (`httpx[http2]`): httpx is
already how the project's vendor SDKs talk HTTP, it is synchronous (a Celery task sends the
pushes; aioapns would need an event loop per task), keeps one HTTP/2 connection per host and
process, and takes an ssl context, so tests trust their own CA (APNS_CA_FILE). apns2/PyAPNs2 is
abandoned (it needs `hyper`).

The provider token is an ES256 JWT signed with the team's .p8 key. Apple wants it reused for 20
to 60 minutes and answers 429 TooManyProviderTokenUpdates to a team that refreshes faster, so
one token is kept in the shared cache for APNS_TOKEN_TTL and every process uses it.
"""

import logging
import os
import re
import ssl
import time
from dataclasses import dataclass

import httpx
import jwt
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# Apple's reasons that say the token will never reach a phone again: forget the device.
DEVICE_GONE_REASONS = frozenset({"BadDeviceToken", "Unregistered"})
# Apple's reasons that say our provider token is refused: sign a new one.
TOKEN_REFUSED_REASONS = frozenset({"ExpiredProviderToken", "InvalidProviderToken"})


_DEVICE_PATH = re.compile(r"/3/device/[0-9A-Fa-f]+([0-9A-Fa-f]{6})")


class DeviceTokensHidden(logging.Filter):
    """httpx logs each request's URL at INFO: keep only a device token's last 6 digits (the
    admin's form), so no whole token reaches the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _DEVICE_PATH.sub(r"/3/device/…\1", str(arg)) if "/3/device/" in str(arg) else arg
                for arg in record.args
            )
        return True


class PushNotSent(Exception):
    """No answer from APNs (connection refused or reset, timeout): worth trying again."""


@dataclass(frozen=True)
class PushAnswer:
    status: int
    reason: str = ""
    apns_id: str = ""

    @property
    def sent(self) -> bool:
        return self.status == 200

    @property
    def device_gone(self) -> bool:
        return self.status == 410 or (self.status == 400 and self.reason in DEVICE_GONE_REASONS)

    @property
    def provider_token_refused(self) -> bool:
        return self.status == 403 and self.reason in TOKEN_REFUSED_REASONS

    @property
    def retryable(self) -> bool:
        return self.status == 429 or self.status >= 500 or self.provider_token_refused


def configured() -> bool:
    """Pushes are on only with the whole APNs configuration (settings refuse a partial one in
    production)."""
    return all(
        (
            settings.APNS_KEY_ID,
            settings.APNS_TEAM_ID,
            settings.APNS_PRIVATE_KEY,
            settings.APNS_TOPIC,
        )
    )


def _token_cache_key() -> str:
    return f"notifications:apns-provider-token:{settings.APNS_TEAM_ID}:{settings.APNS_KEY_ID}"


def provider_token() -> str:
    """The team's current provider token: the one in the shared cache, or a new one. When two
    processes sign at once, the first stored wins and both use it."""
    key = _token_cache_key()
    token = cache.get(key)
    if token:
        return token
    fresh = jwt.encode(
        {"iss": settings.APNS_TEAM_ID, "iat": int(time.time())},
        settings.APNS_PRIVATE_KEY,
        algorithm="ES256",
        headers={"kid": settings.APNS_KEY_ID},
    )
    cache.add(key, fresh, timeout=settings.APNS_TOKEN_TTL)
    return cache.get(key) or fresh


def provider_token_drop(*, token: str) -> None:
    """Apple refused `token` (expired, or signed with a revoked key): the next push signs anew.
    Only that token is dropped, so a new one another process stored meanwhile stays."""
    key = _token_cache_key()
    if cache.get(key) == token:
        cache.delete(key)


_clients: dict[tuple, httpx.Client] = {}


def _client() -> httpx.Client:
    """One HTTP/2 client per process (and CA file): its connections to Apple stay open between
    pushes. Keyed by the process id, so a forked worker child never uses its parent's socket."""
    signature = (os.getpid(), settings.APNS_CA_FILE, settings.APNS_TIMEOUT)
    client = _clients.get(signature)
    if client is None:
        context = ssl.create_default_context()
        if settings.APNS_CA_FILE:
            context.load_verify_locations(cafile=settings.APNS_CA_FILE)
        client = httpx.Client(http2=True, verify=context, timeout=settings.APNS_TIMEOUT)
        _clients[signature] = client
    return client


def clients_close() -> None:
    """Close this process's connections to APNs (tests, between fake servers)."""
    while _clients:
        _clients.popitem()[1].close()


def push_send(
    *, device_token: str, environment: str, payload: dict, collapse_id: str
) -> PushAnswer:
    """Send one alert push to one device; Apple's answer, or PushNotSent without one."""
    host = settings.APNS_SANDBOX_URL if environment == "sandbox" else settings.APNS_URL
    bearer = provider_token()
    try:
        response = _client().post(
            f"{host}/3/device/{device_token}",
            json=payload,
            headers={
                "authorization": f"bearer {bearer}",
                "apns-topic": settings.APNS_TOPIC,
                "apns-push-type": "alert",
                "apns-priority": "10",
                # A later push about the same work replaces this one on the lock screen.
                "apns-collapse-id": collapse_id[:64],
            },
        )
    except httpx.HTTPError as exc:
        raise PushNotSent(f"{type(exc).__name__}: {exc}") from exc
    reason = ""
    if response.status_code != 200:
        try:
            reason = str(response.json().get("reason", ""))
        except ValueError:
            reason = ""
    answer = PushAnswer(
        status=response.status_code, reason=reason, apns_id=response.headers.get("apns-id", "")
    )
    if answer.provider_token_refused:
        provider_token_drop(token=bearer)
    return answer
