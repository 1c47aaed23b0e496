"""Maintenance mode: staff's switch (usage.RuntimeSettings) turns API writes away."""

from django.utils.translation import gettext as _

from infinitestories.api.errors import json_error

from .errors import MAINTENANCE
from .selectors import runtime_settings

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Signing in and out writes only a session: the app can still open the (read-only) library.
STILL_OPEN = {"/api/auth/login", "/api/auth/logout"}


def maintenance_mode(get_response):
    """While maintenance mode is on, every write under /api/ answers 503 MAINTENANCE (reads keep
    working); the admin is untouched, so staff can switch it off again."""

    def middleware(request):
        path = request.path_info.rstrip("/")
        if (
            request.method not in SAFE_METHODS
            and path.startswith("/api/")
            and path not in STILL_OPEN
            and runtime_settings().maintenance_mode
        ):
            response = json_error(
                MAINTENANCE,
                _("We are tidying up the library. Please try again in a few minutes."),
                503,
            )
            response["Retry-After"] = "300"
            return response
        return get_response(request)

    return middleware
