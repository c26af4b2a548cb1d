"""Django settings, all driven by environment variables declared in shenpi.env."""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from .env import declare, flag, served_url

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(declare("SHENPI_VAR_DIR", "var",
                       "Folder for the embedded database, the generated development key and uploads "
                       "(relative to the working directory).")).resolve()


def _private(path: Path, mode: int) -> None:
    """Nobody but the service's user reads var/: the embedded database, the key, applicants' files."""
    if path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o077:
        path.chmod(mode)


VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
_private(VAR_DIR, 0o700)


def _development_key() -> str:
    """A key generated once into var/ so that no secret lives in the repository."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = declare("SHENPI_SECRET_KEY", "", "Django secret key; generated into var/secret_key when empty.") \
    or _development_key()
# Personal data (ID numbers, phones) is encrypted at rest with SM4 under this key (32 hex digits).
FIELD_KEY = declare("SHENPI_FIELD_KEY", "", "SM4 key (32 hex digits) for personal data at rest; "
                    "derived from the secret key when empty.")
DEBUG = flag("SHENPI_DEBUG", False, "Django debug mode. Never on in production.")
ALLOWED_HOSTS = [h for h in declare("SHENPI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver",
                                    "Comma-separated host names served.").split(",") if h]
# The staff side (workbench, supervision, performance, admin, login, API and its docs) only on these hosts
# (docs/operations.md, "Internal and public hosts").
INTERNAL_HOSTS = [h.strip() for h in declare(
    "SHENPI_INTERNAL_HOSTS", "", "Comma-separated host names or addresses (as in ALLOWED_HOSTS; `.example.cn` "
    "takes subdomains) on which the staff pages, the admin, the API and its docs are served; elsewhere they "
    "are 404. Empty: served on every host.").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o for o in declare("SHENPI_CSRF_TRUSTED_ORIGINS", "",
                                           "Comma-separated origins trusted for CSRF (https://…).").split(",") if o]

DATABASES = {
    "default": dj_database_url.parse(
        declare("DATABASE_URL", "", "Database URL: postgres://… in production; empty for the embedded "
                "SQLite file var/shenpi.sqlite3.") or f"sqlite:///{VAR_DIR / 'shenpi.sqlite3'}",
        conn_max_age=int(declare("SHENPI_DB_CONN_MAX_AGE", "60", "Seconds a database connection is reused.")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite creates the file with the umask's permissions (world-readable) and its -wal and -shm files
    # with the database file's: create it 0600 first.
    _sqlite = Path(DATABASES["default"]["NAME"])
    if str(_sqlite) != ":memory:" and _sqlite.parent.is_dir():
        os.close(os.open(_sqlite, os.O_CREAT | os.O_WRONLY, 0o600))
        _private(_sqlite, 0o600)
    # WAL and a busy timeout let the demo's web server and background scans share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "shenpi.accounts.apps.LoginLockoutConfig",
    "shenpi.accounts",
    "shenpi.catalog",
    "shenpi.workdays",
    "shenpi.cases",
    "shenpi.supervision",
    "shenpi.performance",
    "shenpi.workbench",
    "shenpi.portal",
    "shenpi.applicants",
    "shenpi.online",
    "shenpi.appointments",
    "shenpi.feedback",
    "shenpi.demo",
    "shenpi.notifications",
    "shenpi.sandboxes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shenpi.accounts.middleware.InternalHostsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shenpi.accounts.middleware.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shenpi.urls"
WSGI_APPLICATION = "shenpi.wsgi.application"
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

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Staff and applicants alike (docs/security.md, "Passwords"): 12 characters, 3 of 4 character classes,
# not one of the last 5 passwords, nothing close to the name or ID number, no common password.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "shenpi.accounts.passwords.LengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "shenpi.accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "shenpi.accounts.passwords.HistoryValidator", "OPTIONS": {"count": 5}},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workbench:home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = int(declare("SHENPI_SESSION_SECONDS", "1800", "Idle seconds before a staff session ends."))
SESSION_MAX_HOURS = float(declare("SHENPI_SESSION_MAX_HOURS", "8", "Hours after signing in when a session ends "
                                  "whatever the activity (staff and applicants); 0 for no limit."))
# Each request renews the session but a page's own polling (shenpi.accounts.middleware).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
# HTTPS in production (docs/operations.md, "HTTPS"): redirect, HSTS, secure cookies, the proxy's header.
HTTPS = flag("SHENPI_HTTPS", False, "The site is served over HTTPS only: redirect plain HTTP, send HSTS, "
             "secure cookies. Off for the embedded demo on http://.")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = flag("SHENPI_SECURE_COOKIES", False,
                                                 "Send cookies only over HTTPS (always on with SHENPI_HTTPS).") or HTTPS
SECURE_SSL_REDIRECT = HTTPS
_HSTS_SECONDS = int(declare("SHENPI_HSTS_SECONDS", "31536000", "Strict-Transport-Security max-age sent with "
                            "SHENPI_HTTPS (one year; 0 sends none)."))
SECURE_HSTS_SECONDS = _HSTS_SECONDS if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = flag("SHENPI_HSTS_SUBDOMAINS", True, "HSTS covers the subdomains too.")
SECURE_HSTS_PRELOAD = flag("SHENPI_HSTS_PRELOAD", False, "Ask for the browsers' HSTS preload list (hard to "
                           "undo: the domain's owner decides).")
_PROXY_SSL_HEADER = declare("SHENPI_PROXY_SSL_HEADER", "", "The header the TLS-terminating proxy sets to `https` "
                            "(e.g. X-Forwarded-Proto); empty when TLS ends at gunicorn or no proxy is trusted. The "
                            "proxy must overwrite it on every request.").strip()
SECURE_PROXY_SSL_HEADER = (("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https")
                           if _PROXY_SSL_HEADER else None)
AXES_FAILURE_LIMIT = int(declare("SHENPI_LOGIN_FAILURES", "5", "Failed logins before an account is locked."))
AXES_COOLOFF_TIME = float(declare("SHENPI_LOCKOUT_HOURS", "0.5", "Hours a locked account stays locked."))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "shenpi.workbench.views.locked_out"
# A shared government NAT must not lock out a whole building: lock per account.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
if not SECURE_HSTS_PRELOAD:
    # Preloading is a commitment of the whole domain (often a gov.cn one the centre does not run), made by
    # its owner and slow to undo: off by default, so the deploy check's reminder is silenced.
    SILENCED_SYSTEM_CHECKS.append("security.W021")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "zh-hans"
# Chinese for the apps that ship none (django-axes' lockout pages in the admin).
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise serves from finders too, but expects the folder
MEDIA_ROOT = Path(declare("SHENPI_MEDIA_ROOT", "", "Folder for uploaded materials; empty for var/media.")
                  or VAR_DIR / "media")
MEDIA_URL = "/media/"
# Uploaded and scanned materials (and their folders) are the service user's only, wherever MEDIA_ROOT is.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Virus scanning of every uploaded or scanned material (docs/materials.md, shenpi.security.clamd).
CLAMD_ADDRESS = declare("SHENPI_CLAMD_ADDRESS", "", "ClamAV daemon scanning every material's file: host:port, "
                        "tcp://host:port, unix:///path or /path; empty: no virus scan.")
CLAMD_TIMEOUT = float(declare("SHENPI_CLAMD_TIMEOUT", "10", "Seconds to wait for clamd's connection and verdict."))
CLAMD_FAIL_CLOSED = flag("SHENPI_CLAMD_FAIL_CLOSED", True, "Refuse files while clamd cannot be reached "
                         "(文件安全检查暂不可用); off accepts them unscanned, with an audit event.")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "shenpi.api.authentication.TokenAuthentication",  # DRF's, with roles and department in one query
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "shenpi.api.errors.exception_handler",
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "ALLOWED_VERSIONS": ["v1"],
    "DEFAULT_VERSION": "v1",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shenpi API",
    "DESCRIPTION": "Items, cases and their actions, and the working-day calendar of a government service centre.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The intranet has no CDN: Swagger UI and ReDoc are served from the sidecar package's static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets shown under more than one field name get one stable name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "ApplicantKindEnum": "shenpi.cases.models.ApplicantKind",
        "NoticeKindEnum": "shenpi.cases.models.Notice.Kind",
    },
}

CELERY_BROKER_URL = declare("SHENPI_BROKER_URL", "", "Celery broker (redis://… or amqp://…); "
                            "empty runs background work in-process (embedded demo).")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_RESULT_BACKEND = declare("SHENPI_RESULT_BACKEND", "", "Celery result backend; empty for none.") or None
CELERY_TIMEZONE = TIME_ZONE
# Electronic supervision: without a broker the web server scans in a background thread instead of beat.
SUPERVISE_IN_PROCESS = flag("SHENPI_SUPERVISE_IN_PROCESS", not CELERY_BROKER_URL,
                            "Run the supervision scan in a thread of each web server process (the embedded "
                            "default when no broker is set); off when Celery beat runs it.")
SUPERVISE_INTERVAL = int(declare("SHENPI_SUPERVISE_INTERVAL", "60", "Seconds between supervision scans run "
                                 "in-process."))
SUPERVISE_SOON = float(declare("SHENPI_SUPERVISE_SOON", "5", "In-process scans: after a case action commits, "
                               "the process scans again within this many seconds (one scan for a burst)."))
CELERY_BEAT_SCHEDULE = {
    # Delivery is triggered after each commit; this pass picks up retries that have come due.
    "deliver-notifications": {"task": "shenpi.notifications.tasks.deliver_notifications", "schedule": 60.0},
    "supervise": {"task": "shenpi.supervision.tasks.supervise", "schedule": 60.0},
    "deliver-publications": {"task": "shenpi.cases.tasks.deliver_publications", "schedule": 60.0},
}
PUBLISH_MAX_ATTEMPTS = int(declare("SHENPI_PUBLISH_MAX_ATTEMPTS", "10", "Delivery attempts of a case event to an "
                                   "after-commit subscriber before it is kept as failed for an administrator to "
                                   "resend (retries wait 1, 2, 4 … minutes, at most an hour)."))

# Notifications (SMS and e-mail to applicants and staff): see docs/notifications.md.
NOTIFY_EMAIL = declare("SHENPI_NOTIFY_EMAIL", "log", "E-mail notifications: `log` writes them to the log, "
                       "`smtp` sends them through SHENPI_EMAIL_HOST.")
NOTIFY_SMS = declare("SHENPI_NOTIFY_SMS", "log", "SMS notifications: `log` writes them to the log, "
                     "`http` posts them to the gateway at SHENPI_SMS_URL.")
NOTIFY_MAX_ATTEMPTS = int(declare("SHENPI_NOTIFY_MAX_ATTEMPTS", "6", "Delivery attempts before a notification "
                                  "is marked failed (retries wait 1, 2, 4 … minutes, at most an hour)."))
EMAIL_HOST = declare("SHENPI_EMAIL_HOST", "localhost", "SMTP server for e-mail notifications.")
EMAIL_PORT = int(declare("SHENPI_EMAIL_PORT", "25", "SMTP port (587 with STARTTLS, 465 with implicit TLS)."))
EMAIL_HOST_USER = declare("SHENPI_EMAIL_USER", "", "SMTP login; empty sends without authentication.")
EMAIL_HOST_PASSWORD = declare("SHENPI_EMAIL_PASSWORD", "", "SMTP password.")
EMAIL_USE_TLS = flag("SHENPI_EMAIL_TLS", False, "Use STARTTLS on the SMTP connection.")
EMAIL_USE_SSL = flag("SHENPI_EMAIL_SSL", False, "Use implicit TLS (SMTPS, usually port 465).")
EMAIL_TIMEOUT = float(declare("SHENPI_EMAIL_TIMEOUT", "10", "Seconds to wait for the SMTP server."))
DEFAULT_FROM_EMAIL = declare("SHENPI_EMAIL_FROM", "noreply@localhost", "Sender address of e-mail notifications.")
SMS_URL = declare("SHENPI_SMS_URL", "", "SMS gateway address (http:// or https://); each message is POSTed "
                  "as JSON {mobile, text, id}.")
SMS_TOKEN = declare("SHENPI_SMS_TOKEN", "", "Sent to the SMS gateway as `Authorization: Bearer …`; empty for none.")
SMS_TIMEOUT = float(declare("SHENPI_SMS_TIMEOUT", "10", "Seconds to wait for the SMS gateway."))

# The centre's default office hours, Monday to Friday, until the admin holds the centre's own (docs/hours.md);
# working-hour step allotments count from opening to closing.
OFFICE_CLOSES_AT = declare("SHENPI_OFFICE_CLOSES_AT", "17:30", "Close of office hours (HH:MM).")
OFFICE_OPENS_AT = declare("SHENPI_OFFICE_OPENS_AT", "09:00", "Start of office hours (HH:MM).")
OFFICE_NOON_BREAK = declare("SHENPI_OFFICE_NOON_BREAK", "12:00-13:30", "Noon break of the centre's default "
                            "hours (HH:MM-HH:MM; empty for none), used until the centre's hours are entered in the "
                            "admin (docs/hours.md).")
# The public address (QR codes on notices, links in SMS): configured, else the address of the
# request being served, else — outside a request — the address the web server listens on.
SERVE_ADDRESS = declare("SHENPI_SERVE_ADDRESS", "127.0.0.1:8000", "host:port the web server listens on; "
                        "`make run` sets it from HOST and PORT. The public address defaults to it.")
PUBLIC_URL = declare("SHENPI_PUBLIC_URL", "", "Public address printed in QR codes on notices and in SMS "
                     "links (https://…); empty: the address a page was requested at, else http://SHENPI_SERVE_ADDRESS.")
PUBLIC_BASE_URL = (PUBLIC_URL or served_url(SERVE_ADDRESS)).rstrip("/")
# True when no address is configured: pages then use the address they were requested at.
PUBLIC_URL_FROM_REQUEST = not PUBLIC_URL
# The public host is served even when SHENPI_ALLOWED_HOSTS is left at its default (make run HOST=…).
if "SHENPI_ALLOWED_HOSTS" not in os.environ and urlsplit(PUBLIC_BASE_URL).hostname not in (None, *ALLOWED_HOSTS):
    ALLOWED_HOSTS.append(urlsplit(PUBLIC_BASE_URL).hostname)
# Outside systems (identity service, unified sign-in, …) whose own address is not set are reached at
# their sandbox under this address: `make run` starts the sandboxes there (docs/sandboxes.md).
SANDBOX_URL = declare("SHENPI_SANDBOX_URL", "", "Base address of the local sandboxes of outside systems "
                      "(`make run` sets http://127.0.0.1:8100); empty in production.").rstrip("/")


def outside_system(name: str, variable: str, help_text: str) -> str:
    """An outside system's address: its own setting, else its sandbox when sandboxes are served, else empty."""
    return declare(variable, "", help_text).rstrip("/") or (f"{SANDBOX_URL}/{name}" if SANDBOX_URL else "")


CENTRE_NAME = declare("SHENPI_CENTRE_NAME", "示范市政务服务中心", "The service centre's name on pages and notices.")

# The public progress query (/query/) counts failed tries per client address so nobody can enumerate cases.
QUERY_ATTEMPTS = int(declare("SHENPI_QUERY_ATTEMPTS", "10", "Failed progress queries allowed per client address "
                             "within SHENPI_QUERY_WINDOW_MINUTES before it must wait."))
QUERY_WINDOW_MINUTES = int(declare("SHENPI_QUERY_WINDOW_MINUTES", "10", "Minutes over which failed progress "
                                   "queries are counted."))
# Consultation, complaints and ratings (咨询/投诉/好差评): see docs/feedback.md.
COMPLAINT_ANSWER_DAYS = int(declare("SHENPI_COMPLAINT_ANSWER_DAYS", "10", "Working days the department has to "
                                    "answer a complaint (有诉必复)."))
RATING_RECTIFY_DAYS = int(declare("SHENPI_RATING_RECTIFY_DAYS", "5", "Working days the department has to follow "
                                  "up a bad rating (回访核实, then 立行立改/限期整改/解释说明)."))
RATING_DEFAULT_DAYS = int(declare("SHENPI_RATING_DEFAULT_DAYS", "0", "Days after completion when an unrated case "
                                  "is rated 基本满意 by `shenpi feedback default-ratings`; 0 turns it off."))
SATISFACTION_COUNTS_BASIC = flag("SHENPI_SATISFACTION_COUNTS_BASIC", True, "Count 基本满意 as satisfied in the "
                                 "satisfaction rate (满意率).")
FEEDBACK_POSTS_PER_HOUR = int(declare("SHENPI_FEEDBACK_POSTS_PER_HOUR", "10", "Questions, complaints and ratings "
                                      "accepted per client address per hour (anti-spam)."))
_CACHE_URL = declare("SHENPI_CACHE_URL", "", "Shared cache (redis://…) holding rate-limit counters for every app "
                     "server; empty keeps a cache in each server process.")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}
          if _CACHE_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": declare("SHENPI_LOG_LEVEL", "WARNING", "Log level.")},
    # The log backend of notifications writes each message here: the embedded demo shows them on the console.
    "loggers": {"shenpi.notifications": {"level": "INFO"}},
}
