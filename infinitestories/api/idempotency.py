"""Idempotency-Key on POSTs that cost money: a retried request answers the first answer.

`@idempotent("stories.create")` on a view's `post`:
- no key: the request runs as usual;
- a new key: it is reserved, the request runs, its answer is kept (an error releases the key, so
  the retry runs again and nothing was charged);
- the same key and body again: the kept answer, with `Idempotent-Replayed: true`;
- the same key with another body: 422 IDEMPOTENCY_KEY_REUSED;
- while the first request still runs: 409 REQUEST_IN_PROGRESS with Retry-After. A request that
  runs out of time (its AI calls share WEB_TIMEOUT) ends with an error and releases its key at
  once; a reservation older than any request can live belongs to a process that was killed, and
  is taken over.
Answers are kept for a day (a daily beat job purges them).
"""

import functools
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from djangorestframework_camel_case.util import camelize
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from infinitestories.faults import retried_in_background

from .errors import IDEMPOTENCY_KEY_REUSED, REQUEST_IN_PROGRESS, ApplicationError
from .models import IdempotencyRecord

# A request ends within WEB_TIMEOUT (its AI calls share that budget); a reservation this much
# older belongs to a request whose process was killed (a deploy, an out-of-memory kill).
ABANDONED_MARGIN = timedelta(seconds=30)
# How long a replayable answer is kept: phones retry within minutes, not days.
KEPT_FOR = timedelta(days=1)

PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    # What idempotency_key accepts: compared whole, so never longer than can be stored.
    {"type": "string", "maxLength": 255, "pattern": r"^[^\x00-\x1f\x7f]*$"},
    OpenApiParameter.HEADER,
    description="Optional. A retry with the same key and body replays the first "
    "answer (with Idempotent-Replayed: true) instead of writing a second story. A key names one "
    "request: sent again with a different body it is 422 IDEMPOTENCY_KEY_REUSED, so make a new "
    "one (a UUID) for each story the family asks for. At most 255 printable characters.",
)


def idempotent(endpoint: str):
    """Make a view's POST honour Idempotency-Key; `endpoint` names it in the records."""

    def decorator(post):
        @functools.wraps(post)
        def wrapper(view, request, *args, **kwargs):
            key = idempotency_key(request)
            if not key:
                return post(view, request, *args, **kwargs)
            record, replay = idempotency_begin(
                user=request.user,
                endpoint=endpoint,
                key=key,
                fingerprint=request_fingerprint(request.data),
            )
            if replay is not None:
                status, body = replay
                return Response(body, status=status, headers={"Idempotent-Replayed": "true"})
            try:
                response = post(view, request, *args, **kwargs)
            except BaseException:
                # The database may be what failed: the key is freed within a minute of its
                # return, not when the abandoned reservation expires.
                retried_in_background(
                    lambda: idempotency_abort(record=record), name=f"release of key {record.pk}"
                )
                raise
            if response.status_code >= 400:
                idempotency_abort(record=record)
            else:
                idempotency_finish(
                    record=record, status=response.status_code, body=_as_rendered(response.data)
                )
            return response

        return wrapper

    return decorator


def idempotency_key(request) -> str:
    """The request's Idempotency-Key, or "". A key is compared whole, so one that cannot be
    stored whole (over 255 characters, or with control characters) is refused, never cut."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 255 or any(ord(char) < 32 or ord(char) == 127 for char in key):
        raise ValidationError(
            {"idempotency_key": _("Use at most 255 printable characters (a UUID is ideal).")}
        )
    return key


def request_fingerprint(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _as_rendered(body) -> dict:
    """Kept as the renderer writes it (camelCase, JSON types), so a replay is the first answer."""
    return json.loads(json.dumps(camelize(body), cls=JSONEncoder))


def idempotency_begin(
    *, user, endpoint: str, key: str, fingerprint: str
) -> tuple[IdempotencyRecord | None, tuple[int, dict] | None]:
    """Reserve `key` for this request, or return the first answer to replay.

    Returns (record, None) for a fresh key, (None, (status, body)) for a finished one; a key still
    being worked on answers 409, a key reused with another body 422.
    """
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user=user, endpoint=endpoint, key=key, request_hash=fingerprint
            )
        return record, None
    except IntegrityError:
        existing = IdempotencyRecord.objects.get(user=user, endpoint=endpoint, key=key)
    if existing.request_hash != fingerprint:
        raise ApplicationError(
            IDEMPOTENCY_KEY_REUSED,
            _("This Idempotency-Key was already used for a different request."),
            status=422,
        )
    if existing.response_status is None:
        # A request that died mid-way (a killed worker) leaves its reservation behind; once it is
        # older than any request can run, the retry takes it over instead of waiting forever.
        cutoff = timezone.now() - timedelta(seconds=settings.WEB_TIMEOUT) - ABANDONED_MARGIN
        taken = IdempotencyRecord.objects.filter(
            pk=existing.pk, response_status__isnull=True, created_at__lt=cutoff
        ).update(created_at=timezone.now())
        if taken:
            return existing, None
        raise ApplicationError(
            REQUEST_IN_PROGRESS,
            _("This request is still being processed. Please retry in a moment."),
            status=409,
            headers={"Retry-After": "2"},
        )
    return None, (existing.response_status, existing.response_body)


def idempotency_finish(*, record: IdempotencyRecord, status: int, body: dict) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        response_status=status, response_body=body
    )


def idempotency_abort(*, record: IdempotencyRecord) -> None:
    """The request failed: forget the key so the retry runs again (nothing was charged)."""
    IdempotencyRecord.objects.filter(pk=record.pk, response_status__isnull=True).delete()


def idempotency_records_purge() -> int:
    """Forget answers older than KEPT_FOR (a daily beat job)."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEPT_FOR).delete()
    return deleted
