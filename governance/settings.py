"""Governor settings: one module, driven by environment variables.

Nothing configured: an SQLite file under var/ and Celery tasks run eagerly in the
request. `DATABASE_URL` and `CELERY_BROKER_URL` switch to PostgreSQL and a real
broker; there are no other production-only branches.
"""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from governance.core.egress import networks_parse
from governance.core.env import (
    ConfigurationError,
    env_bool,
    env_decimal,
    env_float,
    env_int,
    env_list,
    env_str,
    secret_key_from_file,
)
from governance.core.rates import parse_rate
from governance.ops.deployment import deployment_defaults
from governance.ops.logconfig import logging_config, logging_format

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("GOVERNOR_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
# The address people and clients use, e.g. https://governor.example.com: the
# hosts, origins and TLS settings below default to what it implies.
GOVERNOR_URL = env_str("GOVERNOR_URL")
_DEPLOYED = deployment_defaults(GOVERNOR_URL)
SECRET_KEY = env_str("SECRET_KEY")
# Production is a server with a public URL (or one that says so): there a
# missing SECRET_KEY is a mistake to refuse, not a key to invent, unless the
# operator names a file to keep a generated key in.
SECRET_KEY_FILE = env_str("SECRET_KEY_FILE")
if not SECRET_KEY:
    _production = env_bool("GOVERNOR_REQUIRE_SECRET_KEY", _DEPLOYED["GOVERNOR_REQUIRE_SECRET_KEY"])
    if _production and not DEBUG and not SECRET_KEY_FILE:
        raise ConfigurationError(
            "SECRET_KEY must be set in production (or SECRET_KEY_FILE, to keep a generated key "
            "in that file)"
        )
    SECRET_KEY = secret_key_from_file(Path(SECRET_KEY_FILE or VAR_DIR / "secret_key"))

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", _DEPLOYED["ALLOWED_HOSTS"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", _DEPLOYED["CSRF_TRUSTED_ORIGINS"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "governance",
    "governance.accounts",
    "governance.audit",
    "governance.catalog",
    "governance.calls",
    "governance.rollups",
    "governance.quality",
    "governance.budgets",
    "governance.flags",
    "governance.policies",
    "governance.changes",
    "governance.advisor",
    "governance.dashboard",
    "governance.ops",
]

MIDDLEWARE = [
    # Outermost: every log line below carries the request id, and oversized or
    # compressed bodies are refused before anything reads them.
    "governance.ops.middleware.RequestContextMiddleware",
    "governance.ops.middleware.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "governance.ops.middleware.LazyMessageMiddleware",
    "governance.ops.middleware.MethodNotAllowedPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers a locked-out sign-in attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "governance.urls"
WSGI_APPLICATION = "governance.wsgi.application"

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

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'governor.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if not IS_POSTGRES:
    # WAL lets the demo's web server and Celery worker read while the other writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    # IMMEDIATE transactions take the write lock up front, so two writers queue
    # on the busy timeout instead of failing to upgrade a read lock.
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not shared-cache memory, so that concurrent tests wait on locks as production does.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_governor.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = env_str("CACHE_URL")
if CACHE_URL and os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    # Parallel test workers each get their own Redis database: a test's
    # cache.clear() is FLUSHDB and would wipe another worker's counters.
    _base, _, _db = CACHE_URL.rpartition("/")
    if _db.isdigit():
        CACHE_URL = f"{_base}/{int(_db) + 1 + int(os.environ['PYTEST_XDIST_WORKER'][2:])}"
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "governor",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Failed sign-ins are counted per username and per address (django-axes):
# after GOVERNOR_LOGIN_FAILURE_LIMIT failures either is locked out for
# GOVERNOR_LOGIN_COOLOFF_MINUTES, so neither guessing one account's password
# from many addresses nor many accounts from one address gets far. The
# cool-off bounds how long someone can keep a person locked out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("GOVERNOR_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("GOVERNOR_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:overview"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # plotly.js from the plotly package, served by the app (no CDN).
    "governance.dashboard.staticfinders.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("GOVERNOR_MANIFEST_STATIC", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not env_bool("GOVERNOR_MANIFEST_STATIC", False)

# Request bodies: ingestion batches are large by design; the services check
# their own limits and answer 413 with the limit named.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("GOVERNOR_MAX_BODY_BYTES", 32 * 1024 * 1024, minimum=1024)
GOVERNOR_MAX_BODY_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE
GOVERNOR_MAX_BATCH = env_int("GOVERNOR_MAX_BATCH", 5000, minimum=1)
# OTLP/HTTP intake (governance.calls.otlp): exporters compress, so these paths
# take gzip bodies and inflate them themselves, refusing (413) a body that
# inflates past GOVERNOR_OTLP_MAX_BODY_BYTES or holds more records than
# GOVERNOR_OTLP_MAX_RECORDS; every other path still refuses compression.
GOVERNOR_SELF_INFLATING_PATHS = ("/otlp/",)
GOVERNOR_OTLP_MAX_BODY_BYTES = env_int(
    "GOVERNOR_OTLP_MAX_BODY_BYTES", 16 * 1024 * 1024, minimum=1024
)
GOVERNOR_OTLP_MAX_RECORDS = env_int("GOVERNOR_OTLP_MAX_RECORDS", 10_000, minimum=1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "governance.accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["governance.core.parsers.StrictJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["governance.accounts.throttling.ApiKeyRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "governance.core.rest.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    # Ids in paths are primary keys (BigAutoField): bounded like every integer
    # a client sends, so that a schema-driven client never tries a larger one.
    "PATH_CONVERTER_OVERRIDES": {
        "int": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
    },
    "TITLE": "Governor API",
    "DESCRIPTION": "Cost and quality governance for AI coding models.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The reference page (/api/docs/) draws with Swagger UI's own files, served by the app.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "defaultModelsExpandDepth": 0},
    "COMPONENT_SPLIT_REQUEST": True,
    # Calls and decisions share these choice sets: one schema component each.
    "ENUM_NAME_OVERRIDES": {
        "RiskEnum": "governance.calls.models.Risk",
        "EnvironmentEnum": "governance.calls.models.Environment",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # 401/403/429/413/415/503 documented once for every operation.
        "governance.ops.schema.add_standard_error_responses",
        # Links from one operation's answer to the next, for the stateful fuzz.
        "governance.ops.schema.add_links",
        # Request bodies validated by msgspec types are documented by them.
        "governance.core.rest.add_msgspec_components",
    ],
}

# Celery: no broker configured means eager, in-process execution.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Time limits, and how soon a lost worker's task runs again. Tasks are
# acknowledged late: the broker hands a task out again only when the worker
# holding it is gone, which Redis learns from its visibility timeout and
# RabbitMQ from the closed connection (or, for a worker that hangs, its
# consumer timeout). Either must outlast the longest task, or a task still
# running would be handed to a second worker; so every task is bounded by the
# limits below, long work runs in chunks of GOVERNOR_TASK_CHUNK_SECONDS that
# checkpoint and queue the rest (governance.core.jobs), and the broker's
# timeout is derived from the longest limit and the longest retry delay.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360, minimum=2)
GOVERNOR_TASK_CHUNK_SECONDS = env_int("GOVERNOR_TASK_CHUNK_SECONDS", 60, minimum=1)
# The longest one batch of a long job may take (it holds the job row and
# moves the heartbeat when it commits).
GOVERNOR_JOB_BATCH_SECONDS = env_int("GOVERNOR_JOB_BATCH_SECONDS", 60, minimum=1)
GOVERNOR_JOB_SOFT_TIME_LIMIT = GOVERNOR_TASK_CHUNK_SECONDS + GOVERNOR_JOB_BATCH_SECONDS
GOVERNOR_JOB_TIME_LIMIT = GOVERNOR_JOB_SOFT_TIME_LIMIT + GOVERNOR_JOB_BATCH_SECONDS
# A running job whose heartbeat has not moved for this long lost its worker:
# it shows as stalled and beat requeues it (at most GOVERNOR_JOB_MAX_REQUEUES times).
GOVERNOR_JOB_STALL_SECONDS = env_int(
    "GOVERNOR_JOB_STALL_SECONDS", 2 * GOVERNOR_JOB_BATCH_SECONDS, minimum=GOVERNOR_JOB_BATCH_SECONDS
)
GOVERNOR_JOB_MAX_REQUEUES = env_int("GOVERNOR_JOB_MAX_REQUEUES", 5, minimum=1)
GOVERNOR_JOB_REQUEUE_INTERVAL_SECONDS = env_int(
    "GOVERNOR_JOB_REQUEUE_INTERVAL_SECONDS", 60, minimum=1
)
# The longest delay before a retry (exponential backoff is capped here).
GOVERNOR_TASK_RETRY_MAX_SECONDS = env_int("GOVERNOR_TASK_RETRY_MAX_SECONDS", 300, minimum=1)
# Redelivery: a margin past the longest a task may hold its message, either
# running or waiting for its retry.
GOVERNOR_REDELIVERY_MARGIN_SECONDS = env_int("GOVERNOR_REDELIVERY_MARGIN_SECONDS", 60, minimum=1)
GOVERNOR_REDELIVERY_SECONDS = (
    max(CELERY_TASK_TIME_LIMIT, GOVERNOR_JOB_TIME_LIMIT, GOVERNOR_TASK_RETRY_MAX_SECONDS)
    + GOVERNOR_REDELIVERY_MARGIN_SECONDS
)
CELERY_TASK_SERIALIZER = "json"
# One queue per installation; a shared broker (tests, staging) may name another.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if CELERY_BROKER_URL.startswith(("redis://", "rediss://", "sentinel://")):
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "visibility_timeout": GOVERNOR_REDELIVERY_SECONDS
    }
if CELERY_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://")):
    # RabbitMQ requeues a lost connection's messages at once; a worker alive
    # but stuck past every limit is cut off after this (x-consumer-timeout,
    # RabbitMQ 3.12 and later; older servers apply their own consumer_timeout).
    from kombu import Queue

    CELERY_TASK_QUEUES = [
        Queue(
            CELERY_TASK_DEFAULT_QUEUE,
            routing_key=CELERY_TASK_DEFAULT_QUEUE,
            queue_arguments={"x-consumer-timeout": GOVERNOR_REDELIVERY_SECONDS * 1000},
        )
    ]
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded demo broker: kombu's filesystem transport under var/.
    _queue_dir = VAR_DIR / "celery-broker"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_queue_dir),
        "store_processed": False,
        # Broadcast (pidbox) messages too, or kombu writes ./control/ in the cwd.
        "control_folder": str(_queue_dir / "control"),
    }
# Celery logs through Django's LOGGING (JSON with the task id as request id).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Logs: one JSON object per line with the request (or task) id, or plain text
# when stderr is a terminal (LOG_FORMAT=json or plain decides otherwise). Secrets and prompt text are never logged:
# RequestIdFilter blanks such fields if any code passes them.
LOGGING = logging_config(fmt=logging_format(), level=env_str("LOG_LEVEL", "INFO").upper())
if CELERY_TASK_ALWAYS_EAGER:
    # Eager tasks still borrow a producer from a pool that names no broker, and
    # kombu warns that it "reverts to localhost", which nothing ever connects to.
    LOGGING["loggers"]["kombu.connection"] = {"level": "ERROR"}

# Production hardening: each from its own variable, with GOVERNOR_URL's
# implications as defaults (governance.ops.deployment); without it, a
# plain-HTTP server on loopback. CI runs `check --deploy` with production values.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _DEPLOYED["SECURE_SSL_REDIRECT"])
# Load balancers probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", _DEPLOYED["SECURE_HSTS_SECONDS"], minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", _DEPLOYED["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", _DEPLOYED["SECURE_HSTS_PRELOAD"])
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _DEPLOYED["SESSION_COOKIE_SECURE"])
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _DEPLOYED["CSRF_COOKIE_SECURE"])
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("GOVERNOR_BEHIND_TLS_PROXY", _DEPLOYED["GOVERNOR_BEHIND_TLS_PROXY"]):
    # Only behind a proxy that strips and sets this header itself.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Sign-in failures are then counted per client address the proxy saw.
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# Content-Security-Policy: scripts and styles come from the app itself (no
# inline script, no CDN); plotly.js sets inline style attributes on the SVG
# it draws, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Health, metrics and limits (governance.ops).
GOVERNOR_METRICS_TOKEN = env_str("GOVERNOR_METRICS_TOKEN")
GOVERNOR_MAX_JSON_DEPTH = env_int("GOVERNOR_MAX_JSON_DEPTH", 32, minimum=2)
# Requests per API key per window, shared by all web processes through the
# cache, and the tighter OFREP evaluation rate (DRF rate syntax, e.g. "6000/min").
GOVERNOR_API_KEY_RATE = env_str("GOVERNOR_API_KEY_RATE", "6000/min")
GOVERNOR_OFREP_RATE = env_str("GOVERNOR_OFREP_RATE", "6000/min")
for _name in ("GOVERNOR_API_KEY_RATE", "GOVERNOR_OFREP_RATE"):
    try:
        parse_rate(globals()[_name])
    except ValueError as exc:
        raise ConfigurationError(f"{_name}: {exc}") from None
# How long a web process reuses an API key's lookup on the decision endpoints
# before reading the key again (which refreshes its "last used" time and its
# client's team). Revocation and expiry do not wait for it: they apply on the
# next request in every process.
GOVERNOR_DECISION_KEY_CACHE_SECONDS = env_int("GOVERNOR_DECISION_KEY_CACHE_SECONDS", 5, minimum=0)
# Retention: calls older than this many days are deleted (roll-ups stay), by
# a beat task run this often (each run deletes in short batches).
GOVERNOR_CALL_RETENTION_DAYS = env_int("GOVERNOR_CALL_RETENTION_DAYS", 400, minimum=1)
GOVERNOR_PURGE_INTERVAL_SECONDS = env_int("GOVERNOR_PURGE_INTERVAL_SECONDS", 3600, minimum=1)
# Finished CSV exports and policy replays (and their files) are kept this long.
GOVERNOR_JOB_RETENTION_DAYS = env_int("GOVERNOR_JOB_RETENTION_DAYS", 7, minimum=1)
GOVERNOR_PURGE_BATCH = env_int("GOVERNOR_PURGE_BATCH", 2000, minimum=1)
# Rows per batch of a re-pricing and of a CSV export (each batch one transaction).
GOVERNOR_REPRICE_BATCH = env_int("GOVERNOR_REPRICE_BATCH", 2000, minimum=1)
GOVERNOR_EXPORT_BATCH = env_int("GOVERNOR_EXPORT_BATCH", 5000, minimum=1)

# Ingestion: the largest metadata object a call may carry, in bytes of JSON.
GOVERNOR_MAX_METADATA_BYTES = env_int("GOVERNOR_MAX_METADATA_BYTES", 4096, minimum=64)
# Ingestion: a call priced above this many USD is implausible and refused (one
# fabricated call must not exhaust a budget). A full context window of the
# costliest model genai-prices lists costs under $190, even all at the output rate.
GOVERNOR_MAX_CALL_COST_USD = env_decimal(
    "GOVERNOR_MAX_CALL_COST_USD", Decimal(250), minimum=Decimal(0)
)

# Webhooks (audit app): attempts per delivery, first retry delay (doubling), per-request timeout.
GOVERNOR_WEBHOOK_MAX_ATTEMPTS = env_int("GOVERNOR_WEBHOOK_MAX_ATTEMPTS", 6, minimum=1)
GOVERNOR_WEBHOOK_BACKOFF_SECONDS = env_int("GOVERNOR_WEBHOOK_BACKOFF_SECONDS", 10, minimum=1)
GOVERNOR_WEBHOOK_TIMEOUT_SECONDS = env_int("GOVERNOR_WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1)
# Webhooks go to public addresses only; these networks (CIDR, comma-separated)
# are allowed besides, e.g. an internal chat server: "10.1.2.0/24,fd00::/8".
try:
    GOVERNOR_WEBHOOK_ALLOWED_NETWORKS = networks_parse(
        env_list("GOVERNOR_WEBHOOK_ALLOWED_NETWORKS")
    )
except ValueError as exc:
    raise ConfigurationError(f"GOVERNOR_WEBHOOK_ALLOWED_NETWORKS: {exc}") from None

# Model health (policies): each model's calls over the last window; a circuit
# opens past any threshold once the window holds enough calls, half-opens
# after the cool-down, and closes again on the trial calls made since.
GOVERNOR_HEALTH_WINDOW_MINUTES = env_int("GOVERNOR_HEALTH_WINDOW_MINUTES", 5, minimum=1)
GOVERNOR_HEALTH_MIN_CALLS = env_int("GOVERNOR_HEALTH_MIN_CALLS", 20, minimum=1)
GOVERNOR_HEALTH_HALF_OPEN_MIN_CALLS = env_int("GOVERNOR_HEALTH_HALF_OPEN_MIN_CALLS", 5, minimum=1)
GOVERNOR_HEALTH_MAX_ERROR_RATE = env_float(
    "GOVERNOR_HEALTH_MAX_ERROR_RATE", 0.25, minimum=0.0, maximum=1.0
)
GOVERNOR_HEALTH_MAX_TIMEOUT_RATE = env_float(
    "GOVERNOR_HEALTH_MAX_TIMEOUT_RATE", 0.20, minimum=0.0, maximum=1.0
)
GOVERNOR_HEALTH_MAX_P99_MS = env_int("GOVERNOR_HEALTH_MAX_P99_MS", 60_000, minimum=1)
GOVERNOR_HEALTH_COOLDOWN_SECONDS = env_int("GOVERNOR_HEALTH_COOLDOWN_SECONDS", 300, minimum=0)
# The organisation's circuit for a model opens only when this many teams each
# fail past a threshold on their own calls; below it, only the failing teams'
# circuits open (their decisions change, nobody else's).
GOVERNOR_HEALTH_QUORUM_TEAMS = env_int("GOVERNOR_HEALTH_QUORUM_TEAMS", 2, minimum=1)

# Quality (test runs): the largest JUnit report accepted (checked before any
# parsing), and the periodic regression check (see quality.conf.RegressionConfig).
GOVERNOR_JUNIT_MAX_BYTES = env_int("GOVERNOR_JUNIT_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
GOVERNOR_QUALITY_WINDOW_HOURS = env_int("GOVERNOR_QUALITY_WINDOW_HOURS", 7 * 24, minimum=1)
GOVERNOR_QUALITY_BASELINE_HOURS = env_int("GOVERNOR_QUALITY_BASELINE_HOURS", 28 * 24, minimum=1)
GOVERNOR_QUALITY_DROP_PP = env_float("GOVERNOR_QUALITY_DROP_PP", 5.0, minimum=0.0, maximum=100.0)
GOVERNOR_QUALITY_ALPHA = env_float("GOVERNOR_QUALITY_ALPHA", 0.01, minimum=1e-9, maximum=0.5)
GOVERNOR_QUALITY_MIN_TESTS = env_int("GOVERNOR_QUALITY_MIN_TESTS", 50, minimum=1)

# `load_demo`: the demo users' password (a random one, printed, when unset).
DEMO_PASSWORD = env_str("DEMO_PASSWORD")
