"""Rapport settings: one module, every knob read from the environment.

With no environment at all (and DEBUG=1) Rapport runs on embedded defaults:
SQLite under var/, Celery on kombu's filesystem transport under var/, and
emails captured by the in-app mailbox. Production sets DATABASE_URL,
REDIS_URL, an ESP and the security variables; README.md lists them all.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("RAPPORT_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or DEBUG=1 for local development."
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The address Rapport is served from: every link in an email and on Settings → Mail sources starts with it.
SITE_URL = env.str("SITE_URL", default="").rstrip("/")
if not SITE_URL:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SITE_URL is not set. Set the SITE_URL environment variable to the address Rapport is served "
            "from (for example: https://rapport.example.com): links in emails are built from it. "
            "Or DEBUG=1 for local development."
        )
    SITE_URL = "http://127.0.0.1:8000"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "crispy_forms",
    "crispy_bootstrap5",
    "anymail",
    "axes",
    "csp",
    "kernel",
    "clients",
    "comms",
    "projects",
    "billing",
    "files",
    "guest",
    "desk",
]

MIDDLEWARE = [
    # REMOTE_ADDR from TRUSTED_PROXY_HEADER, before anything reads it (crm/edge.py).
    "kernel.edge.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A friendly 413 for a body over its URL's limit, before anything reads it (crm/edge.py).
    "kernel.edge.RequestSizeMiddleware",
    "kernel.edge.NullCharacterMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Django's CSRF middleware, which also accepts `Origin: null` on the secret-link pages (see its docstring).
    "kernel.middleware.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kernel.middleware.StudioMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes goes last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

# security.W003 looks for Django's own CSRF middleware by name; ours subclasses it (tests/crm/test_security.py).
SILENCED_SYSTEM_CHECKS = ["security.W003"]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

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
                "kernel.context_processors.studio",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'rapport.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the busy timeout
    # makes a writer wait for the other instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-rapport.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------
AUTH_USER_MODEL = "crm.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "today"
LOGOUT_REDIRECT_URL = "login"

# Brute-force protection: lock a username+IP pair after a few failures, for an hour.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The login form posts the email as "username"; axes would otherwise look for "email" and find None.
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address is REMOTE_ADDR, which kernel.edge sets from TRUSTED_PROXY_HEADER behind a proxy.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_VERBOSE = False

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]  # .po sources; the .mo files are compiled by `make messages` (kernel/i18n.py)
# The navbar's language switcher (Django's set_language) remembers the choice in this cookie.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
USE_TZ = True
# Storage and server-side computation are UTC; each studio carries its own zone.
TIME_ZONE = "UTC"

# --- Static files -----------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
STORAGES["files"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(env.path("RAPPORT_FILES_DIR", default=str(VAR_DIR / "files"))), "base_url": None},
}
# Project files in an S3-compatible store (AWS S3, MinIO, Backblaze, …) when a bucket is named. Nothing
# is public: objects are private (no ACL), and downloads go through the app, which answers with a
# presigned URL valid for minutes (files.downloads). Keys: RAPPORT_FILES_S3_ACCESS_KEY_ID /
# RAPPORT_FILES_S3_SECRET_ACCESS_KEY, else boto3's own chain (AWS_ACCESS_KEY_ID, an instance role, …).
RAPPORT_FILES_S3_BUCKET = env.str("RAPPORT_FILES_S3_BUCKET", default="")
if RAPPORT_FILES_S3_BUCKET:
    STORAGES["files"] = {
        "BACKEND": "files.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": RAPPORT_FILES_S3_BUCKET,
            "endpoint_url": env.str("RAPPORT_FILES_S3_ENDPOINT_URL", default="") or None,
            # The address browsers reach the store at, when it differs from the app's (MinIO in compose).
            "public_endpoint_url": env.str("RAPPORT_FILES_S3_PUBLIC_URL", default="") or None,
            "region_name": env.str("RAPPORT_FILES_S3_REGION", default="") or None,
            "access_key": env.str("RAPPORT_FILES_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("RAPPORT_FILES_S3_SECRET_ACCESS_KEY", default="") or None,
            "addressing_style": env.str("RAPPORT_FILES_S3_ADDRESSING_STYLE", default="") or None,
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
        },
    }
# A signed app link to one file (files.signing) works this many seconds.
RAPPORT_FILE_LINK_SECONDS = env.int("RAPPORT_FILE_LINK_SECONDS", default=600)
# Project files: the most one file may be, and all of one studio's files together.
RAPPORT_FILE_MAX_BYTES = env.int("RAPPORT_FILE_MAX_BYTES", default=50 * 1024 * 1024)
RAPPORT_STUDIO_FILES_MAX_BYTES = env.int("RAPPORT_STUDIO_FILES_MAX_BYTES", default=5 * 1024**3)
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media/"

# Widgets render through TEMPLATES, so project templates (crm/widgets/...) can define widgets.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email ----------------------------------------------------------------------
# Every email, Django's own included (password resets, invites), becomes an outbox row;
# the outbox worker sends due rows through OUTBOX_DELIVERY_BACKEND. The environment's
# EMAIL_BACKEND keeps meaning "how mail leaves". Default: every email lands in Rapport's
# own mailbox page (and a line in the log). Production: an ESP through django-anymail, e.g.
#   EMAIL_BACKEND=anymail.backends.postmark.EmailBackend ANYMAIL_POSTMARK_SERVER_TOKEN=...
# Every ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"].
EMAIL_BACKEND = "comms.backends.OutboxBackend"
OUTBOX_DELIVERY_BACKEND = env.str("EMAIL_BACKEND", default="comms.mailbox.MailboxBackend")
if OUTBOX_DELIVERY_BACKEND == EMAIL_BACKEND:
    raise ImproperlyConfigured(
        f"EMAIL_BACKEND={OUTBOX_DELIVERY_BACKEND} would put the outbox's mail back in the outbox forever. "
        "Set EMAIL_BACKEND to how mail leaves, e.g. anymail.backends.postmark.EmailBackend."
    )
# Attempts before an email is marked failed (retries wait 1, 5, 30, then 120 minutes).
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=5)
# Seconds an email may stay "sending" before it is settled (comms.outbox.reclaim_stuck): queued again
# if never handed to the provider, else resent (reminders to the freelancer) or marked "needs
# attention" (client mail). Keep it above CELERY_TASK_TIME_LIMIT: only a dead worker's rows qualify.
OUTBOX_SENDING_TIMEOUT = env.int("OUTBOX_SENDING_TIMEOUT", default=600)
if OUTBOX_MAX_ATTEMPTS < 1 or OUTBOX_SENDING_TIMEOUT < 1:
    raise ImproperlyConfigured("OUTBOX_MAX_ATTEMPTS and OUTBOX_SENDING_TIMEOUT must be positive.")
ANYMAIL = {key.removeprefix("ANYMAIL_"): value for key, value in env.ENVIRON.items() if key.startswith("ANYMAIL_")}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Rapport <rapport@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_TIMEOUT = 30

# --- Inbound mail -----------------------------------------------------------------
# Client mail reaches Rapport through ESP webhooks (/hooks/<esp>/inbound/), IMAP polling or a
# mail server pipe (manage.py receive_email). Each studio gets <slug>.<key>@RAPPORT_INBOUND_DOMAIN
# (and <slug>.<key>+bcc@... for copies of the freelancer's own mail); see comms/routing.py.
RAPPORT_INBOUND_DOMAIN = env.str("RAPPORT_INBOUND_DOMAIN", default="inbound.localhost").strip().lower()
# Addresses the server fetches for a studio (busy calendars) must be public ones, unless this is on
# (development, tests, a calendar server on the same private network).
RAPPORT_FETCH_PRIVATE_ADDRESSES = env.bool("RAPPORT_FETCH_PRIVATE_ADDRESSES", default=DEBUG)
# Processed ESP webhook bodies (whole messages, attachments included) are deleted after this many days.
WEBHOOK_PAYLOAD_RETENTION_DAYS = env.int("WEBHOOK_PAYLOAD_RETENTION_DAYS", default=30)
# A webhook body still "received" this many minutes after it arrived was stranded (the database went
# away mid-request): the sweep processes it again, or marks it failed with the reason.
WEBHOOK_STRANDED_AFTER_MINUTES = env.int("WEBHOOK_STRANDED_AFTER_MINUTES", default=10)
# Webhooks refuse everything until ANYMAIL_WEBHOOK_SECRET ("user:password", HTTP basic auth) is
# set; several, comma-separated, are all accepted while an ESP is moved to a new one.
if isinstance(ANYMAIL.get("WEBHOOK_SECRET"), str) and "," in ANYMAIL["WEBHOOK_SECRET"]:
    ANYMAIL["WEBHOOK_SECRET"] = [secret.strip() for secret in ANYMAIL["WEBHOOK_SECRET"].split(",") if secret.strip()]
# Request bodies (crm/edge.py answers a larger one with 413): Django's 2.5 MB everywhere, except
# the inbound-mail webhooks, where ESPs post whole messages with attachments: up to 25 MB.
MAX_REQUEST_BODY_SIZE = env.int("MAX_REQUEST_BODY_SIZE", default=2_621_440)
INBOUND_MAX_BODY_SIZE = env.int("INBOUND_MAX_BODY_SIZE", default=25 * 1024 * 1024)
# Django's own check while reading a body: the middleware has already held every other URL to less.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(MAX_REQUEST_BODY_SIZE, INBOUND_MAX_BODY_SIZE)
# Key for secrets stored in the database (IMAP passwords). Any long random string; when unset a
# key is derived from SECRET_KEY. Passwords saved under the derived key stay readable after it is set.
RAPPORT_ENCRYPTION_KEY = env.str("RAPPORT_ENCRYPTION_KEY", default="")
# Seconds an IMAP connection may take to answer before the poll records an error.
RAPPORT_IMAP_TIMEOUT = env.int("RAPPORT_IMAP_TIMEOUT", default=30)

# --- Celery -----------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_FILESYSTEM_QUEUE_DIR = VAR_DIR / "celery" / "queue"
# Redis broker. Tasks must finish well inside the visibility timeout, or Redis redelivers them
# to another worker while the first is still running. A publish (the outbox's kick from a web
# request) makes one connection attempt of at most 2 s, no retry loop, and a Redis that stops
# answering times out after 10 s: with Redis down a page still answers, and the next beat tick
# delivers what the kick missed. (Workers reconnect on their own, see below.)
REDIS_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
    "max_retries": 0,
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_QUEUE_DIR),
        "data_folder_out": str(CELERY_FILESYSTEM_QUEUE_DIR),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A worker that loses Redis waits for it however long it is down (the default gives up after 100 tries).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat ticks and worker task runs are recorded; older than this, the UI warns.
HEARTBEAT_STALE_AFTER_SECONDS = env.int("HEARTBEAT_STALE_AFTER_SECONDS", default=300)

# --- Cache (rate limits) ---------------------------------------------------------
# Shared by every process, so that limits hold across gunicorn workers: Redis when set, else
# files under var/cache with cross-process counters (crm/cache.py; one machine only).
CACHE_DIR = Path(env.str("RAPPORT_CACHE_DIR", default=str(VAR_DIR / "cache")))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis outage must cost a request seconds at most, never hang it (rate limits fail open).
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "kernel.cache.SharedFileCache",
            "LOCATION": str(CACHE_DIR),
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }

# --- Security ---------------------------------------------------------------------
# Behind a reverse proxy: the header that carries the visitor's address (e.g. X-Forwarded-For or
# X-Real-IP) and, for X-Forwarded-For, how many proxies append to it. Unset: REMOTE_ADDR as is.
# Only set it when every request comes through the proxy: a client can send the header too.
TRUSTED_PROXY_HEADER = env.str("TRUSTED_PROXY_HEADER", default="").strip()
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# The preload token only permits submitting the domain to browsers' preload list; it submits nothing.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# No inline scripts or styles anywhere: our templates load vendored files only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # Portal, survey and password-reset tokens in a path are masked in every line (crm/logmask.py).
    "filters": {"mask_secrets": {"()": "kernel.logmask.SecretMask"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_secrets"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
