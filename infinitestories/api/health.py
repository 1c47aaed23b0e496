"""GET /api/health, /api/health/ready and /api/health/deep, through django-health-check's checks.

/api/health is for monitoring, anonymous, so it must stay cheap whoever floods it: it is limited
per network (`health`), checks the database and Redis at most every HEALTH_CACHE_SECONDS per
process, and reports the storage (a file written, read back and deleted) and the Celery workers
(a ping that at least one answers within HEALTH_CELERY_TIMEOUT) from the last deep check, kept in
the shared cache. The deep check runs every minute on a worker (beat: health-deep-check), on
/api/health/deep (X-Health-Token or staff), and, when its result is older than
HEALTH_DEEP_MAX_AGE (no beat running), once for the whole fleet from /api/health under a lock in
the cache: however many calls arrive, at most one storage write and one worker ping per
HEALTH_DEEP_MAX_AGE. On the embedded default tasks run in the web process, so there is no
worker to ping: the answer says "eager" instead of failing.

/api/health/ready is for load balancers and autoscalers: can this process serve requests (the
database, Redis), and how long has the oldest generation job waited for a worker. The queue is
read through the function the stories app registers at start (`queue_state_register`, from
stories.apps): the core imports no domain app.
"""

import asyncio
import contextlib
import datetime
import hmac
import threading
import time
from collections.abc import Callable

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.cache import cache as shared_cache
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from health_check.checks import Database, Storage
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from redis.exceptions import RedisError
from rest_framework import permissions, serializers
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from . import ratelimit
from .errors import SERVICE_UNAVAILABLE, error_body
from .schema import ErrorSerializer, named_choice_field
from .views import PublicAPIView

# The job queue's state ({"queued", "oldest_queued_seconds"}): the stories app registers its
# selector at start; until then (a process without it) no job waits.
_queue_state: list[Callable[[], dict]] = [lambda: {"queued": 0, "oldest_queued_seconds": None}]


def queue_state_register(reader: Callable[[], dict]) -> None:
    """Make `reader` the source of /api/health/ready's queue (stories.apps, at start)."""
    _queue_state[:] = [reader]


EAGER = "eager"


def _serving_checks() -> dict[str, object]:
    """What this process needs to answer requests."""
    checks: dict[str, object] = {"database": Database()}
    if settings.REDIS_URL:
        from redis.asyncio import Redis as RedisClient

        # With the same timeouts as the cache: a hung Redis is reported, not waited on.
        checks["redis"] = Redis(
            client_factory=lambda: RedisClient.from_url(
                settings.REDIS_URL, **settings.REDIS_CLIENT_OPTIONS
            )
        )
    return checks


def _deep_checks() -> dict[str, object]:
    """The costly checks: a file written to storage, a broadcast ping to the workers."""
    checks: dict[str, object] = {"storage": Storage()}
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        from infinitestories.celery import app

        timeout = datetime.timedelta(seconds=settings.HEALTH_CELERY_TIMEOUT)
        # limit=1: the first worker to answer is enough, so a healthy answer does not wait out
        # the timeout.
        checks["celery"] = Ping(app=app, timeout=timeout, limit=1)
    return checks


async def _gather(checks: dict[str, object]) -> dict[str, bool]:
    results = await asyncio.gather(*(check.get_result() for check in checks.values()))
    return {name: result.error is None for name, result in zip(checks, results, strict=True)}


DEEP_KEY = "health:deep"
# A failed deep result is checked again after this many seconds (a worker that was still
# starting is seen at once), a passing one after HEALTH_DEEP_MAX_AGE.
DEEP_RETRY_AFTER_FAILURE = 10.0


def _fresh(passed: dict[str, bool], age: float) -> bool:
    limit = settings.HEALTH_DEEP_MAX_AGE
    if not all(passed.values()):
        limit = min(limit, DEEP_RETRY_AFTER_FAILURE)
    return age <= limit


DEEP_LOCK = "health:deep:lock"


def health_deep_run() -> dict[str, bool]:
    """Run the deep checks now and keep their result for /api/health (the beat job, the deep
    endpoint, or /api/health once its copy is too old)."""
    passed = async_to_sync(_gather)(_deep_checks())
    with contextlib.suppress(RedisError):
        shared_cache.set(DEEP_KEY, {"passed": passed, "at": time.time()}, timeout=None)
    return passed


def _health_limit(request) -> None:
    """Count the call against `health` (429 past it). With the shared cache down the call goes
    on uncounted: the answer names Redis, which is what an operator needs then."""
    with contextlib.suppress(RedisError):
        ratelimit.hit(request, "health")


def _deep_result() -> dict[str, bool]:
    """The last deep check's result; run again when older than HEALTH_DEEP_MAX_AGE, by one caller
    in the whole fleet (the others report the old result meanwhile, or "unavailable" when there is
    none yet). With the shared cache down, the same per process."""
    try:
        kept = shared_cache.get(DEEP_KEY)
        if kept and _fresh(kept["passed"], time.time() - kept["at"]):
            return kept["passed"]
        lock_for = int(settings.HEALTH_CELERY_TIMEOUT) + 30
        if not shared_cache.add(DEEP_LOCK, 1, timeout=lock_for):
            return kept["passed"] if kept else dict.fromkeys(_deep_checks(), False)
        # Read again under the lock: another caller may have just finished a run.
        kept = shared_cache.get(DEEP_KEY)
        if kept and _fresh(kept["passed"], time.time() - kept["at"]):
            shared_cache.delete(DEEP_LOCK)
            return kept["passed"]
    except RedisError:
        return _deep_result_local()
    try:
        return health_deep_run()
    finally:
        with contextlib.suppress(RedisError):
            shared_cache.delete(DEEP_LOCK)


_local_deep: dict[str, tuple[float, dict[str, bool]]] = {}
_local_deep_lock = threading.Lock()


def _deep_result_local() -> dict[str, bool]:
    """The deep result kept by this process alone (the shared cache is down)."""
    kept = _local_deep.get("deep")
    if kept and _fresh(kept[1], time.monotonic() - kept[0]):
        return kept[1]
    if not _local_deep_lock.acquire(blocking=False):
        return kept[1] if kept else dict.fromkeys(_deep_checks(), False)
    try:
        kept = _local_deep.get("deep")  # again under the lock: a run may have just finished
        if kept and _fresh(kept[1], time.monotonic() - kept[0]):
            return kept[1]
        passed = async_to_sync(_gather)(_deep_checks())
        _local_deep["deep"] = (time.monotonic(), passed)
        return passed
    finally:
        _local_deep_lock.release()


# This process's last database and Redis result: (when, passed).
_serving_cache: dict[str, tuple[float, dict[str, bool]]] = {}
_serving_lock = threading.Lock()


def _serving_result() -> dict[str, bool]:
    """The database and Redis checks, run at most every HEALTH_CACHE_SECONDS by this process
    (concurrent callers wait for the one running, then share its result)."""
    with _serving_lock:
        kept = _serving_cache.get("serving")
        if kept and time.monotonic() - kept[0] < settings.HEALTH_CACHE_SECONDS:
            return kept[1]
        passed = async_to_sync(_gather)(_serving_checks())
        _serving_cache["serving"] = (time.monotonic(), passed)
        return passed


def _answer(passed: dict[str, bool], *, noted: dict | None = None, extra=None) -> Response:
    """200 with each check's state (and `extra()`), or 503 naming each check that is down.

    The reason stays in the log (django-health-check logs it): callers are anonymous.
    """
    status = {name: ("ok" if ok else "unavailable") for name, ok in passed.items()} | (noted or {})
    down = sorted(name for name, ok in passed.items() if not ok)
    if down:
        body = error_body(
            SERVICE_UNAVAILABLE, "Unavailable: " + ", ".join(down), {"checks": status}
        )
        return Response(body, status=503)
    return Response({"status": "ok", "checks": status, **(extra() if extra else {})})


def _noted() -> dict | None:
    return {"celery": EAGER} if settings.CELERY_TASK_ALWAYS_EAGER else None


HEALTHY = ["ok"]
CHECK_STATES = ["ok", "unavailable"]
WORKERS_STATES = ["ok", "unavailable", EAGER]
HealthStatusField = named_choice_field("HealthStatusEnum", HEALTHY)
CheckStateField = named_choice_field("CheckStateEnum", CHECK_STATES)
WorkersStateField = named_choice_field("WorkersStateEnum", WORKERS_STATES)


class ChecksSerializer(serializers.Serializer):
    database = CheckStateField(choices=CHECK_STATES)
    redis = CheckStateField(
        choices=CHECK_STATES, required=False, help_text="Only when REDIS_URL is set."
    )


class HealthChecksSerializer(ChecksSerializer):
    storage = CheckStateField(choices=CHECK_STATES)
    celery = WorkersStateField(
        choices=WORKERS_STATES,
        help_text="`eager` on the embedded default: tasks run in the web process, no worker.",
    )


class HealthSerializer(serializers.Serializer):
    status = HealthStatusField(choices=HEALTHY)
    checks = HealthChecksSerializer()


class QueueSerializer(serializers.Serializer):
    queued = serializers.IntegerField(
        min_value=0, help_text="Generation jobs waiting for a worker."
    )
    oldest_queued_seconds = serializers.FloatField(
        allow_null=True,
        min_value=0,
        help_text="How long the oldest of them has waited since it was requested; null when "
        "none waits.",
    )


class ReadySerializer(serializers.Serializer):
    status = HealthStatusField(choices=HEALTHY)
    checks = ChecksSerializer()
    queue = QueueSerializer()


def _unavailable(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


class HealthView(PublicAPIView):
    @extend_schema(
        summary="Service health",
        description="The database and Redis (checked at most every few seconds), the file "
        "storage and the Celery workers (from the last deep check, at most a few minutes old). "
        "For monitoring; no token needed, limited per network. Never redirected to HTTPS.",
        responses={
            200: HealthSerializer,
            429: _unavailable("RATE_LIMITED: too many health checks from this network."),
            503: _unavailable(
                "SERVICE_UNAVAILABLE: `error` names what is down, `details.checks` has each "
                "check's state."
            ),
        },
        tags=["health"],
    )
    def get(self, request):
        _health_limit(request)
        return _answer(_serving_result() | _deep_result(), noted=_noted())


class DeepHealthView(APIView):
    """The deep check run now: for an operator or a monitor holding HEALTH_DEEP_TOKEN."""

    permission_classes = [permissions.AllowAny]  # the token or staff, checked below

    @extend_schema(
        summary="Deep health check (operators)",
        description="Runs the storage write and the worker ping now, like /api/health reports "
        "from its last run. Needs the `X-Health-Token` header (HEALTH_DEEP_TOKEN) or a staff "
        "account.",
        parameters=[
            OpenApiParameter(
                "X-Health-Token",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="HEALTH_DEEP_TOKEN.",
            )
        ],
        responses={
            200: HealthSerializer,
            401: _unavailable("UNAUTHORIZED: no token and no signed-in account."),
            403: _unavailable("FORBIDDEN: a wrong token, or an account that is not staff."),
            429: _unavailable("RATE_LIMITED: too many health checks from this network."),
            503: _unavailable("SERVICE_UNAVAILABLE: `error` names what is down."),
        },
        tags=["health"],
    )
    def get(self, request):
        _health_limit(request)
        token = settings.HEALTH_DEEP_TOKEN
        given = request.headers.get("X-Health-Token", "")
        allowed = bool(token) and hmac.compare_digest(given.encode(), token.encode())
        user = request.user
        if not allowed and not (user and user.is_staff):
            if not given and not (user and user.is_authenticated):
                raise NotAuthenticated
            # In English, as the rest of the health checks (they speak to operators).
            raise PermissionDenied("This check needs the operators' token.")
        return _answer(_serving_result() | health_deep_run(), noted=_noted())


class ReadyView(PublicAPIView):
    @extend_schema(
        summary="Readiness and job queue",
        description="Whether this server can take requests (database, Redis), and how long the "
        "oldest story job (narration, pictures) has waited for a worker: a growing age means "
        "more workers are needed. No token needed.",
        responses={
            200: ReadySerializer,
            503: _unavailable(
                "SERVICE_UNAVAILABLE: this server cannot serve; `details` has the checks."
            ),
        },
        tags=["health"],
    )
    def get(self, request):
        return _answer(_serving_result(), extra=lambda: {"queue": _queue_state[0]()})
