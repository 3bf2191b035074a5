"""Settings for minzheng: one module, configured by environment variables.

Every integration has a USE_<X> or <X>_URL variable; the defaults give the embedded
SQLite demo that `make run` serves. docs/operator/configuration.md lists every variable.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
TESTING = env_bool("MINZHENG_TESTING", "pytest" in sys.modules)

# Development keys are public on purpose: production refuses to start with them.
_DEV_SECRET = "dev-only-not-secret-minzheng-0000000000000000000000000000"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Personal-data keys (kernel/people/crypto.py). PII_KEYS: comma-separated
# "<key id>:<base64 32-byte key>" pairs, newest first; the first encrypts, all decrypt.
PII_KEYS = env_list("PII_KEYS", "1:ZGV2LW9ubHktcGlpLWtleS0wMDAwMDAwMDAwMDAwMDA=")
PII_BLIND_INDEX_KEY = os.environ.get(
    "PII_BLIND_INDEX_KEY", "ZGV2LW9ubHktYmxpbmQtaW5kZXgta2V5LTAwMDAwMDA="
)

if not DEBUG and not TESTING:
    from django.core.exceptions import ImproperlyConfigured

    for _name, _value, _dev in (
        ("SECRET_KEY", SECRET_KEY, _DEV_SECRET),
        ("PII_KEYS", ",".join(PII_KEYS), "1:ZGV2LW9ubHktcGlpLWtleS0wMDAwMDAwMDAwMDAwMDA="),
        (
            "PII_BLIND_INDEX_KEY",
            PII_BLIND_INDEX_KEY,
            "ZGV2LW9ubHktYmxpbmQtaW5kZXgta2V5LTAwMDAwMDA=",
        ),
    ):
        if _value == _dev:
            raise ImproperlyConfigured(f"{_name} must be set in production (DEBUG=0).")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "simple_history",
    "axes",
    "ninja",  # serves the API docs' Swagger UI from static files, not a CDN
    "minzheng.common",
    "minzheng.kernel.regions",
    "minzheng.kernel.people",
    "minzheng.kernel.accounts",
    "minzheng.kernel.audit",
    "minzheng.kernel.notifications",
    "minzheng.kernel.jobs",
    "minzheng.kernel.parameters",
    "minzheng.kernel.verification",
    "minzheng.kernel.workflow",
    "minzheng.kernel.documents",
    "minzheng.kernel.payments",
    "minzheng.domains.assistance",
    "minzheng.web.backoffice",
    "minzheng.web.portal",
    "minzheng.web.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "minzheng.common.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "minzheng.kernel.audit.middleware.AuditContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# Database: the embedded SQLite default, or DATABASE_URL (postgres://...).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'minzheng.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": ""}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: the bulk jobs' queries are short enough that compiling them costs
    # more than it saves (about 1.5 s per county chunk of the determination), and the pages'
    # queries are small. DATABASE_PG_OPTIONS adds server options ("-c work_mem=64MB").
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        "-c jit=off " + os.environ.get("DATABASE_PG_OPTIONS", "")
    ).strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CACHE_URL"],
        }
        if os.environ.get("CACHE_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "minzheng.kernel.accounts.backends.ResidentOneTimeCodeBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests hash many passwords.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "backoffice:login"
LOGIN_REDIRECT_URL = "backoffice:home"
LOGOUT_REDIRECT_URL = "backoffice:login"

# Lockout after repeated failed logins (django-axes).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_LOCKOUT_TEMPLATE = "backoffice/locked_out.html"
# Staff fail by user name, residents by phone: each is locked out on its own.
AXES_USERNAME_CALLABLE = "minzheng.kernel.accounts.backends.lockout_key"

# Sessions, cookies and transport security.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the meta tag, not the cookie.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
USE_HTTPS = env_bool("USE_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = USE_HTTPS
CSRF_COOKIE_SECURE = USE_HTTPS
SECURE_SSL_REDIRECT = USE_HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if USE_HTTPS else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if USE_HTTPS else None

# Language: Simplified Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
# Documents: the site's public address (QR codes on notices open SITE_URL/v/<code>/), the
# upload size limit, and public look-ups (verification codes, case numbers) per client
# address in 10 minutes.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
DOCUMENTS_MAX_UPLOAD_MB = int(os.environ.get("DOCUMENTS_MAX_UPLOAD_MB", "10"))
DOCUMENTS_LOOKUP_LIMIT = int(os.environ.get("DOCUMENTS_LOOKUP_LIMIT", "30"))

# Celery: Redis broker in production; eager (inline) in the embedded default.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE

# Notifications: the SMS backend is pluggable; the console backend prints messages.
SMS_BACKEND = os.environ.get(
    "SMS_BACKEND", "minzheng.kernel.notifications.backends.ConsoleSmsBackend"
)
ONE_TIME_CODE_TTL_SECONDS = int(os.environ.get("ONE_TIME_CODE_TTL_SECONDS", "300"))
ONE_TIME_CODE_MAX_ATTEMPTS = int(os.environ.get("ONE_TIME_CODE_MAX_ATTEMPTS", "5"))

# Resident portal (码上办): unsubmitted online-application drafts left unchanged this many
# days are removed, with their files, by the nightly task assistance.drafts_purge.
ASSISTANCE_DRAFT_RETENTION_DAYS = int(os.environ.get("ASSISTANCE_DRAFT_RETENTION_DAYS", "30"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
