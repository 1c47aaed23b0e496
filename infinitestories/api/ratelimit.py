"""Rate limits as a policy table: named limits, counted in the shared cache (Redis in production).

Defaults come from the PRD (sections 6 and 10). RATE_LIMITS overrides any of them with
comma-separated `name=rate` pairs, for example `signup=100/h,api=1000/m`. Counting is
django-ratelimit's fixed window in the cache, so it holds across web processes and hosts.
"""

import contextlib
import hashlib
import ipaddress
import time
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy
from django_ratelimit.core import (
    ALL,
    EXPIRATION_FUDGE,
    _get_window,
    _make_cache_key,
    _split_rate,
    get_usage,
)

from .errors import RATE_LIMITED, ApplicationError

# name -> (rate, key). key "ip" counts per client network (an IPv4 address, an IPv6 /64), "ip56"
# and "ip48" per IPv6 /56 and /48 (per address for IPv4), "user" per signed-in user, "email" per
# account named in the body (its e-mail; the network without one), "account_network" per
# (account, network) pair, counted by the service (failures_charge), not per request.
DEFAULT_POLICIES: dict[str, tuple[str, str]] = {
    # Signups: per account, then per /64, /56 (one home connection holds 256 /64s) and /48 (a
    # site); the network limits are generous, so the many families behind one carrier NAT or
    # school address keep signing up.
    "signup_account": ("5/h", "email"),
    "signup": ("20/h", "ip"),
    "signup_56": ("30/h", "ip56"),
    "signup_48": ("60/h", "ip48"),
    # Wrong passwords count per (account, network) and lock that network out of that account
    # only: a stranger's guesses from elsewhere never lock the parent out. The network limit
    # (every attempt, any account) is generous for the families behind one carrier NAT.
    "login_account": ("10/h", "account_network"),
    "login": ("100/h", "ip"),
    # Apple's server-to-server events come from Apple's few addresses, for every family at once.
    "apple_notifications": ("600/m", "ip"),
    # Reset and verification e-mails: enough for a forgetful parent, too few to flood an inbox:
    # per network an hour, and per account a day (whatever the networks asking).
    "email_send": ("5/h", "ip"),
    "email_send_account": ("3/d", "email"),
    "api": ("100/m", "user"),
    # Anonymous health checks (monitoring calls once a minute): a flood is refused cheaply.
    "health": ("30/m", "ip"),
    "hero_create": ("10/m", "user"),
    "hero_update": ("20/m", "user"),
    "delete": ("10/m", "user"),
    "story_update": ("20/m", "user"),
    # AI work, counted by usage.ai_work_admit whatever endpoint starts it (units_charge):
    # stories, narrations, pictures (not requests), avatars.
    "story_generation": ("10/h", "user"),
    "audio_generation": ("20/h", "user"),
    "illustration_generation": ("5/h", "user"),
    "avatar_generation": ("5/h", "user"),
    "status_poll": ("60/m", "user"),
    "upload": ("100/m", "user"),
    # The family library (PRD 6.3, 6.5, 6.6); custom events as heroes, the export is heavy.
    "illustration_delete": ("20/m", "user"),
    "custom_event_create": ("10/m", "user"),
    "custom_event_update": ("20/m", "user"),
    "profile_update": ("20/m", "user"),
    "export": ("10/h", "user"),
    # Share links: a family makes a few a day; a shared page and its media are opened by anyone
    # with the link (counted per network, as signup is: the secret cannot be guessed anyway).
    "share_create": ("20/h", "user"),
    "share_view": ("300/m", "ip"),
    # Bringing a library in (POST /api/import), by batches of up to 50 stories and 30 files:
    # 3,600 files an hour, a large library (500 narrated, illustrated stories) within the hour.
    "library_import": ("120/h", "user"),
    # A phone registers its push token at each start; a few accounts may share a family iPad.
    "device_register": ("30/h", "user"),
}


TOO_MANY_REQUESTS = gettext_lazy("Too many requests. Please wait a little and try again.")


@dataclass(frozen=True)
class Policy:
    name: str
    rate: str
    key: str


@cache
def _policies(overrides: str) -> dict[str, Policy]:
    policies = {name: Policy(name, rate, key) for name, (rate, key) in DEFAULT_POLICIES.items()}
    for pair in filter(None, (part.strip() for part in overrides.split(","))):
        name, _, rate = pair.partition("=")
        name, rate = name.strip(), rate.strip()
        if name not in policies:
            raise ImproperlyConfigured(f"RATE_LIMITS names an unknown limit: {name!r}")
        try:
            _split_rate(rate)
        except (AttributeError, ValueError, KeyError) as exc:
            raise ImproperlyConfigured(f"RATE_LIMITS has a bad rate for {name}: {rate!r}") from exc
        policies[name] = Policy(name, rate, policies[name].key)
    return policies


def policy(name: str) -> Policy:
    return _policies(settings.RATE_LIMITS)[name]


def policies_check() -> None:
    """Run at boot: a misspelt RATE_LIMITS stops the process with its reason instead of failing
    the first rate-limited request."""
    _policies(settings.RATE_LIMITS)


def _key(policy: Policy):
    def key(group, request) -> str:
        if policy.key == "user" and request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        if policy.key == "email":
            data = getattr(request, "data", None)
            email = data.get("email") if isinstance(data, dict) else None
            if isinstance(email, str) and email.strip():
                return "email:" + email.strip().lower()
        if policy.key in NETWORK_KEYS:
            return "ip:" + client_network(request, prefix=NETWORK_KEYS[policy.key])
        return "ip:" + client_network(request)

    return key


NETWORK_KEYS = {"ip56": 56, "ip48": 48}


def client_network(request, *, prefix: int = 64) -> str:
    """What one client can rotate within: its IPv4 address, or the /64 of its IPv6 address (a
    subscriber is given a whole /64, so each of its addresses is the same client); `prefix` 56
    or 48 for the wider networks one home or site is given."""
    return network_of(client_ip(request), prefix=prefix)


def network_of(address: str, *, prefix: int = 64) -> str:
    """The network of `address` as the limits count it: an IPv4 address itself, an IPv6 address's
    /`prefix`; what cannot be parsed, as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
    return str(ip)


def client_ip(request) -> str:
    """The client's address. Behind a proxy (RATELIMIT_IP_META_KEY=HTTP_X_FORWARDED_FOR) it is the
    right-most entry, the one our proxy appended: the client writes everything to its left."""
    return request.META.get(settings.RATELIMIT_IP_META_KEY, "").split(",")[-1].strip()


@dataclass(frozen=True)
class Usage:
    limit: int
    remaining: int
    reset_in: int

    @property
    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_in),
        }


def hit(request, name: str) -> Usage:
    """Count one request against the named limit; raise 429 RATE_LIMITED when it is over."""
    return hit_many(request, (name,))[0]


def hit_many(request, names) -> list[Usage]:
    """Count one request against each named limit, in one Redis round trip; raise 429
    RATE_LIMITED for the first that is over (the limits after it are not counted, as if checked
    one by one)."""
    if not names:
        return []
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return [Usage(limit=0, remaining=0, reset_in=0) for _ in names]
    backend = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    if not isinstance(backend, RedisCache):  # the dev server's local memory
        return [_hit_one(request, name) for name in names]
    rules = [policy(name) for name in names]
    windows = [counter_of(backend, request, rule) for rule in rules]
    client = _redis_client(backend)
    pipe = client.pipeline(transaction=False)
    for _limit, period, _window, key in windows:
        pipe.set(key, 0, ex=period + EXPIRATION_FUDGE, nx=True)
        pipe.incr(key)
    counts = pipe.execute()[1::2]
    now = int(time.time())
    states = []
    for index, (rule, (limit, _period, window, _cache_key), count) in enumerate(
        zip(rules, windows, counts, strict=True)
    ):
        state = Usage(limit, max(limit - count, 0), max(window - now, 1))
        if count > limit:
            later = [key for *_, key in windows[index + 1 :]]
            if later:
                undo = client.pipeline(transaction=False)
                for key in later:
                    undo.decr(key)
                undo.execute()
            raise _limited(rule, state)
        states.append(state)
    return states


def counter_of(backend, request, rule: Policy) -> tuple[int, int, int, str]:
    """(limit, period, window end, Redis key) of the counter this request adds to."""
    limit, period = _split_rate(rule.rate)
    group = f"rl:{rule.name}"
    value = _key(rule)(group, request)
    window = _get_window(value, period)
    # django-ratelimit's own key: counts carry on across this change and back.
    key = backend.make_and_validate_key(_make_cache_key(group, window, rule.rate, value, ALL))
    return limit, period, window, key


def _redis_client(backend):
    """One redis-py client per cache backend, reused by every request: Django's RedisCache makes
    a new one for each call."""
    client = getattr(backend, "_ratelimit_client", None)
    if client is None:
        client = backend._cache.get_client(None, write=True)
        backend._ratelimit_client = client
    return client


def _hit_one(request, name: str) -> Usage:
    rule = policy(name)
    usage = get_usage(
        request, group=f"rl:{rule.name}", key=_key(rule), rate=rule.rate, increment=True
    )
    if usage is None:  # RATELIMIT_ENABLE is off
        return Usage(limit=0, remaining=0, reset_in=0)
    reset_in = max(usage["time_left"], 1)
    state = Usage(usage["limit"], max(usage["limit"] - usage["count"], 0), reset_in)
    if usage["should_limit"]:
        raise _limited(rule, state)
    return state


# --- Service-level counting: AI work metered by what it makes, whatever endpoint started it ------


def _limited(rule: Policy, usage: Usage) -> ApplicationError:
    return ApplicationError(
        RATE_LIMITED,
        TOO_MANY_REQUESTS,
        status=429,
        details={"limit": rule.name, "retryAfter": usage.reset_in},
        headers={"Retry-After": str(usage.reset_in), **usage.headers},
    )


def _units_key(rule: Policy, key: str, now: int) -> tuple[str, int]:
    """The cache key of the fixed window `now` falls in, and the seconds left in it."""
    _, period = _split_rate(rule.rate)
    start = now - now % period
    return f"rlu:{rule.name}:{key}:{start}", start + period - now


def units_charge(*, name: str, key: str, units: int) -> Usage:
    """Count `units` (narrations, pictures) against the named limit for `key` (a user id).

    One atomic INCRBY in the shared cache, so parallel requests in any process cannot pass the
    limit together; when the units would pass it they are taken back at once and 429
    RATE_LIMITED is raised, so a refused request leaves the count as it was.
    """
    rule = policy(name)
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return Usage(limit=0, remaining=0, reset_in=0)
    limit, _ = _split_rate(rule.rate)
    cache_key, reset_in = _units_key(rule, key, int(time.time()))
    shared_cache.add(cache_key, 0, reset_in + 1)
    count = shared_cache.incr(cache_key, units)
    usage = Usage(limit=limit, remaining=max(limit - count, 0), reset_in=max(reset_in, 1))
    if count > limit:
        shared_cache.decr(cache_key, units)
        raise _limited(rule, Usage(limit, max(limit - count + units, 0), usage.reset_in))
    return usage


def failures_charge(*, name: str, request, account: str) -> Usage:
    """Count one attempt at `account` from the request's network against the named limit (429
    when the network has used it up for this account), before the attempt is checked: parallel
    guesses cannot pass together. A successful attempt gives its unit back (failures_forgive),
    so only failures count, and only against the pair: other networks keep their own count."""
    return units_charge(name=name, key=_pair(request, account), units=1)


def failures_forgive(*, name: str, request, account: str) -> None:
    units_refund(name=name, key=_pair(request, account), units=1)


def _pair(request, account: str) -> str:
    digest = hashlib.sha256(account.strip().lower().encode()).hexdigest()[:32]
    return f"{digest}@{client_network(request)}"


def units_refund(*, name: str, key: str, units: int) -> None:
    """Give back units counted for work that never started (a later check refused it)."""
    rule = policy(name)
    cache_key, _ = _units_key(rule, key, int(time.time()))
    # ValueError: the window turned meanwhile, nothing left to give back.
    with contextlib.suppress(ValueError):
        shared_cache.decr(cache_key, units)
