"""Settings shared by every environment. Everything comes from the environment.

Defaults need no server: a SQLite file and Celery in eager mode. DATABASE_URL and
CELERY_BROKER_URL switch to PostgreSQL and Redis.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",  # filters of the API's lists
    "drf_spectacular",  # the OpenAPI schema at /api/schema/
    "drf_spectacular_sidecar",  # the docs page's Swagger UI assets, served from our own static files
    "csp",
    "vaxrecon",
    "accounts",
    "records",
    "verification",
    "signing",
    "certificates",  # EU DCC vaccination certificates, issued after signing (certificates/__init__.py)
    "reports",
    "api",  # the machine door: REST API v1 (api/__init__.py)
    "axes",  # log-in lockout (accounts/login.py)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "vaxrecon.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "vaxrecon.errors.DomainErrorMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out log-in into the lockout page
]

# Forms: Django's template renderer, with the templates each field renders (its group, label, empty
# error list, text-like input) and the selects written in Python, the same HTML (vaxrecon/widgets.py).
FORM_RENDERER = "vaxrecon.widgets.PlainRenderer"

ROOT_URLCONF = "vaxrecon.urls"
WSGI_APPLICATION = "vaxrecon.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vaxrecon.access.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
# Seconds a connection is kept for the next request (0: one per request); prod keeps them.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20})
    # Django's SQLite backend whose flush goes around the append-only triggers (vaxrecon/sqlite).
    DATABASES["default"]["ENGINE"] = "vaxrecon.sqlite"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2id at OWASP's cost (vaxrecon/hashers.py says why); PBKDF2 stays listed so the hashes made
# before are still checked, and each is re-made with Argon2id at that user's next log-in.
PASSWORD_HASHERS = [
    "vaxrecon.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Log-in lockout (django-axes): LOGIN_FAILURE_LIMIT failures for one account, or from one address,
# lock it for LOGIN_LOCKOUT_MINUTES (each further try restarts the wait). Unlock: README "Unlocking".
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_CLIENT_IP_CALLABLE = "vaxrecon.middleware.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.login.locked_out"
AXES_VERBOSE = False
# The client's address (rate limits, lockout): REMOTE_ADDR, unless the site is behind a trusted
# proxy that appends it to a header, e.g. CLIENT_IP_HEADER=HTTP_X_FORWARDED_FOR with one proxy.
CLIENT_IP_HEADER = env("CLIENT_IP_HEADER", default="")
CLIENT_IP_PROXY_COUNT = env.int("CLIENT_IP_PROXY_COUNT", default=1)
# Citizens' pages, per client address: (attempts, seconds), beyond which 429 with Retry-After.
# "lookup": status look-ups by tracking code; "report": report submissions; "code": one-time codes
# typed or asked for. Set as "attempts/seconds", e.g. RATE_LIMIT_REPORT=20/3600.
RATE_LIMITS = {
    bucket: tuple(int(n) for n in env(f"RATE_LIMIT_{bucket.upper()}", default=default).split("/"))
    for bucket, default in (("lookup", "60/600"), ("report", "20/3600"), ("code", "20/600"))
}

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "static_build"
# Front-end packages come from npm (package-lock.json) into node_modules at set-up.
STATICFILES_DIRS = [BASE_DIR / "static"]
if (BASE_DIR / "node_modules").exists():
    STATICFILES_DIRS.append(("vendor", BASE_DIR / "node_modules"))
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
MEDIA_URL = "media/"

# Celery: eager (in-process) unless a broker is configured.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# The API (api/): a facility's API key for machine clients, the session for the browser; no
# HTTP Basic (a password on every request). Errors as problem details (vaxrecon/errors.py).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "vaxrecon.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.NewestFirst",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerKeyThrottle", "api.throttling.PerUserThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser", "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "URL_FORMAT_OVERRIDE": None,  # no ?format=: the Accept header chooses (FHIR, CSV)
}
# Requests per API key and per browser user ("N/s|min|hour|day"); beyond, 429 with Retry-After.
API_THROTTLE_RATES = {"key": env("API_THROTTLE_KEY", default="600/min"),
                      "user": env("API_THROTTLE_USER", default="120/min")}
API_KEY_DAYS = env.int("API_KEY_DAYS", default=365)  # a new key's lifetime unless its creator says
SPECTACULAR_SETTINGS = {
    "TITLE": "VaxRecon API",
    "DESCRIPTION": "Reconciling COVID-19 vaccination records (8938/BYT-DP): the pages' services for "
                   "facilities' software and the Ministry. Errors are RFC 9457 problem details.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "api.schema.same_on_every_database", "api.schema.fhir_operation_paths"],
    "ENUM_NAME_OVERRIDES": {
        "SexEnum": "records.models.Citizen.Sex", "CaseStatusEnum": "verification.workflow.CaseStatus",
        "InjectionStatusEnum": "records.models.InjectionRecord.Status",
        "ImportStatusEnum": "verification.models.ImportJob.Status",
        "RejectReasonEnum": "verification.workflow.RejectReason",
    },
}

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"  # Referrer-Policy: no path or query leaves the site
SECURE_CONTENT_TYPE_NOSNIFF = True  # X-Content-Type-Options: nosniff
# Content-Security-Policy on every page, in every environment (tests included, so the browser
# tests see it): scripts, styles, fonts, images and requests from our own origin only; no inline
# script, inline style attribute or eval (templates bind behaviour from static/js/app.js).
# CSP_REPORT_URI, when set, receives the browsers' violation reports.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        **({"report-uri": [env("CSP_REPORT_URI")]} if env("CSP_REPORT_URI", default="") else {}),
    },
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")

# SMS to citizens (one-time codes, case news): see verification/sms.py for the backends.
SMS_BACKEND = env("SMS_BACKEND", default="verification.sms.ConsoleBackend")
SMS_FILE_PATH = env("SMS_FILE_PATH", default=str(BASE_DIR / "var" / "sms"))
SMS_HTTP_URL = env("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env("SMS_HTTP_TOKEN", default="")
SMS_SENDER = env("SMS_SENDER", default="VAXRECON")
# Links in SMS point here (the public site as citizens reach it).
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

# Record linkage thresholds (log2 likelihood-ratio scores); see verification/linkage.
LINKAGE_LINK_THRESHOLD = env.float("LINKAGE_LINK_THRESHOLD", default=None)
LINKAGE_LINK_PROBABILITY = env.float("LINKAGE_LINK_PROBABILITY", default=None)
LINKAGE_REVIEW_THRESHOLD = env.float("LINKAGE_REVIEW_THRESHOLD", default=None)
LINKAGE_MIN_MARGIN = env.float("LINKAGE_MIN_MARGIN", default=None)
# Seconds the registry's size and each province's count (the case page's candidates are scored
# against them) are shared before being recounted; 0 counts on every case page.
LINKAGE_REGISTRY_SIZE_MAX_AGE = env.int("LINKAGE_REGISTRY_SIZE_MAX_AGE", default=300)

# Police identity verification against the national population database (verification/police).
# Development and tests talk to the stand-in (`manage.py run_population_registry`); production
# points the same client at the real endpoint.
POPULATION_REGISTRY_URL = env("POPULATION_REGISTRY_URL", default="http://127.0.0.1:8077")
POPULATION_REGISTRY_API_KEY = env("POPULATION_REGISTRY_API_KEY", default="dev-registry-key")
POPULATION_REGISTRY_TIMEOUT = env.float("POPULATION_REGISTRY_TIMEOUT", default=10.0)  # seconds per call
POPULATION_REGISTRY_RETRIES = env.int("POPULATION_REGISTRY_RETRIES", default=2)  # extra attempts per call
POPULATION_REGISTRY_BACKOFF = env.float("POPULATION_REGISTRY_BACKOFF", default=0.5)  # seconds, doubled
POPULATION_REGISTRY_BATCH_SIZE = env.int("POPULATION_REGISTRY_BATCH_SIZE", default=500)  # API maximum
POPULATION_REGISTRY_BREAKER_THRESHOLD = env.int("POPULATION_REGISTRY_BREAKER_THRESHOLD", default=3)
POPULATION_REGISTRY_BREAKER_COOLDOWN = env.int("POPULATION_REGISTRY_BREAKER_COOLDOWN", default=60)
# Exact matches go straight to "identity verified"; false leaves them for an officer's bulk confirm.
POPULATION_REGISTRY_AUTO_VERIFY = env.bool("POPULATION_REGISTRY_AUTO_VERIFY", default=True)
CELERY_IMPORTS = ["verification.police.tasks", "reports.tasks"]
# The (case, at) index of case events includes the statuses on PostgreSQL (index-only
# look-ups for the daily reports); SQLite, the embedded default, builds it without them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# Daily reports (reports/): when the closing day is built (local time, HH:MM), the minute of
# each hour at which late-touched days are rebuilt, how long a day may still be rebuilt,
# how long a ministry analyst's re-opening lasts, and when a day's submission is due.
REPORTS_BUILD_AT = tuple(int(x) for x in env("REPORTS_BUILD_AT", default="23:30").split(":"))
REPORTS_STALE_CHECK_MINUTE = env.int("REPORTS_STALE_CHECK_MINUTE", default=15)
REPORTS_LOCK_AFTER_DAYS = env.int("REPORTS_LOCK_AFTER_DAYS", default=14)
# PostgreSQL: a backfill of at least this many consecutive days is built in one pass (reports.range_build)
REPORTS_RANGE_MIN_DAYS = env.int("REPORTS_RANGE_MIN_DAYS", default=10)
# PostgreSQL: connections a range build uses at once, one core each (reports.lanes); 1: one connection
REPORTS_BUILD_LANES = env.int("REPORTS_BUILD_LANES", default=2)
REPORTS_REOPEN_HOURS = env.int("REPORTS_REOPEN_HOURS", default=48)
REPORTS_SUBMISSION_DEADLINE_HOURS = env.int("REPORTS_SUBMISSION_DEADLINE_HOURS", default=12)
# Needs `celery beat` (the compose worker runs it with -B); without it, run `manage.py verify_identities`.
CELERY_BEAT_SCHEDULE = {
    "police-registry-batch": {"task": "verification.police.tasks.verify_identities_batch", "schedule": 300.0},
    # Citizen reports never confirmed with their SMS code are deleted after a day (PROCEDURE: no
    # unconfirmed personal data kept); hourly is enough for that promise.
    "purge-unconfirmed-reports": {"task": "verification.tasks.purge_unconfirmed_reports", "schedule": 3600.0},
    # The closing day's figures, then every day late data touched (reports/services.py).
    "reports-build-closing-day": {"task": "reports.tasks.build_closing_day",
                                  "schedule": crontab(hour=REPORTS_BUILD_AT[0], minute=REPORTS_BUILD_AT[1])},
    "reports-rebuild-stale-days": {"task": "reports.tasks.rebuild_stale_days",
                                   "schedule": crontab(minute=REPORTS_STALE_CHECK_MINUTE)},
}

# Jobs that survive faults (docs/OPERATIONS.md, "When a worker, Redis or PostgreSQL fails"): a
# running import or signing batch renews its lease every third of JOB_LEASE_SECONDS; one still
# running past it has lost its worker and is reaped (failed, resumable) by the beat tasks below and
# at every worker start. Tasks kept in the outbox while Redis was down go out at the next sweep.
JOB_LEASE_SECONDS = env.int("JOB_LEASE_SECONDS", default=60)
OUTBOX_SWEEP_SECONDS = env.int("OUTBOX_SWEEP_SECONDS", default=30)
IMPORT_BATCH_ROWS = env.int("IMPORT_BATCH_ROWS", default=10_000)  # engine rows per landing transaction
CELERY_BEAT_SCHEDULE.update({
    "relay-outbox": {"task": "verification.tasks.relay_outbox", "schedule": float(OUTBOX_SWEEP_SECONDS)},
    "reap-stale-imports": {"task": "verification.imports.tasks.reap_stale_imports",
                           "schedule": float(JOB_LEASE_SECONDS)},
    "reap-stale-signing-batches": {"task": "signing.tasks.reap_stale_batches",
                                   "schedule": float(JOB_LEASE_SECONDS)},
    # Certificates for the doses signed since (and reissues after corrections): idempotent.
    "issue-certificates": {"task": "certificates.tasks.issue_all_certificates", "schedule": 3600.0},
})

# Digital signing (signing/): see docs/SIGNING.md for the batch passphrase design.
SIGNING_PKI_DIR = env.path("SIGNING_PKI_DIR", default=BASE_DIR / "var" / "pki")
# The only folder CRL files are read from (pki_import_crl, refreshes); otherwise http(s) URLs only.
SIGNING_CRL_DIR = env.path("SIGNING_CRL_DIR", default=SIGNING_PKI_DIR)
SIGNING_PKCS11_MODULE = env("SIGNING_PKCS11_MODULE", default="")  # empty: find SoftHSM2
SIGNING_SYNC_LIMIT = env.int("SIGNING_SYNC_LIMIT", default=200)  # larger batches go to Celery
SIGNING_CHUNK = env.int("SIGNING_CHUNK", default=5_000)  # records per transaction of a batch
# forked signers (file keys)
SIGNING_PROCESSES = env.int("SIGNING_PROCESSES", default=min(2, os.cpu_count() or 1))
# chunk commits; the final one is synchronous
SIGNING_ASYNC_COMMIT = env.bool("SIGNING_ASYNC_COMMIT", default=True)
SIGNING_BATCH_KEY_TTL = env.int("SIGNING_BATCH_KEY_TTL", default=600)  # seconds
SIGNING_EXPIRY_WARNING_DAYS = env.int("SIGNING_EXPIRY_WARNING_DAYS", default=30)
# Wrong passphrases/PINs per certificate: this many within the window (seconds) lock it for the
# lockout (seconds); the count and the lock live in the default cache (shared by web and worker).
SIGNING_SECRET_ATTEMPTS = env.int("SIGNING_SECRET_ATTEMPTS", default=5)
SIGNING_SECRET_WINDOW = env.int("SIGNING_SECRET_WINDOW", default=900)
SIGNING_SECRET_LOCKOUT = env.int("SIGNING_SECRET_LOCKOUT", default=900)
SIGNING_REQUIRE_REVOCATION_INFO = env.bool("SIGNING_REQUIRE_REVOCATION_INFO", default=False)
# Vaccination certificates (certificates/): EU DCC / HCERT, docs/OPERATIONS.md says each one.
CERTIFICATES_DSC_SECRET = env("CERTIFICATES_DSC_SECRET", default="")  # DSC passphrase or token PIN
CERTIFICATES_VALIDITY_MONTHS = env.int("CERTIFICATES_VALIDITY_MONTHS", default=12)
CERTIFICATES_COUNTRY = env("CERTIFICATES_COUNTRY", default="VN")
CERTIFICATES_ISSUER_NAME = env("CERTIFICATES_ISSUER_NAME", default="Ministry of Health of Viet Nam")
CERTIFICATES_UVCI_ISSUER = env("CERTIFICATES_UVCI_ISSUER", default="BYT")
CERTIFICATES_PKI_DIR = env.path("CERTIFICATES_PKI_DIR", default=BASE_DIR / "var" / "hcert-pki")
CERTIFICATES_CSCA_KEY_FILE = env("CERTIFICATES_CSCA_KEY_FILE", default="")  # signs the trust list
CERTIFICATES_CSCA_KEY_PASSPHRASE = env("CERTIFICATES_CSCA_KEY_PASSPHRASE", default="")
CERTIFICATES_PDF_FONT = env("CERTIFICATES_PDF_FONT",
                            default="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
# Holds the per-batch key that unseals a large batch's passphrase in the worker: must be
# shared by web and worker processes (Redis) whenever Celery is not eager.
CACHES = {
    # Shared by every web process when Redis is there: a scope's home-page figures are
    # counted once per SCOPE_FIGURES_MAX_AGE, not once per process.
    "default": env.cache_url(
        "CACHE_URL", default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "locmemcache://",
    ),
    "signing": env.cache_url(
        "SIGNING_CACHE_URL",
        default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "locmemcache://signing",
    ),
}
# The default cache on Redis: a Redis outage makes it a miss, not a 500 (vaxrecon/cache.py), and
# an unreachable Redis costs a page at most CACHE_TIMEOUT_SECONDS, not the client's default wait.
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "vaxrecon.cache.ResilientRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        socket_connect_timeout=env.float("CACHE_TIMEOUT_SECONDS", default=0.5),
        socket_timeout=env.float("CACHE_TIMEOUT_SECONDS", default=0.5))

# Seconds a scope's home-page figures (facilities, citizens, doses by status) are shared
# before being recounted: counting reads every record of the scope. 0 counts on every view.
SCOPE_FIGURES_MAX_AGE = env.int("SCOPE_FIGURES_MAX_AGE", default=300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "vaxrecon.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # axes logs each reset at INFO; its failures and lockouts (names and addresses masked) stay.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
