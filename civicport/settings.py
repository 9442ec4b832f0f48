"""CivicPort settings: one module, every deploy-time value from an environment variable.

The variables are documented in docs/configuration.md. Defaults are safe for a single
machine on 127.0.0.1: DEBUG off, SQLite in the data directory, no HTTPS assumptions.
"""

import os
import secrets
import sys
from pathlib import Path

import dj_database_url

from civicport.env import ConfigError, get_bool, get_int, get_list, get_str

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def _data_dir() -> Path:
    path = Path(get_str("CIVICPORT_DATA_DIR", str(PROJECT_DIR / "var"))).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"CIVICPORT_DATA_DIR={path} cannot be created: {exc.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"CIVICPORT_DATA_DIR={path} is not writable by this user")
    return path


def _secret_key(data_dir: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data dir."""
    key = get_str("SECRET_KEY")
    if key:
        return key
    key_file = data_dir / "secret_key"
    if not key_file.exists():
        # O_EXCL: two processes starting together must not write two different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(50))
        except FileExistsError:
            pass
    return key_file.read_text().strip()


def _database(data_dir: Path) -> dict:
    url = get_str("DATABASE_URL")
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": data_dir / "civicport.sqlite3",
        } | SQLITE_OPTIONS
    try:
        config = dj_database_url.parse(url, conn_max_age=get_int("DATABASE_CONN_MAX_AGE", 60))
    except Exception as exc:  # dj-database-url raises several kinds
        raise ConfigError(f"DATABASE_URL cannot be parsed: {exc}") from None
    if not config.get("ENGINE"):
        raise ConfigError(f"DATABASE_URL={url!r} names no supported database")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config |= SQLITE_OPTIONS
    elif "postgresql" in config["ENGINE"]:
        # JIT compiles the statistics' CASE expressions on every call (~80 ms at a million
        # dossiers) and never pays back on queries this short.
        options = config.setdefault("OPTIONS", {})
        options["options"] = (options.get("options", "") + " -c jit=off").strip()
        if get_bool("DATABASE_PREPARED_STATEMENTS", True):
            # Django turns psycopg's preparation off (None); a threshold never reached keeps
            # its own statements unprepared and lets core.prepared ask for it explicitly.
            options.setdefault("prepare_threshold", 2**31 - 1)
            # Those statements keep one plan: with the default, PostgreSQL re-plans the
            # inbox's on every call (an agency's estimate differs from the average one),
            # and planning costs more than running. Django's own SQL carries its values in
            # the text, so this changes nothing for it.
            options["options"] += " -c plan_cache_mode=force_generic_plan"
    return config


# WAL lets readers run while one writer writes; IMMEDIATE takes the write lock at BEGIN so
# two writers queue on busy_timeout instead of failing with "database is locked" mid-way.
SQLITE_OPTIONS = {
    "OPTIONS": {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=20000;"
        ),
    }
}

try:
    DATA_DIR = _data_dir()
    SECRET_KEY = _secret_key(DATA_DIR)
    DATABASES = {"default": _database(DATA_DIR)}
    DEBUG = get_bool("DEBUG", False)
    # Hot lookups prepare their statement once per connection (core.prepared).
    DATABASE_PREPARED_STATEMENTS = get_bool("DATABASE_PREPARED_STATEMENTS", True)
    BEHIND_HTTPS = get_bool("CIVICPORT_BEHIND_HTTPS", False)
    CIVICPORT_PROVINCE = get_int("CIVICPORT_PROVINCE", 31)
except ConfigError as exc:
    sys.stderr.write(f"CivicPort cannot start: {exc}\n")
    raise SystemExit(2) from None

ALLOWED_HOSTS = get_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = get_list("CSRF_TRUSTED_ORIGINS", [])
TESTING = "pytest" in sys.modules

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "civicport.core",
    "civicport.publicservices",
    "civicport.feedback",
    "civicport.datahub",
    "civicport.tourism",
    "civicport.ioc",
]

MIDDLEWARE = [
    "civicport.core.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "civicport.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "civicport.core.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "civicport.urls"
WSGI_APPLICATION = "civicport.wsgi.application"

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
                "django.template.context_processors.i18n",
                "civicport.core.context_processors.site",
            ],
        },
    }
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["civicport.core.auth.PhoneOrEmailBackend"]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Hashing cost is not under test; a fast hasher keeps the suite quick.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling: failures allowed per account and per client address in the window.
LOGIN_MAX_FAILURES_PER_ACCOUNT = get_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)
LOGIN_MAX_FAILURES_PER_ADDRESS = get_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 30)
LOGIN_FAILURE_WINDOW_SECONDS = get_int("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    # Uploaded files go through the storage API, so object storage can replace the folder.
    "default": {
        "BACKEND": get_str(
            "CIVICPORT_FILE_STORAGE", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve static files from the app folders directly, so `serve` works without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_MEMORY_SIZE = get_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
# Largest file a citizen or officer may upload (dossier documents, results).
CIVICPORT_MAX_UPLOAD_BYTES = get_int("CIVICPORT_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
# Largest data file a publisher may upload to the datahub (CSV/XLSX/JSON tables, streamed).
CIVICPORT_DATAHUB_MAX_UPLOAD_BYTES = get_int(
    "CIVICPORT_DATAHUB_MAX_UPLOAD_BYTES", 1024 * 1024 * 1024
)

TASKS = {
    "default": {
        "BACKEND": get_str("CIVICPORT_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# E-mail: console in demo, SMTP when EMAIL_HOST is set.
EMAIL_HOST = get_str("EMAIL_HOST")
EMAIL_PORT = get_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = get_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = get_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = get_bool("EMAIL_USE_TLS", True)
# A hung mail server must not hold a worker forever.
EMAIL_TIMEOUT = get_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = get_str("DEFAULT_FROM_EMAIL", "CivicPort <no-reply@civicport.local>")
EMAIL_BACKEND = get_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
# SMS: the default provider writes to an outbox table that admins read.
CIVICPORT_SMS_BACKEND = get_str("CIVICPORT_SMS_BACKEND", "civicport.core.sms.OutboxSmsBackend")
CIVICPORT_SMS_SENDER = get_str("CIVICPORT_SMS_SENDER", "CIVICPORT")
CIVICPORT_NOTIFY_MAX_ATTEMPTS = get_int("CIVICPORT_NOTIFY_MAX_ATTEMPTS", 5)

# Office hours for the working-time calendar: comma-separated sessions.
CIVICPORT_OFFICE_HOURS = get_str("CIVICPORT_OFFICE_HOURS", "07:00-11:30,13:30-17:00")
CIVICPORT_SITE_NAME = get_str("CIVICPORT_SITE_NAME", "")
CIVICPORT_DEMO = get_bool("CIVICPORT_DEMO", False)

# Security headers. Secure cookies, HSTS and the HTTPS redirect only when the deployment
# says it is behind HTTPS: plain local serving on 127.0.0.1 must keep working.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = get_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
if BEHIND_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = get_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "civicport.core.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": get_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # The request log below replaces Django's own per-request lines.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        "civicport.request": {"level": "WARNING" if TESTING else "INFO"},
    },
}

NINJA_PAGINATION_PER_PAGE = 50
CIVICPORT_TILE_HOSTS = get_str("CIVICPORT_TILE_HOSTS", "https://tile.openstreetmap.org")
# Leaflet tile URL template; empty = maps draw their markers on a blank background (offline use).
CIVICPORT_TILE_URL = get_str("CIVICPORT_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
