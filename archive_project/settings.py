"""Settings for the news-article archive, read from the environment.

Every deployment-specific value comes from an environment variable; the
defaults are for local development only (``DEBUG`` on, SQLite, loopback hosts).
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

# Lets classes subscript Django's generics at runtime (`admin.ModelAdmin[Article]`, `QuerySet[Article]`),
# as django-stubs types them; done here rather than by django-tasks' import as a side effect.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on")."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "articles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a login that django-axes refused into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "archive_project.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # The admin's template tags live with the admin (articles/admin/templatetags.py).
            "libraries": {"archive_admin": "articles.admin.templatetags"},
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "archive_project.wsgi.application"
ASGI_APPLICATION = "archive_project.asgi.application"

# DATABASE_URL unset: an embedded SQLite file beside manage.py.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while an import writes; IMMEDIATE avoids
    # "database is locked" upgrades from read to write transactions.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: it refuses a locked-out login before any backend checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

# --- The archive -----------------------------------------------------------
# Largest seed file the importer accepts, in bytes.
ARCHIVE_MAX_SEED_BYTES = int(os.environ.get("ARCHIVE_MAX_SEED_BYTES", str(5 * 1024 * 1024)))
# Largest admin upload, all files together (streamed to ARCHIVE_UPLOAD_DIR, capped while it arrives).
ARCHIVE_MAX_UPLOAD_BYTES = int(os.environ.get("ARCHIVE_MAX_UPLOAD_BYTES", str(50 * 1024 * 1024)))
# Private spool of admin uploads waiting for the worker (never served; random names). The web
# server and the worker (`manage.py db_worker`) must share it, on a filesystem with working flock().
ARCHIVE_UPLOAD_DIR = Path(os.environ.get("ARCHIVE_UPLOAD_DIR", BASE_DIR / "uploads"))
# A worker that dies mid-upload is noticed this many seconds later and the upload resumed,
# at most ARCHIVE_UPLOAD_MAX_ATTEMPTS times in all before it is marked failed.
ARCHIVE_UPLOAD_WATCH_SECONDS = float(os.environ.get("ARCHIVE_UPLOAD_WATCH_SECONDS", "30"))
ARCHIVE_UPLOAD_MAX_ATTEMPTS = int(os.environ.get("ARCHIVE_UPLOAD_MAX_ATTEMPTS", "3"))
# The admin's article list counts at most this many rows (beyond: an estimate or "more than").
ARCHIVE_ADMIN_COUNT_CAP = int(os.environ.get("ARCHIVE_ADMIN_COUNT_CAP", "10000"))
# An admin search lists at most this many matches, newest first (each page reads them by primary key).
ARCHIVE_ADMIN_SEARCH_CAP = int(os.environ.get("ARCHIVE_ADMIN_SEARCH_CAP", "1000"))
# The API's numbered pages count exactly up to this many rows, then say "count_is_exact": false.
ARCHIVE_API_COUNT_CAP = int(os.environ.get("ARCHIVE_API_COUNT_CAP", "10000"))
# The deepest numbered page the API serves; past it a 400 points to cursor paging.
ARCHIVE_API_MAX_PAGE = int(os.environ.get("ARCHIVE_API_MAX_PAGE", "100"))
# A running import run that has committed no batch for this long is shown as interrupted.
ARCHIVE_IMPORT_STALE_MINUTES = int(os.environ.get("ARCHIVE_IMPORT_STALE_MINUTES", "10"))
# Processes that parse an import's files while the importing process writes: language detection and the
# layout rules cost ~0.6-1.4 ms a file, so one worker leaves the writer waiting. Measured on 2 cores, 5,000
# files on SQLite: 254 files/s with one, 483 with two. Default: one per core, at most four.
ARCHIVE_IMPORT_PARSE_WORKERS = int(os.environ.get("ARCHIVE_IMPORT_PARSE_WORKERS", str(min(4, os.cpu_count() or 1))))
# Directory the default ``import_seeds`` run reads.
ARCHIVE_SEEDS_DIR = Path(os.environ.get("ARCHIVE_SEEDS_DIR", BASE_DIR / "seeds"))
# Where the full-text search index (Tantivy) lives; every process of a site must share it.
ARCHIVE_SEARCH_INDEX_DIR = Path(os.environ.get("ARCHIVE_SEARCH_INDEX_DIR", BASE_DIR / "search-index"))
# Saved searches' webhooks are refused when their host resolves to a loopback, private, link-local or
# otherwise internal address (the server must not be made to POST into its own network), except to these
# hosts ("host" or "host:port", comma-separated), admitted whatever they resolve to.
ARCHIVE_WEBHOOK_ALLOWED_HOSTS = env_list("ARCHIVE_WEBHOOK_ALLOWED_HOSTS", [])
# Saved-search alerts: the site's address for the links they carry, and how webhooks are retried.
ARCHIVE_BASE_URL = os.environ.get("ARCHIVE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
ARCHIVE_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("ARCHIVE_WEBHOOK_TIMEOUT_SECONDS", "10"))
ARCHIVE_DELIVERY_MAX_ATTEMPTS = int(os.environ.get("ARCHIVE_DELIVERY_MAX_ATTEMPTS", "5"))
ARCHIVE_DELIVERY_BACKOFF_SECONDS = float(os.environ.get("ARCHIVE_DELIVERY_BACKOFF_SECONDS", "60"))
# The articles a delivery lists at most (the first by id; it counts them all): a broad search after a large
# import would otherwise mail a digest of thousands and POST megabytes, and matching would hold them all.
ARCHIVE_DELIVERY_MAX_ARTICLES = int(os.environ.get("ARCHIVE_DELIVERY_MAX_ARTICLES", "200"))

# --- E-mail (saved-search digests) -------------------------------------------
# The console backend prints messages: set EMAIL_BACKEND to django.core.mail.backends.smtp.EmailBackend
# and the EMAIL_HOST... variables to send them.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "archive@localhost")

# --- Background tasks (django-tasks) ----------------------------------------
# Admin uploads import in the background. The database backend needs no broker: tasks wait in a
# table until `manage.py db_worker` runs them. TASKS_BACKEND=immediate runs them inside the
# request instead (development without a worker; a large upload then holds the request).
TASKS_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
if os.environ.get("TASKS_BACKEND", "database") not in TASKS_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be one of {', '.join(TASKS_BACKENDS)}.")
TASKS = {"default": {"BACKEND": TASKS_BACKENDS[os.environ.get("TASKS_BACKEND", "database")]}}

# --- Login lockout (django-axes) ----------------------------------------------
# Failed logins on the admin, the browsable API's login and the token endpoint are counted per
# account and, separately, per client address (either reaching the limit locks); a lockout lasts
# LOGIN_COOLOFF_MINUTES after the failure that set it, and failures while it holds are not counted.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Not reset by a success: one working login would otherwise clear its address's count too.
AXES_RESET_ON_SUCCESS = False
# The client address as the API's rate limits see it (API_NUM_PROXIES trusted proxies).
AXES_CLIENT_IP_CALLABLE = "articles.api.throttling.client_address"
AXES_LOCKOUT_CALLABLE = "articles.login_lockout.lockout_response"
# Failed attempts only (they expire with the cool-off); no row for every successful login.
AXES_DISABLE_ACCESS_LOG = True

# --- REST framework ----------------------------------------------------------
# The browsable API's login page (/api/v1/auth/login/) returns here when given no ?next=.
LOGIN_REDIRECT_URL = "/api/v1/"
REST_FRAMEWORK = {
    # An outdated search index is a 503 with a JSON message (articles.api.errors), never a 500.
    "EXCEPTION_HANDLER": "articles.api.errors.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a refused anonymous write then gets 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "articles.api.permissions.ModelPermissionsOrAnonReadOnly",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "articles.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "articles.api.schema.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "articles.api.throttling.AnonRateThrottle",
        "articles.api.throttling.UserRateThrottle",
    ],
    # Clients are told apart by REMOTE_ADDR; a client's own X-Forwarded-For is ignored unless
    # API_NUM_PROXIES says how many trusted proxies stand in front of the server.
    "NUM_PROXIES": int(os.environ.get("API_NUM_PROXIES", "0")),
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "120/min"),
        "user": os.environ.get("API_THROTTLE_USER", "1200/min"),
        # Token requests (username + password), per client address.
        "auth": os.environ.get("API_THROTTLE_AUTH", "10/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "News Article Archive API",
    "DESCRIPTION": "Read (and, for editors, write) the archive's articles, authors and publishers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # A field that may not be blank says so (minLength 1; see articles.api.schema for whitespace).
    "ENFORCE_NON_BLANK_FIELDS": True,
    # Swagger UI and Redoc from this server's static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge (an image from validator.swagger.io): the docs load nothing from elsewhere.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Named apart from the articles' own "status" and "kind" choices.
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "articles.models.Article.Status",
        "DeliveryStatusEnum": "articles.models.Delivery.Status",
        "DeliveryKindEnum": "articles.models.Delivery.Kind",
        "DeliveryEventEnum": "articles.models.Delivery.Event",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "articles.api.schema.document_api",
    ],
}

# --- Content-Security-Policy (django-csp), on every response ----------------------
# Everything from this server: the admin, the browsable API, Swagger UI and Redoc (their files from
# drf-spectacular-sidecar, Redoc without web fonts) load nothing from elsewhere and run no inline script.
# Inline styles are allowed: the admin's pages and Redoc (styled-components) set them; scripts, what an
# injected page would use, are this server's files only. data: images are the docs' SVG icons; blob:
# workers are Redoc's search.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Production hardening (on whenever DEBUG is off) --------------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# Throttle counts and a few admin lookups live in the cache. The default cache is
# per process; with several server processes (gunicorn workers) set CACHE_TABLE,
# which shares a database table between them (`manage.py createcachetable` makes it).
if CACHE_TABLE := os.environ.get("CACHE_TABLE"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": CACHE_TABLE}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
