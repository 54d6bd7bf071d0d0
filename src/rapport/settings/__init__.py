"""Typed settings from the environment.

Every setting is read from an environment variable with a documented default (see README, "Settings").
Outside the embedded demo mode, Rapport refuses to start without a real secret key.
"""

from __future__ import annotations

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from rapport.settings.keys import weak_key_reason


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    """Read a comma-separated environment variable."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent
RAPPORT_HOME = Path(os.environ.get("RAPPORT_HOME", ".rapport")).resolve()
TESTING = "pytest" in sys.modules or os.environ.get("RAPPORT_TESTING") == "1"

DATABASE_URL = os.environ.get("DATABASE_URL", "")
EMBEDDED = not DATABASE_URL  # SQLite under RAPPORT_HOME: the single-machine default

DEBUG = env_bool("RAPPORT_DEBUG", False)
# Demo mode is the instance `rapport demo` starts (it sets RAPPORT_DEMO=1): the interactive API docs are open there.
DEMO_MODE = env_bool("RAPPORT_DEMO", False)


def _private_file(path: Path, *, create: bool = True) -> None:
    """Create the file readable by its owner only (0600), or take group and world access away from it."""
    if not path.exists():
        if create:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)


# Secrets never have a working default. The embedded single-user install gets a random key generated once and
# kept (mode 0600) under RAPPORT_HOME; a server install (DATABASE_URL set) must provide RAPPORT_SECRET_KEY.


def _secret_key() -> str:
    key = os.environ.get("RAPPORT_SECRET_KEY", "")
    if key:
        if reason := weak_key_reason(key):
            raise ImproperlyConfigured(
                f"RAPPORT_SECRET_KEY is too weak ({reason}): generate one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
            )
        return key
    if TESTING:
        return secrets.token_urlsafe(50)
    if not EMBEDDED:
        raise ImproperlyConfigured("RAPPORT_SECRET_KEY must be set when DATABASE_URL points at a server database.")
    RAPPORT_HOME.mkdir(parents=True, exist_ok=True)
    path = RAPPORT_HOME / "secret.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    _private_file(path)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("RAPPORT_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
if TESTING:
    ALLOWED_HOSTS += ["testserver"]
CSRF_TRUSTED_ORIGINS = env_list("RAPPORT_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "rapport.core",
    "rapport.contacts",
    "rapport.consent",
    "rapport.identity",
    "rapport.listening",
    "rapport.commerce",
    "rapport.influence",
    "rapport.segments",
    "rapport.pipeline",
    "rapport.channels",
    "rapport.care",
    "rapport.community",
    "rapport.campaigns",
    "rapport.web",
    "rapport.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "rapport.core.middleware.BodyLimitMiddleware",  # before anything reads a body: oversized ones get a clear 413
    "rapport.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # the language from ?lang=, the language cookie or Accept-Language
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the session passed its second factor
    "rapport.core.middleware.UserLanguageMiddleware",  # a signed-in user's own language; English on the API
    "rapport.core.middleware.WorkspaceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into the lockout page or a 429
]

# Brute-force protection (django-axes, see core/loginguard.py): per account and per client address.
AUTHENTICATION_BACKENDS = ["rapport.core.loginguard.LoginGuardBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("RAPPORT_LOGIN_FAILURE_LIMIT", "5"))  # failures before a lockout
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("RAPPORT_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks: one account, or one address
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a fixed window: the owner retrying does not prolong it
AXES_USERNAME_FORM_FIELD = "username"  # what the sign-in forms post and authenticate() receives (not USERNAME_FIELD)
AXES_USERNAME_CALLABLE = "rapport.core.loginguard.username_of"
AXES_CLIENT_IP_CALLABLE = "rapport.core.loginguard.client_ip"
AXES_LOCKOUT_CALLABLE = "rapport.web.views.locked_out"
AXES_VERBOSE = False
RAPPORT_PROXY_COUNT = int(os.environ.get("RAPPORT_PROXY_COUNT", "0"))  # proxies in front that set X-Forwarded-For

ROOT_URLCONF = "rapport.urls"
WSGI_APPLICATION = "rapport.wsgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",  # LANGUAGE_CODE and LANGUAGES for the language links
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rapport.core.context_processors.workspace",
                "rapport.care.context.unread_notifications",
            ],
        },
    },
]

if EMBEDDED:
    RAPPORT_HOME.mkdir(parents=True, exist_ok=True)
    # Customer data: created 0600 before SQLite opens it (its -wal and -shm files copy the database's mode).
    _private_file(RAPPORT_HOME / "rapport.sqlite3")
    for _journal in ("rapport.sqlite3-wal", "rapport.sqlite3-shm"):
        _private_file(RAPPORT_HOME / _journal, create=False)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(RAPPORT_HOME / "rapport.sqlite3"),
            "OPTIONS": {
                # WAL lets the web server read while a worker writes; IMMEDIATE avoids lock upgrades mid-transaction.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
else:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing keeps the suite quick

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("RAPPORT_TIME_ZONE", "UTC")
USE_I18N = True
# The languages the interface ships in, each named in itself (as a language menu shows them).
LANGUAGES = [
    ("en", "English"),
    ("da", "Dansk"),
    ("sv", "Svenska"),
    ("nb", "Norsk"),
    ("de", "Deutsch"),
    ("nl", "Nederlands"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Rapport's own date formats per language (settings/formats/<lang>/formats.py), over Django's.
FORMAT_MODULE_PATH = ["rapport.settings.formats"]
LANGUAGE_COOKIE_NAME = "rapport_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600  # a public page's language link is remembered for a year
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("RAPPORT_STATIC_ROOT") or None  # set it to run collectstatic for a CDN or proxy
WHITENOISE_USE_FINDERS = True  # serve app static files directly: no collectstatic step for the embedded install

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("RAPPORT_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"  # links out of Rapport do not carry its URLs (ids, searches)
SECURE_CONTENT_TYPE_NOSNIFF = True

# Rapport's own settings
RAPPORT_DEFAULT_REGION = os.environ.get("RAPPORT_DEFAULT_REGION", "GB")  # phone numbers without a country code
RAPPORT_TOKEN_TTL_HOURS = int(os.environ.get("RAPPORT_TOKEN_TTL_HOURS", "24"))  # refresh with POST /auth/token/refresh
RAPPORT_DATA_DIR = Path(os.environ.get("RAPPORT_DATA_DIR", BASE_DIR.parent.parent.parent / "shared" / "data"))

# Social listening
RAPPORT_QUEUE_URL = os.environ.get("RAPPORT_QUEUE_URL", "")  # redis://host:6379/0 for Redis Streams; empty: in-process
RAPPORT_ENCRYPTION_KEY = os.environ.get("RAPPORT_ENCRYPTION_KEY", "")  # Fernet key(s) for channel credentials
# The cache holds rate-limit windows and the webhook replay memory. Unset, each process keeps its own (right for one
# process); with several server processes point it at a Redis database of its own (not the queue's: clearing the
# cache empties its database), e.g. redis://host:6379/1, so limits and replay checks hold across all of them.
RAPPORT_CACHE_URL = os.environ.get("RAPPORT_CACHE_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": RAPPORT_CACHE_URL,
            "KEY_PREFIX": "rapport",
        }
        if RAPPORT_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rapport"}
    )
}
RAPPORT_ALERT_WEBHOOK_URL = os.environ.get("RAPPORT_ALERT_WEBHOOK_URL", "")  # spike alerts are POSTed here, signed
RAPPORT_ALERT_WEBHOOK_SECRET = os.environ.get("RAPPORT_ALERT_WEBHOOK_SECRET", "")
RAPPORT_ALERT_EMAILS = os.environ.get("RAPPORT_ALERT_EMAILS", "")  # comma-separated recipients of spike alerts
# Internal hosts Rapport may fetch from or connect to (names, addresses, CIDR networks); empty: public hosts only.
RAPPORT_OUTBOUND_ALLOW = [h.strip() for h in os.environ.get("RAPPORT_OUTBOUND_ALLOW", "").split(",") if h.strip()]

# Outgoing mail (alerts): RAPPORT_SMTP_URL=smtp://user:password@host:587 (add ?ssl=1 for implicit TLS).
_smtp = urlsplit(os.environ.get("RAPPORT_SMTP_URL", ""))
if _smtp.hostname:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST, EMAIL_PORT = _smtp.hostname, _smtp.port or 587
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = unquote(_smtp.username or ""), unquote(_smtp.password or "")
    EMAIL_USE_SSL = "ssl=1" in _smtp.query
    EMAIL_USE_TLS = not EMAIL_USE_SSL and EMAIL_PORT != 25
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"  # printed where no server is configured
DEFAULT_FROM_EMAIL = os.environ.get("RAPPORT_MAIL_FROM", "rapport@localhost")
RAPPORT_SPIKE_MIN_COUNT = int(os.environ.get("RAPPORT_SPIKE_MIN_COUNT", "12"))  # posts in an hour before it can spike
RAPPORT_SPIKE_P_VALUE = float(os.environ.get("RAPPORT_SPIKE_P_VALUE", "1e-4"))  # Poisson tail probability to alert
RAPPORT_RETAG_DAYS = int(os.environ.get("RAPPORT_RETAG_DAYS", "90"))  # stored posts a new or changed rule re-tags
# Request bodies: JSON and form posts, and multipart uploads (CSV imports), each with a cap answered by a 413.
RAPPORT_MAX_BODY_BYTES = int(float(os.environ.get("RAPPORT_MAX_BODY_MB", "5")) * 1024 * 1024)
# A contacts CSV larger than this is imported by a job with a progress page, not inside the upload request.
RAPPORT_IMPORT_INLINE_BYTES = int(float(os.environ.get("RAPPORT_IMPORT_INLINE_MB", "2")) * 1024 * 1024)
RAPPORT_MAX_UPLOAD_BYTES = int(float(os.environ.get("RAPPORT_MAX_UPLOAD_MB", "50")) * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = RAPPORT_MAX_BODY_BYTES  # Django's own check then agrees with the middleware's
# A worker refuses to start on a Redis that does not persist every write (AOF off) when this is set.
RAPPORT_REQUIRE_DURABLE_QUEUE = os.environ.get("RAPPORT_REQUIRE_DURABLE_QUEUE", "") in ("1", "true", "yes")
# How long a process delivering an outbox event holds it before another may take over (a killed process's events).
RAPPORT_EVENT_LEASE_SECONDS = int(os.environ.get("RAPPORT_EVENT_LEASE_SECONDS", "120"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "rapport.core.redact.RedactCredentials"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("RAPPORT_LOG_LEVEL", "WARNING")},
}

# Care inbox
# How often an open inbox asks whether its queue changed (a 304 from one index probe while it has not); at least 1 s.
RAPPORT_CARE_POLL_SECONDS = max(1.0, float(os.environ.get("RAPPORT_CARE_POLL_SECONDS", "2")))
# Posts older than this are history (a backfill, an archive import): stored and analysed, but they open no
# conversation and start no SLA clock.
RAPPORT_CARE_LIVE_DAYS = int(os.environ.get("RAPPORT_CARE_LIVE_DAYS", "14"))
RAPPORT_CSAT_DAYS = int(os.environ.get("RAPPORT_CSAT_DAYS", "14"))  # how long a survey link stays valid
RAPPORT_CHAT_TOKEN_DAYS = int(os.environ.get("RAPPORT_CHAT_TOKEN_DAYS", "30"))  # a web-chat visitor token's life
# Web chat limits, per minute: messages per visitor address, messages per chat channel, reads per visitor address.
RAPPORT_CHAT_MESSAGES_PER_MINUTE = int(os.environ.get("RAPPORT_CHAT_MESSAGES_PER_MINUTE", "20"))
RAPPORT_CHAT_CHANNEL_MESSAGES_PER_MINUTE = int(os.environ.get("RAPPORT_CHAT_CHANNEL_MESSAGES_PER_MINUTE", "600"))
RAPPORT_CHAT_READS_PER_MINUTE = int(os.environ.get("RAPPORT_CHAT_READS_PER_MINUTE", "120"))
# Base of links sent to customers (surveys); unset, links use the address `rapport serve` is serving on.
RAPPORT_PUBLIC_URL = os.environ.get("RAPPORT_PUBLIC_URL", "")
RAPPORT_SERVED_URL = ""  # set by `rapport serve` to the address it serves on
# Receiving mail servers whose Authentication-Results header Rapport trusts (their authserv-id, e.g. mx.google.com
# for a Gmail mailbox): an email whose sender they verified (DMARC, or DKIM aligned with From) links to the contact
# with that address by itself. Any other address, typed or quoted, is only a claim an agent confirms.
RAPPORT_EMAIL_AUTHSERV_IDS = [
    s.strip() for s in os.environ.get("RAPPORT_EMAIL_AUTHSERV_IDS", "").split(",") if s.strip()
]

# Background jobs: django-tasks with its database backend (a queue in our own database); core.jobs adds schedules,
# retries and leases. `rapport serve` and `rapport demo` run the job runner in a thread unless this is off.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
RAPPORT_JOBS_EMBEDDED = env_bool("RAPPORT_JOBS_EMBEDDED", not TESTING)  # tests never start a runner by accident
