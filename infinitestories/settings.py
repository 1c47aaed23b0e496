"""Settings from the environment (README lists every variable).

With nothing set the service runs on its embedded default: SQLite, local-memory cache, in-process
tasks, local files, console e-mail, the offline AI provider. Each integration is switched on by its
own variable. Production (DJANGO_DEBUG off) refuses to boot, naming the variable, without
DJANGO_SECRET_KEY, REDIS_URL or an explicit AI_PROVIDER: none of them may fall back silently.
"""

import logging
import os
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from . import languages, observability

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# `make dev` writes a .env for local runs; production sets real environment variables. The test
# settings set DJANGO_ENV_FILE empty, so a developer's .env never changes what a test sees.
ENV_FILE = env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env"))
if ENV_FILE and Path(ENV_FILE).is_file():
    env.read_env(ENV_FILE, overwrite=False)
# The suite on a machine without Redis (scripts/run_tests.py) runs these production settings on the
# embedded cache and in-process tasks; no deployment runs the test settings.
TESTING = os.environ.get("DJANGO_SETTINGS_MODULE") == "infinitestories.settings_test"

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 - DEBUG only
# Old keys still accepted for signed links while a new DJANGO_SECRET_KEY takes over (rotation).
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django_structlog",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    # dj-rest-auth's e-mail verification views import it, even without social login.
    "allauth.socialaccount",
    "dj_rest_auth",
    "django_ratelimit",
    "django_celery_beat",
    "auditlog",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "storages",
    "infinitestories.api",
    "accounts",
    "heroes",
    "stories",
    "media",
    "usage",
    "notifications",
]

MIDDLEWARE = [
    # First, so that every answer (redirects and errors included) carries X-Request-ID.
    "infinitestories.api.middleware.request_context",
    "django_structlog.middlewares.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The answer's language: Accept-Language (a signed-in user's own language replaces it once
    # the bearer token is read: accounts/authentication.py); answers Content-Language.
    "infinitestories.api.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "infinitestories.api.middleware.api_paths",
    "infinitestories.api.middleware.ServiceUnavailableMiddleware",
    "infinitestories.api.middleware.ai_time_budget",
    # Staff's maintenance switch: writes under /api/ answer 503 while it is on.
    "usage.middleware.maintenance_mode",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last: sign-in from the session, OTP, the audit log's actor (names the staff member behind
    # each audited change made in the admin), messages and django-axes (answers a locked-out
    # admin login), for every path but /api/ (SITE_MIDDLEWARE there).
    "infinitestories.api.middleware.SiteOnlyMiddleware",
]
# The admin's and django-axes' checks look for their middleware in MIDDLEWARE itself; it runs
# inside SiteOnlyMiddleware (tests/api/test_middleware_site_only.py proves the admin works).
_SITE_MIDDLEWARE_CHECKS = ["admin.E408", "admin.E409", "axes.W002"]

ROOT_URLCONF = "infinitestories.urls"
WSGI_APPLICATION = "infinitestories.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's pool keeps connections warm per process; use a pooler (PgBouncer) across processes.
    DATABASES["default"]["OPTIONS"] = {"pool": env.bool("DATABASE_POOL", default=False)}
    # Statements planned once per connection: parameters bound by the server, and a statement
    # run 5 times on a connection prepared (psycopg's default). Planning cost PostgreSQL more
    # than running the hot reads (0.8 ms against 0.4 ms for the hero list). Behind a pooler in
    # transaction mode without prepared-statement support (PgBouncer < 1.21), set it false.
    if env.bool("DATABASE_PREPARED", default=True):
        DATABASES["default"]["OPTIONS"] |= {"server_side_binding": True, "prepare_threshold": 5}
    # Reuse a connection across requests (health-checked) unless the pool is on; opening one per
    # request costs more than the query (see README's benchmark).
    if not DATABASES["default"]["OPTIONS"]["pool"]:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    # A health check (a round trip) before each request's first query guards against a connection
    # the server dropped meanwhile. Web processes serve a steady stream and drop a connection after
    # CONN_MAX_AGE: a failed one answers 503 once and is replaced; Celery workers idle for hours
    # between tasks and keep the check (infinitestories/celery.py).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool(
        "DATABASE_CONN_HEALTH_CHECKS", default=False
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default under parallel requests: take the write lock when a transaction
    # starts (a deferred read-then-write cannot wait for it and fails "database is locked"),
    # wait up to 20 s for it, and let readers go on beside the writer (WAL).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, rate limits ----------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if not REDIS_URL and not DEBUG and not TESTING:
    # Without it rate limits count per process and tasks run inside web requests.
    raise ImproperlyConfigured(
        "REDIS_URL is required when DJANGO_DEBUG is off (rate limits, the task queue, cool-downs)."
    )
# Seconds to connect to Redis and to wait for any answer: a Redis that is down or hung costs a
# request this long (then 503 SERVICE_UNAVAILABLE), never a stuck web thread.
REDIS_TIMEOUT = env.float("REDIS_TIMEOUT", default=2.0)
REDIS_CLIENT_OPTIONS = {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT}
# Put before every key the service writes to Redis (cache, rate limits, task queues), so two
# deployments, or a test run beside a dev server, can share one Redis database without touching
# each other's keys.
REDIS_KEY_PREFIX = env.str("REDIS_KEY_PREFIX", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": REDIS_CLIENT_OPTIONS,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
        }
    }
    # django-ratelimit 4.1 predates Django's own Redis backend, whose incr is atomic (INCR).
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001", *_SITE_MIDDLEWARE_CHECKS]
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Local memory counts per process: right for one dev server (DEBUG only, see above).
    SILENCED_SYSTEM_CHECKS = [
        "django_ratelimit.E003",
        "django_ratelimit.W001",
        *_SITE_MIDDLEWARE_CHECKS,
    ]

# Named limits; RATE_LIMITS="signup=100/h,api=1000/m" overrides any of them (see infinitestories/api/ratelimit.py).
RATE_LIMITS = env.str("RATE_LIMITS", default="")
# Behind a proxy, the client address is in a header the proxy sets (for example HTTP_X_FORWARDED_FOR).
RATELIMIT_IP_META_KEY = env.str("RATELIMIT_IP_META_KEY", default="REMOTE_ADDR")

# --- Auth ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out admin login before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.validators.UppercaseValidator"},
    {"NAME": "accounts.validators.DigitValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
# "optional": signup answers with a usable session; "mandatory": login answers 403 until verified.
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
if ACCOUNT_EMAIL_VERIFICATION not in ("none", "optional", "mandatory"):
    raise ImproperlyConfigured("ACCOUNT_EMAIL_VERIFICATION must be none, optional or mandatory.")
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[InfiniteStories] "
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
# The API's own limits (signup, login) apply; allauth's per-form limits are for its HTML views.
ACCOUNT_RATE_LIMITS = False
# dj-rest-auth serves password reset and e-mail verification only; its login view is not routed,
# so its own login style (it insists on one) never applies: our bearer sessions do.
REST_AUTH = {"TOKEN_MODEL": None, "SESSION_LOGIN": True}
# Parental consent (COPPA): no AI processing of a family's data until a parent has consented to
# the current version of the policy (403 CONSENT_REQUIRED). A new version asks everyone again.
PARENTAL_CONSENT_REQUIRED = env.bool("PARENTAL_CONSENT_REQUIRED", default=True)
PARENTAL_CONSENT_POLICY_VERSION = env.str("PARENTAL_CONSENT_POLICY_VERSION", default="2026-12-01")
# The AI vendors the policy names: what a parent agrees we disclose the family's data to. Every
# vendor the chains may call is named (ElevenLabs narrates when OpenAI's speech retires).
PARENTAL_CONSENT_VENDORS = env.list("PARENTAL_CONSENT_VENDORS", default=["OpenAI", "ElevenLabs"])
# The admin (staff only): django-axes locks a sign-in out after ADMIN_LOGIN_FAILURES failures in
# a row, per account and per client address, for ADMIN_LOCKOUT_MINUTES; the API has its own
# limits per account and network (infinitestories/api/ratelimit.py), so axes watches the admin.
AXES_ENABLED = env.bool("ADMIN_LOCKOUT", default=True)
AXES_WHITELIST_CALLABLE = "infinitestories.admin.not_an_admin_sign_in"
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOCKOUT_MINUTES", default=60))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
# The admin form's field, counted as one account whatever its case (e-mail is the login).
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "infinitestories.admin.admin_sign_in_account"
# The same client address the rate limits see (RATELIMIT_IP_META_KEY, the proxy's own entry).
AXES_CLIENT_IP_CALLABLE = "infinitestories.api.ratelimit.client_ip"
# Staff sign in to the admin with a password and a TOTP code from an authenticator app
# (django-otp; `manage.py totp_device_add <email>` registers one). On by default in production.
ADMIN_2FA = env.bool("ADMIN_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = "InfiniteStories"
# Bearer sessions: 30 days after last use; the expiry slides at most once a day.
SESSION_TOKEN_TTL = timedelta(days=30)
SESSION_TOKEN_REFRESH_INTERVAL = timedelta(days=1)

# Sign in with Apple (accounts/apple.py; docs/api-guide.md). Off until the four credentials are set:
# the endpoints answer 503 APPLE_NOT_CONFIGURED. A partial set is a mistake production refuses to
# boot with. APPLE_PRIVATE_KEY is the .p8 key's PEM text ("\n" escapes are read as newlines).
APPLE_BASE_URL = env.str("APPLE_BASE_URL", default="https://appleid.apple.com").rstrip("/")
APPLE_CLIENT_IDS = env.list("APPLE_CLIENT_IDS", default=[])
APPLE_TEAM_ID = env.str("APPLE_TEAM_ID", default="")
APPLE_KEY_ID = env.str("APPLE_KEY_ID", default="")
APPLE_PRIVATE_KEY = env.str("APPLE_PRIVATE_KEY", default="").replace("\\n", "\n")
_APPLE_CREDENTIALS = {
    "APPLE_CLIENT_IDS": APPLE_CLIENT_IDS,
    "APPLE_TEAM_ID": APPLE_TEAM_ID,
    "APPLE_KEY_ID": APPLE_KEY_ID,
    "APPLE_PRIVATE_KEY": APPLE_PRIVATE_KEY,
}
if not DEBUG and any(_APPLE_CREDENTIALS.values()) and not all(_APPLE_CREDENTIALS.values()):
    raise ImproperlyConfigured(
        "Sign in with Apple is half configured: set all of APPLE_CLIENT_IDS, APPLE_TEAM_ID, "
        "APPLE_KEY_ID and APPLE_PRIVATE_KEY, or none. Missing: "
        + ", ".join(name for name, value in _APPLE_CREDENTIALS.items() if not value)
    )
# Seconds one call to Apple (keys, token, revoke) may take: a sign-in or a deletion never hangs.
APPLE_TIMEOUT = env.float("APPLE_TIMEOUT", default=5.0)
# Fernet keys (comma-separated, the first encrypts, all decrypt) for Apple refresh tokens at rest.
# Default: derived from DJANGO_SECRET_KEY and its fallbacks, so rotating that key keeps them readable.
APPLE_TOKEN_KEYS = env.list("APPLE_TOKEN_KEYS", default=[])

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.BearerSessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["djangorestframework_camel_case.render.CamelCaseJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["infinitestories.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "infinitestories.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "infinitestories.api.schema.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
# "newPassword1" <-> "new_password1" (not "new_password_1").
JSON_CAMEL_CASE = {"JSON_UNDERSCOREIZE": {"no_underscore_before_number": True}}
SPECTACULAR_SETTINGS = {
    "TITLE": "InfiniteStories API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (
        "The API behind the InfiniteStories iOS app. JSON in and out, in camelCase; every error "
        "is `{error, code, details}`. Sign up or sign in for a bearer token and send it as "
        "`Authorization: Bearer <token>`. The guide for app developers (tokens, polling, error "
        "codes, rate limits, uploads) is docs/api-guide.md in the repository."
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    # One name for the usage banner's states, shown by the profile and GET /api/user/usage.
    "ENUM_NAME_OVERRIDES": {"UsageAlertEnum": "usage.serializers.ALERTS"},
    # /api/docs works offline: Swagger UI comes from our own static files
    # (drf-spectacular-sidecar, pinned), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No request to swagger.io's validator either.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "drf_spectacular.contrib.djangorestframework_camel_case.camelize_serializer_fields",
        # Rules across a request's fields (infinitestories/api/schema.py), after the two above.
        "infinitestories.api.schema.serializer_rules",
    ],
}
# Requests larger than this are refused with 413 before any view reads them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
APPEND_SLASH = False

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
# A job survives a worker crash: acknowledge after the work, and requeue when the child dies.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# AI jobs are long: one at a time per process so a busy worker does not hoard queued jobs.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# One provider request times out at AI_REQUEST_TIMEOUT (60 s), retried at most AI_MAX_RETRIES
# times; a job gets 5 minutes in all, far under the broker's visibility timeout (after which Redis
# would hand the task out again). Jobs heartbeat, so the sweeper, not the broker, recovers them.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, **REDIS_CLIENT_OPTIONS}
if REDIS_KEY_PREFIX:
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = f"{REDIS_KEY_PREFIX}:"
# Sending a task to a broker that is down or hung gives up after two tries of REDIS_TIMEOUT: the
# request that sent it has already committed, and the sweepers send lost messages again.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
CELERY_TASK_DEFAULT_QUEUE = "normal"
# The schedule lives in the database (django-celery-beat): seeded by a migration
# (usage/migrations/0009_seed_beat_schedule.py), shown and edited in the admin (Periodic tasks), and
# its last-run state survives a restart on a platform without a disk.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Files -----------------------------------------------------------------------------------
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_URL = "/static/"
R2_BUCKET_NAME = env.str("R2_BUCKET_NAME", default="")
R2_PUBLIC_URL = env.str("R2_PUBLIC_URL", default="").rstrip("/")
# How long a presigned GET or upload URL lives.
MEDIA_URL_EXPIRY = timedelta(hours=1)
# Bytes of rendered story, hero and list answers each web process keeps by their ETag
# (infinitestories/api/conditional.py); 0 keeps none.
ANSWER_CACHE_BYTES = env.int("ANSWER_CACHE_BYTES", default=16 * 1024 * 1024)
# A file deletion not confirmed this long after its message was sent is sent again (seconds).
MEDIA_DELETE_RESEND_AFTER = env.int("MEDIA_DELETE_RESEND_AFTER", default=900)
# Uploaded pictures one process decodes at once (media.pictures; ~128 MB each at most).
PICTURE_DECODE_CONCURRENCY = env.int("PICTURE_DECODE_CONCURRENCY", default=2)
# A stored file nothing references is deleted by the reconciliation once it is this old
# (seconds), and a pending file record (written before its upload) is settled after this long.
MEDIA_RECONCILE_GRACE = env.int("MEDIA_RECONCILE_GRACE", default=24 * 3600)
# What a family may bring in through POST /api/import (narrations and pictures of the heroes,
# events and stories it still has), in MB: 500 narrated, illustrated stories fit; a bucket
# filled with anything else does not.
IMPORT_STORAGE_LIMIT_MB = env.int("IMPORT_STORAGE_LIMIT_MB", default=5120)
if R2_BUCKET_NAME:
    default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": R2_BUCKET_NAME,
            "endpoint_url": env.str("R2_ENDPOINT"),
            "access_key": env.str("R2_ACCESS_KEY_ID"),
            "secret_key": env.str("R2_SECRET_ACCESS_KEY"),
            "region_name": env.str("R2_REGION", default="auto"),
            "signature_version": "s3v4",
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": int(MEDIA_URL_EXPIRY.total_seconds()),
        },
    }
else:
    default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- E-mail ----------------------------------------------------------------------------------
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="InfiniteStories <noreply@localhost>")

# --- Security --------------------------------------------------------------------------------
# Off behind a proxy that terminates TLS and redirects itself, and on loopback.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe health over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^api/health(/ready)?$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Error messages and e-mails speak the family's language (README "Languages"): the five of the
# app, from the catalogs in locale/ (`make messages` updates them). English when none fits.
LANGUAGE_CODE = "en"
LANGUAGES = languages.LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Health ----------------------------------------------------------------------------------
# /api/health waits this long (seconds) for a Celery worker to answer its ping.
HEALTH_CELERY_TIMEOUT = env.float("HEALTH_CELERY_TIMEOUT", default=1.0)
# /api/health/deep runs the storage and worker checks for a caller sending this in the
# X-Health-Token header (or a staff session); empty: staff only. A beat job runs them every minute
# and /api/health reads the last result from the cache.
HEALTH_DEEP_TOKEN = env.str("HEALTH_DEEP_TOKEN", default="")
# /api/health reuses its database and Redis results this long (seconds), per process.
HEALTH_CACHE_SECONDS = env.float("HEALTH_CACHE_SECONDS", default=5.0)
# The storage and worker results /api/health reports are at most this old (seconds); older, one
# caller (a lock across the fleet) runs the deep check again.
HEALTH_DEEP_MAX_AGE = env.int("HEALTH_DEEP_MAX_AGE", default=180)

# --- Logs, request ids, error reports ----------------------------------------------------------
# One JSON object per line with the request id, user id, task id and job id bound to it
# (infinitestories/observability.py); `console` is easier to read by eye.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG else "json")
if LOG_FORMAT not in ("json", "console"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or console.")
LOGGING = observability.logging_config(level=LOG_LEVEL, fmt=LOG_FORMAT)
observability.structlog_configure()
# The request id is carried into the Celery tasks a request starts, and bound in the worker.
DJANGO_STRUCTLOG_CELERY_ENABLED = True
# The request_context middleware has already replaced an insane X-Request-ID with a fresh one.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
# No client addresses in the logs: they are personal data, and the rate limiter has its own.
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
# One line per request, the finished one (it has every field of request_started and the
# answer's); request_started shows at LOG_LEVEL=DEBUG only.
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    observability.sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production"),
        release=env.str("SENTRY_RELEASE", default=""),
        # Performance traces cost quota; errors are always sent.
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# --- AI ----------------------------------------------------------------------------------------
# The offline provider is the default; an OpenAI key switches to OpenAI unless AI_PROVIDER says.
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
# Any OpenAI-compatible endpoint (a proxy, another vendor, the tests' fake server).
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="") or None
if not DEBUG and "AI_PROVIDER" not in env:
    # The offline provider's moderation is a word list and its narration silence: production runs
    # on it only when someone wrote so.
    raise ImproperlyConfigured(
        "AI_PROVIDER is required when DJANGO_DEBUG is off: 'openai', or 'local' on purpose."
    )
AI_PROVIDER = env.str("AI_PROVIDER", default="openai" if OPENAI_API_KEY else "local")
if AI_PROVIDER not in ("openai", "local"):
    raise ImproperlyConfigured("AI_PROVIDER must be 'openai' or 'local'.")
if not DEBUG and AI_PROVIDER == "openai" and not OPENAI_API_KEY:
    raise ImproperlyConfigured("OPENAI_API_KEY is required when AI_PROVIDER is 'openai'.")
# Providers tried in order when one is down (e.g. "openai,local"); default: AI_PROVIDER alone.
AI_PROVIDER_CHAIN = env.list("AI_PROVIDER_CHAIN", default=[AI_PROVIDER])
if not DEBUG and "local" in AI_PROVIDER_CHAIN and len(AI_PROVIDER_CHAIN) > 1:
    # Silent narration and placeholder pictures must never reach families as the real thing.
    raise ImproperlyConfigured("AI_PROVIDER_CHAIN may not fall back to 'local' in production.")
# A provider that failed (timeouts, 5xx, 429 after retries) is skipped this long (seconds).
AI_PROVIDER_COOLDOWN = env.int("AI_PROVIDER_COOLDOWN", default=60)
# Per request to the vendor, and the SDK's retries of it. One call with its retries fits in
# WEB_TIMEOUT (checked below) and far under a job's 300 s soft limit.
AI_REQUEST_TIMEOUT = env.float("AI_REQUEST_TIMEOUT", default=60.0)
AI_MAX_RETRIES = env.int("AI_MAX_RETRIES", default=1)
# The longest a web request may run (the Procfile gives the web server the same number). Stories and
# avatars are made inside the request: their AI calls share this budget (infinitestories.ai.chain
# .time_budget), so a slow vendor ends the request with 503 AI_UNAVAILABLE, its Idempotency-Key
# released, instead of a thread held past the point where the client gave up.
WEB_TIMEOUT = env.int("WEB_TIMEOUT", default=150)
# In-request AI work (a story written while the app waits, an avatar, moderation of an edit):
# how many requests may wait on a vendor at once, per account, per web process and in all.
# Over a cap the request is answered at once (429 per account, 503 otherwise), so a slow vendor
# cannot hold every web thread (infinitestories.ai.inflight).
AI_INFLIGHT_PER_USER = env.int("AI_INFLIGHT_PER_USER", default=2)
AI_INFLIGHT_PER_PROCESS = env.int("AI_INFLIGHT_PER_PROCESS", default=8)
AI_INFLIGHT_GLOBAL = env.int("AI_INFLIGHT_GLOBAL", default=32)
if AI_REQUEST_TIMEOUT * (AI_MAX_RETRIES + 1) >= WEB_TIMEOUT:
    raise ImproperlyConfigured(
        "AI_REQUEST_TIMEOUT x (AI_MAX_RETRIES + 1) must stay under WEB_TIMEOUT: "
        f"{AI_REQUEST_TIMEOUT:g} x {AI_MAX_RETRIES + 1} >= {WEB_TIMEOUT}."
    )
# Model names are configuration: OpenAI retires models often.
AI_STORY_MODEL = env.str("AI_STORY_MODEL", default="gpt-5.4")
AI_SMALL_MODEL = env.str("AI_SMALL_MODEL", default="gpt-5.4-mini")
AI_TTS_MODEL = env.str("AI_TTS_MODEL", default="gpt-4o-mini-tts-2025-12-15")
# tts-1 / tts-1-hd reject `instructions`; the gpt-4o-*-tts family takes them.
AI_TTS_SUPPORTS_INSTRUCTIONS = env.bool("AI_TTS_SUPPORTS_INSTRUCTIONS", default=True)
AI_TTS_INSTRUCTIONS = env.str(
    "AI_TTS_INSTRUCTIONS",
    default="Speak slowly and warmly, like a calm parent reading a bedtime story.",
)
AI_TTS_CONCURRENCY = env.int("AI_TTS_CONCURRENCY", default=4)
AI_DEFAULT_VOICE = env.str("AI_DEFAULT_VOICE", default="nova")
# OpenAI's speech endpoint takes at most 4096 characters a request.
AI_TTS_INPUT_LIMIT = env.int("AI_TTS_INPUT_LIMIT", default=4096)
# Narration vendors in order (openai, elevenlabs, polly, local). Empty: AI_PROVIDER_CHAIN, with
# ElevenLabs (when its key is set) as the fallback until OpenAI's speech models shut down; from
# that day on ElevenLabs then Amazon Polly, Polly alone without an ElevenLabs key
# (infinitestories.ai.chain.speech_provider_names).
AI_TTS_PROVIDER_CHAIN = env.list("AI_TTS_PROVIDER_CHAIN", default=[])
if not DEBUG and "local" in AI_TTS_PROVIDER_CHAIN and len(AI_TTS_PROVIDER_CHAIN) > 1:
    raise ImproperlyConfigured("AI_TTS_PROVIDER_CHAIN may not fall back to 'local' in production.")
if set(AI_TTS_PROVIDER_CHAIN) - {"openai", "elevenlabs", "polly", "local"}:
    raise ImproperlyConfigured("AI_TTS_PROVIDER_CHAIN names openai, elevenlabs, polly or local.")
# The stored copy of OpenAI's text-to-speech guide: tts-1, tts-1-hd and gpt-4o-mini-tts (dated
# snapshots included) shut down on this day, with no replacement on /v1/audio/speech.
AI_OPENAI_TTS_SHUTDOWN = date.fromisoformat(env.str("AI_OPENAI_TTS_SHUTDOWN", default="2027-01-06"))
# Read-along timings for a vendor without alignment (OpenAI): transcribe the narration with word
# timestamps (only whisper-1 gives them). Off: estimate them from the text.
AI_TTS_TRANSCRIBE = env.bool("AI_TTS_TRANSCRIBE", default=True)
AI_TRANSCRIPTION_MODEL = env.str("AI_TRANSCRIPTION_MODEL", default="whisper-1")
# OpenAI's deprecations page: whisper-1 and the gpt-4o transcription models shut down on this day
# and their replacement gives no word timestamps. From then on no narration is transcribed: the
# timings are the vendor's own or estimated.
AI_OPENAI_TRANSCRIPTION_SHUTDOWN = date.fromisoformat(
    env.str("AI_OPENAI_TRANSCRIPTION_SHUTDOWN", default="2027-02-26")
)
# ElevenLabs narrates with timestamps (character alignment): a second vendor that outlives
# OpenAI's speech models. Multilingual v2 speaks our five languages and takes 10,000 characters
# a request; pieces of 5,000 also fit eleven_v3 and narrate sooner (they run concurrently).
ELEVENLABS_API_KEY = env.str("ELEVENLABS_API_KEY", default="")
ELEVENLABS_BASE_URL = env.str("ELEVENLABS_BASE_URL", default="https://api.elevenlabs.io")
ELEVENLABS_TTS_MODEL = env.str("ELEVENLABS_TTS_MODEL", default="eleven_multilingual_v2")
ELEVENLABS_OUTPUT_FORMAT = env.str("ELEVENLABS_OUTPUT_FORMAT", default="mp3_44100_128")
ELEVENLABS_TTS_INPUT_LIMIT = env.int("ELEVENLABS_TTS_INPUT_LIMIT", default=5000)
# false: zero-retention mode (no history kept of the story text, which names a child); ElevenLabs
# offers it on enterprise plans only and refuses it on others, so it is opt-in.
ELEVENLABS_ENABLE_LOGGING = env.bool("ELEVENLABS_ENABLE_LOGGING", default=True)
# The voice table: each of the PRD's voice names as each vendor's voice. ElevenLabs' are premade
# voices of its default library chosen to match OpenAI's (bright, soft and warm women, a neutral
# voice, a storyteller, a man, a deep man). Override with ELEVENLABS_VOICES="nova=<id>,onyx=<id>".
_PRD_VOICES = ["nova", "shimmer", "coral", "alloy", "fable", "echo", "onyx"]
AI_TTS_VOICES = {
    "openai": {name: name for name in _PRD_VOICES},
    "elevenlabs": {
        "nova": "FGY2WhTYpPnrIDTdsKH5",  # Laura
        "shimmer": "EXAVITQu4vr4xnSDxMaL",  # Sarah
        "coral": "XrExE9yKIg1WjnnlVkGX",  # Matilda
        "alloy": "Xb7hH8MSUJpSbSDYk0k2",  # Alice
        "fable": "JBFqnCBsd6RMkjVDRZzb",  # George
        "echo": "TX3LPaxmHKxFdv7VOQHJ",  # Liam
        "onyx": "onwK4e9ZLuTAKqWW03F9",  # Daniel
        **env.dict("ELEVENLABS_VOICES", default={}),
    },
}
# Amazon Polly narrates with speech marks (word timings, a second request of the same text): the
# third vendor, after ElevenLabs, once OpenAI's speech models shut down. Credentials come from the
# usual AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE or
# an instance role: boto3's own chain). Neural voices exist for all five languages; Polly takes
# at most 3,000 billed characters a request.
POLLY_REGION = env.str("POLLY_REGION", default="eu-west-1")
# Another endpoint (the tests' fake server); empty: AWS's own for the region.
POLLY_ENDPOINT_URL = env.str("POLLY_ENDPOINT_URL", default="") or None
POLLY_ENGINE = env.str("POLLY_ENGINE", default="neural")
POLLY_TTS_INPUT_LIMIT = env.int("POLLY_TTS_INPUT_LIMIT", default=3000)
if not 0 < POLLY_TTS_INPUT_LIMIT <= 3000:
    raise ImproperlyConfigured("POLLY_TTS_INPUT_LIMIT must be between 1 and 3000 (Polly's limit).")
# A calm neural voice of each language, a woman's and a man's; the PRD's voice names map to one
# of the two (AI_TTS_VOICES["polly"]). Override one with POLLY_VOICES="en:woman=Ruth,de:man=Daniel".
POLLY_VOICES = {
    "en": {"woman": "Joanna", "man": "Matthew"},
    "es": {"woman": "Lucia", "man": "Sergio"},
    "fr": {"woman": "Lea", "man": "Remi"},
    "de": {"woman": "Vicki", "man": "Daniel"},
    "it": {"woman": "Bianca", "man": "Adriano"},
}
for _key, _voice in env.dict("POLLY_VOICES", default={}).items():
    _language, _, _kind = _key.partition(":")
    if _language not in POLLY_VOICES or _kind not in ("woman", "man"):
        raise ImproperlyConfigured(f"POLLY_VOICES: {_key!r} is not <language>:<woman|man>.")
    POLLY_VOICES[_language][_kind] = _voice
AI_TTS_VOICES["polly"] = {
    "nova": "woman",
    "shimmer": "woman",
    "coral": "woman",
    "alloy": "woman",
    "fable": "man",
    "echo": "man",
    "onyx": "man",
}
AI_IMAGE_MODEL = env.str("AI_IMAGE_MODEL", default="gpt-image-2")
AI_IMAGE_SIZE = env.str("AI_IMAGE_SIZE", default="1024x1024")
AI_IMAGE_QUALITY = env.str("AI_IMAGE_QUALITY", default="medium")
# "" for GPT image models (always base64); "b64_json" for dall-e-* style models.
AI_IMAGE_RESPONSE_FORMAT = env.str("AI_IMAGE_RESPONSE_FORMAT", default="")
# GPT image models take reference pictures (images.edit): illustrations are drawn from the avatar.
AI_IMAGE_SUPPORTS_REFERENCE = env.bool("AI_IMAGE_SUPPORTS_REFERENCE", default=True)
AI_IMAGE_INPUT_FIDELITY = env.str("AI_IMAGE_INPUT_FIDELITY", default="high")
AI_IMAGE_CONCURRENCY = env.int("AI_IMAGE_CONCURRENCY", default=5)
# Pictures an illustrations job may draw again after moderation flagged one (or the vendor
# refused its prompt), on top of one per picture; its reservation covers them.
AI_IMAGE_REDRAWS = env.int("AI_IMAGE_REDRAWS", default=2)
AI_MODERATION_MODEL = env.str("AI_MODERATION_MODEL", default="omni-moderation-latest")
# Key of the per-user safety identifier sent to AI vendors (an HMAC of the user id). Its own
# variable so that rotating DJANGO_SECRET_KEY does not give every family a new identifier.
AI_SAFETY_IDENTIFIER_KEY = env.str("AI_SAFETY_IDENTIFIER_KEY", default="") or SECRET_KEY
# Jobs: a worker beats every AI_JOB_HEARTBEAT seconds; the sweeper re-queues a processing job
# silent for AI_JOB_STALE_AFTER seconds (far below the broker's 1-hour visibility timeout).
AI_JOB_HEARTBEAT = env.int("AI_JOB_HEARTBEAT", default=10)
AI_JOB_STALE_AFTER = env.int("AI_JOB_STALE_AFTER", default=120)
# A job still queued this long after its last message is sent again (duplicates are harmless).
AI_JOB_QUEUED_RESEND_AFTER = env.int("AI_JOB_QUEUED_RESEND_AFTER", default=600)
# Generation jobs go to the queue named by their priority (high, normal, low; stories/services/jobs.py);
# housekeeping goes to low. The Procfile's worker consumes all three queues.
CELERY_TASK_ROUTES = {
    "stories.tasks.*": {"queue": "normal"},
    "usage.tasks.*": {"queue": "low"},
    # Pushes are short and say work is done: they do not wait behind the long AI jobs of "normal".
    "notifications.tasks.*": {"queue": "high"},
    "infinitestories.api.tasks.*": {"queue": "low"},
}

# --- Push notifications (notifications/: APNs over HTTP/2, token auth; docs/operations.md) --------
# All four switch pushes on; none of them: pushes are off (logged once). Production refuses a
# partial set: a typo would otherwise silence every push without a word.
APNS_KEY_ID = env.str("APNS_KEY_ID", default="")
APNS_TEAM_ID = env.str("APNS_TEAM_ID", default="")
# The .p8 key's PEM text; "\n" written as two characters (one-line env files) is read as a newline.
APNS_PRIVATE_KEY = env.str("APNS_PRIVATE_KEY", default="").replace("\\n", "\n")
# The app's bundle id (the apns-topic of every push).
APNS_TOPIC = env.str("APNS_TOPIC", default="")
_APNS_SET = ["APNS_KEY_ID", "APNS_TEAM_ID", "APNS_PRIVATE_KEY", "APNS_TOPIC"]
_APNS_GIVEN = [name for name in _APNS_SET if globals()[name]]
if _APNS_GIVEN and len(_APNS_GIVEN) < len(_APNS_SET) and not DEBUG:
    raise ImproperlyConfigured(
        "Push notifications need all of APNS_KEY_ID, APNS_TEAM_ID, APNS_PRIVATE_KEY and "
        f"APNS_TOPIC; missing: {', '.join(sorted(set(_APNS_SET) - set(_APNS_GIVEN)))}."
    )
# Apple's hosts, by the device's environment (a development build registers a sandbox token).
APNS_URL = env.str("APNS_URL", default="https://api.push.apple.com").rstrip("/")
APNS_SANDBOX_URL = env.str("APNS_SANDBOX_URL", default="https://api.sandbox.push.apple.com").rstrip(
    "/"
)
# A CA certificate (PEM file) to trust besides the system's: the tests' fake APNs server.
APNS_CA_FILE = env.str("APNS_CA_FILE", default="")
# Seconds for one push request; a push is worth little late, and the task must not hold a worker.
APNS_TIMEOUT = env.float("APNS_TIMEOUT", default=10.0)
# Tries of one push on 429 and 5xx (exponential back-off from APNS_RETRY_WAIT seconds, capped at 30).
APNS_MAX_ATTEMPTS = env.int("APNS_MAX_ATTEMPTS", default=3)
APNS_RETRY_WAIT = env.float("APNS_RETRY_WAIT", default=1.0)
# A provider token is reused this long (seconds), shared by every process through the cache:
# Apple refuses tokens older than an hour and answers 429 to one refreshed more often than every
# 20 minutes (TooManyProviderTokenUpdates).
APNS_TOKEN_TTL = env.int("APNS_TOKEN_TTL", default=40 * 60)
if not 20 * 60 <= APNS_TOKEN_TTL <= 50 * 60:
    raise ImproperlyConfigured("APNS_TOKEN_TTL must be 1200 to 3000 seconds (20 to 50 minutes).")

# --- Cost control (usage/: plans, ceilings, budget, switches; README "Plans, ceilings, budget") ----
# The global AI budget a month, in USD; staff may override it in the admin (Runtime switches).
MONTHLY_BUDGET_USD = Decimal(env.str("MONTHLY_BUDGET_USD", default="500"))
# The share of that budget (percent) free accounts' AI work may use: past it, only paid plans'
# work goes on (to 100 %), so stacked free accounts never take the service from paying families.
# Staff may override it in the admin (Runtime switches and budget).
FREE_BUDGET_SHARE_PERCENT = env.int("FREE_BUDGET_SHARE_PERCENT", default=80)
if not 0 <= FREE_BUDGET_SHARE_PERCENT <= 100:
    raise ImproperlyConfigured("FREE_BUDGET_SHARE_PERCENT must be between 0 and 100.")
# Voices only plans with "premium voices" may choose.
AI_PREMIUM_VOICES = env.list("AI_PREMIUM_VOICES", default=["fable", "onyx", "shimmer", "coral"])
# Runtime switches are cached this long in the shared cache; a save in the admin drops the cache.
RUNTIME_SETTINGS_CACHE_SECONDS = env.int("RUNTIME_SETTINGS_CACHE_SECONDS", default=5)
# A user refused this many times within the window (seconds) is flagged for staff review.
REVIEW_FLAG_REFUSALS = env.int("REVIEW_FLAG_REFUSALS", default=10)
REVIEW_FLAG_WINDOW = env.int("REVIEW_FLAG_WINDOW", default=600)
# A reservation not settled by then (its worker died with it) is released by the beat job.
COST_RESERVATION_TTL = env.int("COST_RESERVATION_TTL", default=2 * 3600)
# AI work admitted in a web request is held by the request this long (it ends within
# WEB_TIMEOUT); a request that died without ending it is released by the beat job after it.
AI_WORK_REQUEST_LEASE = env.int("AI_WORK_REQUEST_LEASE", default=WEB_TIMEOUT + 30)

# Staff changes that leave an audit entry (who, when, before/after): django-auditlog. The user's
# subscription tier is audited by accounts (updates only: no entry per signup).
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    "usage.Plan",
    "usage.RuntimeSettings",
    "usage.AccountStanding",
    "usage.Price",
    "usage.ModelLifecycle",
)

# Retention (README "What we keep"): days before a beat job deletes what has served its purpose.
RETENTION_FAILED_JOB_DAYS = env.int("RETENTION_FAILED_JOB_DAYS", default=30)
RETENTION_MODERATION_DAYS = env.int("RETENTION_MODERATION_DAYS", default=90)
