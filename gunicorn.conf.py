"""gunicorn reads this file from the working directory: its own lines (boot, worker exits and
timeouts) go through the same formatter as the app's, one JSON object per line in production.
(Its access log stays off: the app writes one `request_finished` line per request.)"""

import os

from gunicorn import glogging

from infinitestories.observability import logging_config

_debug = os.environ.get("DJANGO_DEBUG", "").lower() in ("1", "true", "yes", "on")
_level = os.environ.get("LOG_LEVEL", "INFO")
logconfig_dict = logging_config(
    level=_level, fmt=os.environ.get("LOG_FORMAT") or ("console" if _debug else "json")
)
# gunicorn gives its error logger a plain handler of its own; naming the logger here replaces it.
logconfig_dict["loggers"]["gunicorn.error"] = {
    "handlers": ["console"],
    "level": _level,
    "propagate": False,
}


class _Logger(glogging.Logger):
    """gunicorn's logger without its access log: with a logging config it would format an access
    line for every request (about 0.1 ms) to a logger nothing writes; the app's own
    `request_finished` line is the access log."""

    @property
    def access_log_enabled(self):
        return False

    def access(self, resp, req, environ, request_time):
        return None


logger_class = _Logger
