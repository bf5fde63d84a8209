"""Settings shared by every deployment. Values that vary come from config.env."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from civicgrid.core.maptiles import with_tile_sources
from config.env import BASE_DIR, env_bool, env_int, env_list, env_str

SECRET_KEY = env_str("SECRET_KEY", "insecure-local-only-key-change-me-" + "x" * 32)
DEBUG = False
ALLOWED_HOSTS: list[str] = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "civicgrid.audit.admin_config.CivicAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "civicgrid.core",
    "civicgrid.audit",
    "civicgrid.accounts",
    "civicgrid.areas",
    "civicgrid.units",
    "civicgrid.notices",
    "civicgrid.risk",
    "civicgrid.surveys",
    "civicgrid.cases",
    "civicgrid.webhooks",
    "civicgrid.workcalendar",
    "civicgrid.portal",
    "civicgrid.api",
    "civicgrid.open311",
    "civicgrid.stats",
    "civicgrid.warnings",
    "civicgrid.registry",
    "civicgrid.imports",
    "civicgrid.field",
    "civicgrid.reports",
    "civicgrid.home",  # the top layer: home page, site URLs, JSON API, demo
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Pages and JSON gzip-compressed (text only; why BREACH does not apply: the module).
    "civicgrid.core.compression.TextGZipMiddleware",
    "civicgrid.core.cors.CorsMiddleware",  # /api/v1/ and /open311/ only: see CORS_ALLOWED_ORIGINS
    "civicgrid.core.middleware.ContentSecurityPolicyMiddleware",
    "civicgrid.core.middleware.PrivateNoStoreMiddleware",  # signed-in answers: no-store
    "civicgrid.api.middleware.ApiJsonErrorsMiddleware",  # /api/v1/ answers JSON, errors too
    "civicgrid.core.middleware.RefuseNulMiddleware",  # U+0000 in a path or query: 400
    "civicgrid.field.middleware.AppVersionMiddleware",  # an outdated offline app: 426
    "civicgrid.core.refcache.RevisionMiddleware",  # cached reference data: read once a request
    "django.contrib.sessions.middleware.SessionMiddleware",
    "civicgrid.core.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "civicgrid.accounts.middleware.SecondFactorEnrollmentMiddleware",
    "civicgrid.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "civicgrid.audit.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "civicgrid.home.context_processors.navigation",
            ],
        },
    }
]


def database_from_url(url: str) -> dict[str, Any]:
    """Parse a DATABASE_URL; SQLite gets WAL mode, a busy timeout and IMMEDIATE transactions;
    PostgreSQL Django's backend with a health check that costs no round trip
    (civicgrid/core/db/postgresql)."""
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    if config["ENGINE"] == "django.db.backends.postgresql":
        config["ENGINE"] = "civicgrid.core.db.postgresql"
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock
            # when a transaction starts, so two writers queue instead of failing mid-way.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    return config


DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    )
}
# Intakes of one county take their numbers from this many counters a day (ADR 0011): on
# PostgreSQL several at once; SQLite writes one transaction at a time anyway.
CASE_NUMBER_SHARDS = env_int("CASE_NUMBER_SHARDS", 1 if DATABASES["default"]["ENGINE"].endswith(
    "sqlite3") else 8)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "civicgrid.accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "civicgrid.accounts.validators.CharacterClassValidator"},
]

# Login security (等保 2.0: 登录失败处理, 会话超时).
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW = timedelta(minutes=env_int("LOGIN_FAILURE_WINDOW_MINUTES", 15))
LOGIN_LOCKOUT = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20)
TOTP_REQUIRED_FOR_PRIVILEGED = env_bool("TOTP_REQUIRED_FOR_PRIVILEGED", False)
TOTP_ISSUER = env_str("TOTP_ISSUER", "civicgrid")
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Idle timeout: the cookie lives SESSION_IDLE_MINUTES and is renewed on every request.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Sensitive personal data at rest (PIPL Art. 28): Fernet keys, newest first.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / "media"))
# Uploaded images declaring more pixels (width × height, read from the header before any
# decoding) are refused: 40 MP is more than phones save by default; decoding one costs at
# most about 160 MB (RGBA).
UPLOAD_MAX_PIXELS = env_int("UPLOAD_MAX_PIXELS", 40_000_000)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The deployment's own tile server for the maps' base layer (intranet 天地图 or its own
# GIS), civicgrid/core/maptiles.py; no URL (the default) = the local base map drawn from
# our own areas, buildings and imported roads. docs/operations.md, "Maps".
MAP_TILES: dict[str, str] = {
    "url": env_str("MAP_TILES_URL", ""),
    "overlay_url": env_str("MAP_TILES_OVERLAY_URL", ""),
    "subdomains": env_str("MAP_TILES_SUBDOMAINS", ""),
    "attribution": env_str("MAP_TILES_ATTRIBUTION", ""),
    "crs": env_str("MAP_TILES_CRS", "wgs84"),
    "min_zoom": env_str("MAP_TILES_MIN_ZOOM", ""),
    "max_zoom": env_str("MAP_TILES_MAX_ZOOM", ""),
}

# Content-Security-Policy: everything is served from this deployment; nothing external,
# except the images of the tile server configured above (its hosts join img-src).
CONTENT_SECURITY_POLICY = with_tile_sources(
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'self'; object-src 'none'",
    MAP_TILES,
)

# Background jobs: Celery with Redis in production; without a broker tasks run eagerly.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE

# The area locator checks at most this often whether boundaries changed in another process.
AREA_LOCATOR_RECHECK_SECONDS = env_int("AREA_LOCATOR_RECHECK_SECONDS", 5)

NINJA_PAGINATION_PER_PAGE = 50

# Resident portal (/portal/): abuse limits counted in the cache (use a shared cache such as
# Redis when several processes serve the portal), and the area whose grids and communities
# the portal offers ("" = every area of the deployment). Addresses count per IPv4 address
# and per IPv6 /64; every report attempt counts, refused ones included.
PORTAL_REPORT_LIMIT = env_int("PORTAL_REPORT_LIMIT", 30)  # report attempts per address
PORTAL_REPORT_WINDOW = env_int("PORTAL_REPORT_WINDOW_SECONDS", 3600)
PORTAL_REPORT_PHONE_LIMIT = env_int("PORTAL_REPORT_PHONE_LIMIT", 5)  # per applicant phone
PORTAL_REPORT_PHONE_WINDOW = env_int("PORTAL_REPORT_PHONE_WINDOW_SECONDS", 3600)
PORTAL_REPORT_GLOBAL_LIMIT = env_int("PORTAL_REPORT_GLOBAL_LIMIT", 600)  # all addresses
PORTAL_REPORT_GLOBAL_WINDOW = env_int("PORTAL_REPORT_GLOBAL_WINDOW_SECONDS", 600)
PORTAL_LOOKUP_LIMIT = env_int("PORTAL_LOOKUP_LIMIT", 10)  # status look-ups per address
PORTAL_LOOKUP_WINDOW = env_int("PORTAL_LOOKUP_WINDOW_SECONDS", 600)
PORTAL_CODE_GUESS_LIMIT = env_int("PORTAL_CODE_GUESS_LIMIT", 5)  # wrong proofs per case/code
PORTAL_CODE_GUESS_WINDOW = env_int("PORTAL_CODE_GUESS_WINDOW_SECONDS", 3600)
PORTAL_LINK_MAX_AGE = env_int("PORTAL_LINK_MAX_AGE_SECONDS", 24 * 3600)  # status links
PORTAL_RATING_LINK_MAX_AGE = env_int("PORTAL_RATING_LINK_MAX_AGE_SECONDS", 30 * 24 * 3600)
PORTAL_RATING_SMS_LIMIT = env_int("PORTAL_RATING_SMS_LIMIT", 3)  # rating links per case a day
# The public consultation pages (/consult/): registrations and comments per address an hour,
# and all addresses together per ten minutes (civicgrid/risk/public_views.py).
CONSULT_REGISTER_LIMIT = env_int("CONSULT_REGISTER_LIMIT", 10)
CONSULT_COMMENT_LIMIT = env_int("CONSULT_COMMENT_LIMIT", 30)
CONSULT_GLOBAL_LIMIT = env_int("CONSULT_GLOBAL_LIMIT", 2000)
# The portal's address as residents reach it, for links in text messages
# (e.g. https://civicgrid.example.gov.cn); "" = the address of the request.
PORTAL_PUBLIC_URL = env_str("PORTAL_PUBLIC_URL", "")

# Text messages to residents (civicgrid/notices/sms.py): the class that delivers them.
SMS_BACKEND = env_str("SMS_BACKEND", "civicgrid.notices.sms.LogBackend")
# Notices delivered outside the system (civicgrid/notices/gateways.py): "" = none (the
# default: notices are only listed on the notices page); SmsGateway (through SMS_BACKEND)
# or the 政务微信 skeleton WeComGateway (posting through NOTICE_WECOM_TRANSPORT). Who asked
# for the daily digest (每日汇总) gets one message a day, from NOTICE_DIGEST_HOUR.
NOTICE_GATEWAY = env_str("NOTICE_GATEWAY", "")
NOTICE_WECOM_BASE_URL = env_str("NOTICE_WECOM_BASE_URL", "")
NOTICE_WECOM_AGENT_ID = env_str("NOTICE_WECOM_AGENT_ID", "")
NOTICE_WECOM_TRANSPORT = env_str("NOTICE_WECOM_TRANSPORT",
                                 "civicgrid.notices.gateways.LogTransport")
NOTICE_DIGEST_HOUR = env_int("NOTICE_DIGEST_HOUR", 8)
PORTAL_AREA_CODE = env_str("PORTAL_AREA_CODE", "")

# Webhook receivers may not be on loopback, link-local (cloud metadata), private, shared,
# multicast or other non-global addresses, except in these networks (CIDRs, comma-separated
# in the environment; e.g. the intranet segment of the receivers: "10.20.0.0/16").
# civicgrid/webhooks/addresses.py; docs/operations.md, Webhooks.
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS", [])

# Open311 GeoReport v2 (/open311/v2/): the jurisdiction_id clients may send (any other
# answers 404), what discovery tells clients, and the per-address limit of reads without
# an api_key (requests with an api_key have the token's own limit).
OPEN311_JURISDICTION_ID = env_str("OPEN311_JURISDICTION_ID", "civicgrid.local")
OPEN311_CONTACT = env_str("OPEN311_CONTACT", "")
OPEN311_KEY_SERVICE = env_str("OPEN311_KEY_SERVICE", "")
OPEN311_ANONYMOUS_LIMIT_PER_MINUTE = env_int("OPEN311_ANONYMOUS_LIMIT_PER_MINUTE", 120)

# Browser clients on other origins (H5 pages in WeChat web-views) allowed to call /api/v1/
# and /open311/: exact origins, comma-separated in the environment, none by default
# (civicgrid/core/cors.py).
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])

# A case overdue by this multiple of its stage time is escalated one level by the due jobs
# (Celery beat in production, `manage.py run_due_jobs` in the embedded set-up).
CASE_ESCALATION_MULTIPLE = float(env_str("CASE_ESCALATION_MULTIPLE", "2"))
# The audit chain is sealed by one background writer (ADR 0010): Celery beat every
# AUDIT_SEAL_SECONDS; without a broker (tasks eager: the embedded set-up) right after each
# commit that wrote entries. `verify_audit` names an entry left unsealed longer than
# AUDIT_SEAL_MAX_DELAY_SECONDS (the sealer has stopped).
AUDIT_SEAL_SECONDS = env_int("AUDIT_SEAL_SECONDS", 2)
AUDIT_SEAL_ON_COMMIT = env_str("AUDIT_SEAL_ON_COMMIT", "1" if CELERY_TASK_ALWAYS_EAGER
                               else "0") == "1"
AUDIT_SEAL_MAX_DELAY = timedelta(seconds=env_int("AUDIT_SEAL_MAX_DELAY_SECONDS", 600))
CELERY_BEAT_SCHEDULE = {
    "audit-seal": {"task": "audit.seal", "schedule": AUDIT_SEAL_SECONDS},
    "cases-due-jobs": {"task": "cases.run_due_jobs",
                       "schedule": env_int("CASE_DUE_JOBS_SECONDS", 300)},
    "webhooks-retry-due": {"task": "webhooks.retry_due",
                           "schedule": env_int("WEBHOOK_RETRY_SECONDS", 60)},
    "api-idempotency-purge": {"task": "api.purge_idempotency", "schedule": 3600},
    # Weekly checks: remind the missing reporters after the due time (once per area and
    # week, so running often is harmless); area warnings: today's statuses, once a day.
    "warnings-check-reminders": {"task": "warnings.send_check_reminders",
                                 "schedule": env_int("CHECK_REMINDER_SECONDS", 900)},
    "warnings-evaluate": {"task": "warnings.evaluate_area_status",
                          "schedule": crontab(hour=env_int("AREA_STATUS_HOUR", 6), minute=0)},
    # The daily digests of notices (once a day per person; nothing without NOTICE_GATEWAY).
    "notices-send-digests": {"task": "notices.send_digests",
                             "schedule": crontab(hour=env_int("NOTICE_DIGEST_HOUR", 8),
                                                 minute=5)},
    # The registry's retention: personal details of people who left long ago (daily).
    "registry-retention": {"task": "registry.apply_retention",
                           "schedule": crontab(hour=3, minute=30)},
    "import-files-expire": {"task": "imports.expire_files",
                            "schedule": crontab(hour=3, minute=40)},
    # Photos of the offline app left half-sent for 14 days (civicgrid/field).
    "field-sweep-uploads": {"task": "field.sweep_uploads",
                            "schedule": crontab(hour=3, minute=50)},
}
# Months after which the personal details of a person who left the register (moved away,
# died, deregistered) are removed (civicgrid/registry/services/retention.py).
REGISTRY_RETENTION_MONTHS = env_int("REGISTRY_RETENTION_MONTHS", 24)
# Imports (civicgrid/imports): the largest file accepted, how long the encrypted original
# is kept, and whether the embedded set-up (no broker) runs the steps in a thread of the web
# process (otherwise inline, as tests do).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 512 * 1024 * 1024)
IMPORT_FILE_RETENTION_DAYS = env_int("IMPORT_FILE_RETENTION_DAYS", 90)
IMPORTS_IN_THREAD = True

# Secret query parameters (?api_key=, ?token=, …) are redacted in every record the console
# writes and in the request lines of runserver and gunicorn (civicgrid/core/logging.py).
LOGGING_CONFIG = "civicgrid.core.logging.configure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "civicgrid.core.logging.RedactSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
