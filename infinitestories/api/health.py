"""GET /api/health and /api/health/ready, through django-health-check's checks.

/api/health is for monitoring: the database, Redis when configured, the file storage (a file
written, read back and deleted) and the Celery workers (a ping that at least one answers within
HEALTH_CELERY_TIMEOUT). On the embedded default tasks run in the web process, so there is no
worker to ping: the answer says "eager" instead of failing.

/api/health/ready is for load balancers and autoscalers: can this process serve requests (the
database, Redis), and how long has the oldest generation job waited for a worker. The queue is
read through the function the stories app registers at start (`queue_state_register`, from
stories.apps): the core imports no domain app.
"""

import asyncio
import datetime
from collections.abc import Callable

from asgiref.sync import async_to_sync
from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from health_check.checks import Database, Storage
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from rest_framework import serializers
from rest_framework.response import Response

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


def _all_checks() -> dict[str, object]:
    checks = _serving_checks() | {"storage": Storage()}
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


def _answer(checks: dict[str, object], *, noted: dict | None = None, extra=None) -> Response:
    """200 with each check's state (and `extra()`), or 503 naming each check that is down.

    The reason stays in the log (django-health-check logs it): callers are anonymous.
    """
    passed = async_to_sync(_gather)(checks)
    status = {name: ("ok" if ok else "unavailable") for name, ok in passed.items()} | (noted or {})
    down = sorted(name for name, ok in passed.items() if not ok)
    if down:
        body = error_body(
            SERVICE_UNAVAILABLE, "Unavailable: " + ", ".join(down), {"checks": status}
        )
        return Response(body, status=503)
    return Response({"status": "ok", "checks": status, **(extra() if extra else {})})


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
        description="Checks the database, Redis, the file storage and that a Celery worker "
        "answers. For monitoring; no token needed. Never redirected to HTTPS.",
        responses={
            200: HealthSerializer,
            503: _unavailable(
                "SERVICE_UNAVAILABLE: `error` names what is down, `details.checks` has each "
                "check's state."
            ),
        },
        tags=["health"],
    )
    def get(self, request):
        eager = settings.CELERY_TASK_ALWAYS_EAGER
        return _answer(_all_checks(), noted={"celery": EAGER} if eager else None)


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
        return _answer(_serving_checks(), extra=lambda: {"queue": _queue_state[0]()})
