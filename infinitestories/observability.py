"""Logs and error reports: one JSON object per line, every line with the context bound to it.

django-structlog binds the request id (X-Request-ID, see api/middleware.py), the user id, and in
Celery workers the task id, plus the request id of the request that started the task (carried in
the message headers). Lines from the standard library's loggers (Django, Celery, ours) go through
the same formatter, so they carry the same context. Sentry is off unless SENTRY_DSN is set.
"""

import logging
import re

import structlog

# The links e-mailed to reset a password or verify an address carry their secret in the path:
# a line that names one keeps the path's shape, never the secret ("GET /auth/reset-password/…").
SECRET_PATHS = re.compile(r"(/auth/(?:reset-password|verify-email)/)[^\s\"'<>]*")
SCRUBBED = "[scrubbed]"


def scrub_secret_paths(value):
    """`value` (a string, or a dict or list of them, as deep as it goes) without the secret of
    any reset or verification link it names."""
    if isinstance(value, str):
        # Every line passes here twice: most name no such path, and a substring test is cheap.
        return SECRET_PATHS.sub(rf"\g<1>{SCRUBBED}", value) if "/auth/" in value else value
    if isinstance(value, dict):
        return {key: scrub_secret_paths(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub_secret_paths(item) for item in value)
    return value


def _scrub_event(logger, method_name, event_dict: dict) -> dict:
    """structlog processor: every field of every line, the message included. An object the line
    carries (Django's `request` on its own warnings) is written as its repr, scrubbed."""
    for key, value in event_dict.items():
        if key.startswith("_"):  # the formatter's own (the LogRecord)
            continue
        if not isinstance(value, str | dict | list | tuple | int | float | bool | type(None)):
            text = repr(value)
            value = text if SECRET_PATHS.search(text) else value
        event_dict[key] = scrub_secret_paths(value)
    return event_dict


# A shared story's link (/s/<secret>/...) opens the story: its secret never reaches a log line.
_SHARE_SECRET = re.compile(r"(/s/)[^/\s?#\"']+")


def share_secret_redact(logger, method_name: str, event_dict: dict) -> dict:
    """structlog processor: every field that names a shared story's page names the link as
    `/s/[secret]` (the database keeps only the secret's hash; a log must not keep more). Every
    field, not only the request line: a standard-library line formatted by another handler first
    carries its `message` too."""
    for key, value in event_dict.items():
        if key.startswith("_") or isinstance(value, int | float | bool | type(None)):
            continue  # the formatter's own (the LogRecord), and values that name no path
        # Django's own lines carry the request object (its repr names the path).
        text = value if isinstance(value, str) else repr(value)
        if "/s/" in text:
            event_dict[key] = _SHARE_SECRET.sub(r"\1[secret]", text)
    return event_dict


# Applied to every line, structlog's and the standard library's alike.
_SHARED = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    _scrub_event,
]


def logging_config(*, level: str, fmt: str) -> dict:
    """The LOGGING setting: `json` (production, one object per line) or `console` (readable)."""
    renderer = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": [*_SHARED, structlog.stdlib.ExtraAdder()],
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    _scrub_event,  # again: a traceback may quote the path
                    # Last before rendering: every line, with whatever extras it carries.
                    share_secret_redact,
                    renderer,
                ],
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        # Celery's own loggers propagate to the root handler instead of printing twice.
        "loggers": {"celery": {"level": level, "propagate": True}},
    }


def structlog_configure() -> None:
    # Python's warnings become log lines too (logger "py.warnings"), not bare text on stderr.
    logging.captureWarnings(True)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


# PostgreSQL quotes the row it refused in an error's DETAIL line ("Failing row contains (…)",
# "Key (email)=(…)"): a child's name or a parent's e-mail, never needed to find the bug.
_ROW_DETAIL = re.compile(r"\n?DETAIL:.*", re.DOTALL)


def sentry_scrub(event: dict, hint: dict | None = None) -> dict:
    """Sentry's before_send: database errors keep their first line, not the row they quote;
    no reset or verification link's secret anywhere (the request URL, the transaction,
    breadcrumbs, messages); a shared story's URL loses its secret."""
    event = scrub_secret_paths(event)
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = _ROW_DETAIL.sub("", exception["value"])
    logentry = event.get("logentry") or {}
    for field in ("message", "formatted"):
        if isinstance(logentry.get(field), str):
            logentry[field] = _ROW_DETAIL.sub("", logentry[field])
    request = event.get("request") or {}
    for field in ("url", "query_string"):
        if isinstance(request.get(field), str):
            request[field] = _SHARE_SECRET.sub(r"\1[secret]", request[field])
    if isinstance(event.get("transaction"), str):
        event["transaction"] = _SHARE_SECRET.sub(r"\1[secret]", event["transaction"])
    return event


def sentry_init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    """Errors (unhandled exceptions, ERROR log lines) from web and workers go to Sentry.

    No personal data is sent (a children's product): no IPs, cookies, request bodies, frames'
    local variables (a story, a hero's name) or user e-mails; the request id tag finds the
    matching log lines.
    """
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration, ignore_logger

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        send_default_pii=False,
        # Sentry sends these whatever send_default_pii says: a body may hold a child's name, and
        # a frame's locals the story itself.
        max_request_body_size="never",
        include_local_variables=False,
        before_send=sentry_scrub,
        before_send_transaction=sentry_scrub,
        before_breadcrumb=lambda crumb, hint: scrub_secret_paths(crumb),
        traces_sample_rate=traces_sample_rate,
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
    )
    # A 500's access line repeats the error already reported with its traceback.
    ignore_logger("django_structlog.middlewares.request")
