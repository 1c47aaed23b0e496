"""Test settings: production settings with test-only fixes.

The servers come from DATABASE_URL and REDIS_URL as scripts/run_tests.py leaves them: without
REDIS_URL the suite runs on the embedded cache and in-process tasks, and nothing here puts a server
address back. A developer's .env is never read (DJANGO_ENV_FILE is emptied), so the suite is the same
whether or not `make dev` ran before it. Every Redis key a run writes, in this process and in the
workers and servers its tests start, begins with the run's own REDIS_KEY_PREFIX: a run deletes only
keys it made and never flushes a database another process may use.
"""

import os
import tempfile
import uuid

os.environ["DJANGO_ENV_FILE"] = ""
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("AI_PROVIDER", "local")
os.environ.setdefault("REDIS_KEY_PREFIX", f"test-{uuid.uuid4().hex[:12]}")
# Admin tests sign staff in with force_login; tests/accounts/test_admin_security.py turns the
# production default (two-factor on) back on and signs in with a real TOTP code.
os.environ.setdefault("ADMIN_2FA", "false")
# /api/health checks the database and Redis afresh on each call (tests break them in between).
os.environ.setdefault("HEALTH_CACHE_SECONDS", "0")
# Free accounts may use the whole budget, as before the share existed: the suite's families are
# free, and tests/usage/test_budget_share.py sets the share it tests.
os.environ.setdefault("FREE_BUDGET_SHARE_PERCENT", "100")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="infinitestories-media-"))
# `make test` runs the suite in pytest-xdist workers (gw0, gw1...): each its own keys and files
# (the processes a worker's tests start inherit them, so they are taken once).
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _xdist_worker and not os.environ["REDIS_KEY_PREFIX"].endswith(f"-{_xdist_worker}"):
    os.environ["REDIS_KEY_PREFIX"] += f"-{_xdist_worker}"
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix=f"infinitestories-media-{_xdist_worker}-")

from .settings import *  # noqa: E402, F403 (the environment above is set first)

# `TEST_TODAY=2027-01-10 make test`: the whole suite on another day. The clock
# (django.utils.timezone.now) moves by whole days, so what switches by date (the narration chain
# on AI_OPENAI_TTS_SHUTDOWN, transcription on AI_OPENAI_TRANSCRIPTION_SHUTDOWN) is that day's.
# tests/e2e/conftest.py moves the workers' shutdown days by the same amount.
if os.environ.get("TEST_TODAY"):
    import datetime as _datetime

    from django.utils import timezone as _timezone

    TEST_CLOCK_SHIFT = (
        _datetime.date.fromisoformat(os.environ["TEST_TODAY"]) - _datetime.date.today()
    )
    _real_now = _timezone.now
    _timezone.now = lambda: _real_now() + TEST_CLOCK_SHIFT

# Tasks run in the test's own process unless a test starts real workers.
CELERY_TASK_ALWAYS_EAGER = True
# Hashing cost is not what these tests measure.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No collectstatic in tests: serve static names as they are.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
