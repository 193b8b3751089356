"""cocdesk settings, read from the environment (D12).

Development needs nothing set: keys are generated into the data directory on first use.
Production (COCDESK_ENV=production) refuses to start until every secret is given explicitly.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent

COCDESK_ENV = os.environ.get("COCDESK_ENV", "development").strip().lower()
if COCDESK_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"COCDESK_ENV must be 'development' or 'production', not {COCDESK_ENV!r}.")
PRODUCTION = COCDESK_ENV == "production"

DATA_DIR = Path(os.environ.get("COCDESK_DATA_DIR", "./var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
# mkdir's mode applies only to a directory it creates: one that already existed keeps its mode.
if DATA_DIR.stat().st_mode & 0o077:
    try:
        DATA_DIR.chmod(0o700)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"The data directory {DATA_DIR} can be read by others, and cocdesk cannot change that "
            f"({exc.strerror}). Make it private to the user cocdesk runs as: chmod 700 {DATA_DIR}"
        ) from exc

_REQUIRED_IN_PRODUCTION = (
    "SECRET_KEY",
    "COCDESK_FIELD_KEYS",
    "COCDESK_AUDIT_KEY",
    "COCDESK_INDEX_KEY",
    "ALLOWED_HOSTS",
    "COCDESK_BASE_URL",
)


def env(name: str, default: str = "") -> str:
    """NAME from the environment, or the content of the file NAME_FILE names (for systemd
    credentials and Docker secrets): accepted for every setting, secrets or not."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    file_name = os.environ.get(f"{name}_FILE", "").strip()
    if not file_name:
        return default
    try:
        value = Path(file_name).read_text().strip()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"{name}_FILE names {file_name}, which cannot be read ({exc.strerror})."
        ) from exc
    if not value:
        raise ImproperlyConfigured(f"{name}_FILE names {file_name}, which is empty.")
    return value


if PRODUCTION:
    _missing = [name for name in _REQUIRED_IN_PRODUCTION if not env(name)]
    if _missing:
        raise ImproperlyConfigured(
            "cocdesk will not start in production without these settings: "
            + ", ".join(_missing)
            + ". See docs/operating.md, 'Keys and secrets'."
        )


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = env(name)
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or default


def _dev_secret(filename: str, make: callable) -> str:
    """A development secret, generated once into the data dir and reused after."""
    path = DATA_DIR / filename
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    return path.read_text().strip()


def env_secret(name: str, filename: str, make: callable) -> str:
    """A secret from NAME, from the file named by NAME_FILE, or (development only) generated."""
    value = env(name)
    if value:
        return value
    if PRODUCTION:  # pragma: no cover - guarded above
        raise ImproperlyConfigured(f"{name} is required in production.")
    return _dev_secret(filename, make)


SECRET_KEY = env_secret("SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(64))
# Newest key first; older keys still decrypt until `cocdesk rotate-keys` has run (D12).
_FIELD_KEYS = env_secret("COCDESK_FIELD_KEYS", "field_keys", lambda: Fernet.generate_key().decode())
FIELD_KEYS = [key.strip() for key in _FIELD_KEYS.split(",") if key.strip()]
# Keys the audit chain (D9) and the blind indexes (D7); neither is stored in the database.
AUDIT_KEY = env_secret("COCDESK_AUDIT_KEY", "audit_key", lambda: secrets.token_hex(32))
INDEX_KEY = env_secret("COCDESK_INDEX_KEY", "index_key", lambda: secrets.token_hex(32))
# `tick` appends the audit chain's signed head here once a day; the operator ships it elsewhere (D9).
AUDIT_ANCHOR_LOG = DATA_DIR / "audit-anchors.log"

DEBUG = env_bool("COCDESK_DEBUG", False) and not PRODUCTION
# Every link in an email and every address a command prints. `make run` derives it from HOST and
# PORT when it is not set.
BASE_URL = env("COCDESK_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Development also answers on the base URL's host (e.g. `make run HOST=… COCDESK_BASE_URL=…`);
# production needs ALLOWED_HOSTS set explicitly.
_base_host = urlparse(BASE_URL).hostname or "127.0.0.1"
_base_host = f"[{_base_host}]" if ":" in _base_host else _base_host
_dev_hosts = ["127.0.0.1", "localhost", "[::1]", "testserver"]
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [*_dev_hosts, _base_host] if _base_host not in _dev_hosts else _dev_hosts
)
# Public pages: (attempts, seconds) per client, in the shared cache under a keyed hash of the
# client's address, never the address (intake/ratelimit.py). Reports: successful ones per client.
# Receipt codes: wrong ones per client and per code.
# COCDESK_REPORT_RATE_LIMIT="ATTEMPTS/SECONDS" changes the report form's.
REPORT_RATE_LIMIT = tuple(int(n) for n in os.environ.get("COCDESK_REPORT_RATE_LIMIT", "10/3600").split("/"))
# Reports that arrive while the database is down wait here, encrypted (intake/spool.py).
SPOOL_DIR = DATA_DIR / "spool"
RECEIPT_CODE_RATE_LIMIT = (10, 600)
QUICK_EXIT_URL = os.environ.get("COCDESK_QUICK_EXIT_URL", "https://www.wikipedia.org/")
# Small-number protection (D6): a count under this is shown as "fewer than N" in the transparency
# report and the committee statistics. 1 turns it off.
SMALL_NUMBER_THRESHOLD = max(1, int(os.environ.get("COCDESK_SMALL_NUMBER_THRESHOLD", "3")))
# Shown to people in danger when an event names no number of its own (D2), e.g. "112 (Europe), 911 (US)".
EMERGENCY_NUMBERS = os.environ.get("COCDESK_EMERGENCY_NUMBERS", "").strip()
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [BASE_URL])


def database_from_url(url: str) -> dict:
    """Parse DATABASE_URL (postgres://user:pass@host:port/name or sqlite:///path)."""
    parsed = urlparse(url)
    if parsed.scheme in {"postgres", "postgresql"}:
        options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    if parsed.scheme == "sqlite":
        return _sqlite(Path(unquote(parsed.path)))
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parsed.scheme!r} is not supported (postgres or sqlite)."
    )


def _sqlite(path: Path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # IMMEDIATE: a writer takes the lock when its transaction starts, so concurrent intake
        # waits its turn instead of failing on a lock upgrade.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL;",
        },
    }


DATABASES = {
    "default": database_from_url(env("DATABASE_URL"))
    if env("DATABASE_URL")
    else _sqlite(DATA_DIR / "cocdesk.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _proxy_count() -> int:
    raw = os.environ.get("COCDESK_PROXY_COUNT", "").strip() or "0"
    if not raw.isdigit():
        raise ImproperlyConfigured(f"COCDESK_PROXY_COUNT must be a whole number (0 or more), not {raw!r}.")
    return int(raw)


# Shared state (D12): rate limits, login lockouts and sessions (with the step-up window in them) live
# in one cache that every web process and host shares: Redis when REDIS_URL is set, otherwise a table
# in the database (created by `migrate`). Never a process's own memory.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if env_bool("COCDESK_REQUIRE_REDIS") and not REDIS_URL:
    raise ImproperlyConfigured(
        "COCDESK_REQUIRE_REDIS is set but REDIS_URL is not: cocdesk will not start without its Redis. "
        "See docs/operating.md, 'Several processes and hosts'."
    )
CACHE_TABLE = "cocdesk_cache"  # created by the migration cocdesk/migrations/0001_cache_table.py
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cocdesk",
            "OPTIONS": {"socket_connect_timeout": 5, "socket_timeout": 5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "cocdesk.cache.DatabaseCache",
            "LOCATION": CACHE_TABLE,
            "OPTIONS": {"MAX_ENTRIES": 100_000},  # past it, expired entries go; live ones never do
        }
    }
# The number of reverse proxies in front of cocdesk that append to X-Forwarded-For (nginx: 1). Rate
# limits and the login lockout read the client's address through django-ipware with it (clients.py).
COCDESK_PROXY_COUNT = _proxy_count()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "axes",
    "csp",
    "cocdesk",
    "cocdesk.audit",
    "cocdesk.members",
    "cocdesk.cases",
    "cocdesk.intake",
    "cocdesk.outbox",
    "cocdesk.escrow",
    "cocdesk.deadlines",
    "cocdesk.transparency",
    "cocdesk.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cocdesk.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "cocdesk.middleware.SessionLifetimeMiddleware",
    "cocdesk.keep_typed.KeepTypedMiddleware",  # before the login redirect: a POST after expiry is kept
    "cocdesk.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "cocdesk.intake.middleware.SpoolImportMiddleware",
    "cocdesk.error_pages.ErrorPagesMiddleware",  # innermost: an empty 405 gets the app's page
]

ROOT_URLCONF = "cocdesk.urls"
WSGI_APPLICATION = "cocdesk.wsgi.application"

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
                "csp.context_processors.nonce",
                "cocdesk.context_processors.site",
            ],
        },
    }
]

# Accounts (D1): login by email, Argon2, TOTP on every committee page.
AUTH_USER_MODEL = "members.Member"
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/dashboard/"
OTP_TOTP_ISSUER = os.environ.get("COCDESK_TOTP_ISSUER", "cocdesk")

# Sessions: in the shared cache under a keyed hash of the session key, contents encrypted with a key
# only the cookie gives (cocdesk/sessions.py). An inactivity timeout (the cookie age, renewed on every
# request) and an absolute lifetime.
SESSION_ENGINE = "cocdesk.sessions"
SESSION_COOKIE_AGE = int(os.environ.get("COCDESK_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_LIFETIME = timedelta(hours=int(os.environ.get("COCDESK_SESSION_HOURS", "12")))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "cocdesk.error_pages.csrf_failure"
CSRF_COOKIE_SAMESITE = "Lax"

# Lockout (django-axes): keyed on account AND client, so a stranger guessing a member's email
# cannot lock the member out from their own device. Counted in the shared cache (nothing in the
# database); the client is the keyed hash of its address from clients.py (the address as django-ipware
# reads it behind COCDESK_PROXY_COUNT proxies), so neither the cache nor a log line holds an address,
# a user agent or anything typed into the form.
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # successful logins go to our own audit log (D9)
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "members/locked_out.html"
AXES_USERNAME_CALLABLE = "cocdesk.members.selectors.lockout_username"
AXES_CLIENT_IP_CALLABLE = "cocdesk.clients.client_token"
AXES_CLIENT_STR_CALLABLE = "cocdesk.clients.client_description"

# Headers. Nothing is loaded from another site (D14).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # "no-referrer" makes browsers send Origin: null, failing CSRF
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("COCDESK_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Email (D12): Django's own variable names.
# Development writes each email to a file under the data directory (`mail/`; the demo lists them on
# /dev/mail/); production sends it, and refuses to print or file it (cocdesk.ops.checks).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "").strip() or (
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", "").strip() or str(DATA_DIR / "mail")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
# Every SMTP wait (connect, each reply) is bounded; the outbox lease is ten of these (outbox/services.py).
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "conduct@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
IMAP_URL = env("IMAP_URL")
# Where reporters' replies go: mail to a reporter says "Reply-To: conduct+TOKEN@example.org", the
# token the case's own (docs/operating.md, "Email"). Unset: DEFAULT_FROM_EMAIL's address. The mail
# server must deliver "conduct+anything@" to the mailbox cocdesk reads (plus addressing).
REPLY_ADDRESS = env("COCDESK_REPLY_ADDRESS")
# The authserv-id your receiving mail server writes in the Authentication-Results header it adds
# (e.g. its host name). Set: only that server's results count, and mail without them is unverified.
# Unset (development): the topmost Authentication-Results header counts, and its absence is no doubt.
MAIL_AUTHSERV_ID = env("COCDESK_MAIL_AUTHSERV_ID")

# Internationalisation: every user-facing string is marked for translation.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "files"},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION  # `make run` serves static files without collectstatic

# Uploads (evidence) stream to temporary files (mode 0600, removed when the request ends), never
# into memory, and the per-file size and file count limits hold while the request is read
# (cocdesk.uploads). No in-memory upload handler is installed; 0 keeps it so if one is added.
FILE_UPLOAD_HANDLERS = [
    "cocdesk.uploads.EvidenceLimitUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 0

# Logs carry no request bodies and no client addresses (D14): Django's request logger is quietened
# and the server's access log is off in `make run` and docs/operating.md.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": [], "propagate": False},
        # At DEBUG, Django's template engine logs whole contexts (case text) for missing variables.
        "django.template": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "cocdesk": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
