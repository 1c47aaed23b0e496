"""GET /api/health: the database, and Redis when configured, through django-health-check's checks."""

import asyncio

from django.conf import settings
from django.http import JsonResponse
from django.views import View
from health_check.checks import Database
from health_check.contrib.redis import Redis


def _checks() -> dict[str, object]:
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


class HealthView(View):
    """200 when every dependency answers, 503 naming each one that does not."""

    async def get(self, request):
        checks = _checks()
        results = await asyncio.gather(*(check.get_result() for check in checks.values()))
        # The reason stays in the log (django-health-check logs it): callers are anonymous.
        status = {
            name: ("ok" if result.error is None else "unavailable")
            for name, result in zip(checks, results, strict=True)
        }
        down = sorted(name for name, result in zip(checks, results, strict=True) if result.error)
        if down:
            return JsonResponse(
                {
                    "error": "Unavailable: " + ", ".join(down),
                    "code": "SERVICE_UNAVAILABLE",
                    "details": {"checks": status},
                },
                status=503,
            )
        return JsonResponse({"status": "ok", "checks": status})
