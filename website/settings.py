"""Settings for the AzioneLab site, read once from the environment (django-environ).

Every variable is documented in `.env.example`. With no environment at all the site runs in
development mode only when DEBUG is true: an SQLite file under `var/`, emails on the console.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A `.env` file fills in what the process environment leaves unset; it never overrides it.
ENV_FILE = Path(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))
if ENV_FILE.is_file():
    env.read_env(ENV_FILE)

DEBUG = env.bool("DEBUG", default=False)

# Values that must never reach production: the development fallback and `.env.example`'s.
INSECURE_SECRET_KEYS = {
    "",
    "development-only-insecure-key",
    "change-me-to-a-long-random-string",
}
SECRET_KEY = env.str("SECRET_KEY", default="development-only-insecure-key" if DEBUG else "")
if not DEBUG and SECRET_KEY in INSECURE_SECRET_KEYS:
    raise ImproperlyConfigured(
        "SECRET_KEY is missing or still the example value. With DEBUG off the site needs a "
        "long random SECRET_KEY in the environment or in .env; generate one with: "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is empty. With DEBUG off the site needs the host names it answers to, "
        "comma-separated, for example ALLOWED_HOSTS=www.azionelab.it,azionelab.it"
    )

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Other sites may read the season's public API (/api/v1/), and only that, from a browser: the
# partner widget and anyone else's script, from the origins listed here. No credentials, only
# reads; everything else on the site stays same-origin (docs/security-notes.md#cors).
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_METHODS = ("GET", "HEAD", "OPTIONS")
CORS_ALLOW_HEADERS = ("accept", "if-none-match")
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ("ETag",)
# A browser may reuse a preflight's answer for a day.
CORS_PREFLIGHT_MAX_AGE = 86400

# Public base URL, used in emails and in the admin (no trailing slash, no /admin).
WAGTAILADMIN_BASE_URL = env.str("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")


# Applications

INSTALLED_APPS = [
    "website",
    "booking",
    "checkin",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "corsheaders",
    # The public API's views (booking/api/) and its messages' translations.
    "rest_framework",
    "django_tasks_db",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before any middleware that reads the body (the CSRF check).
    "website.middleware.RefuseFormsNotInUTF8",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "website.urls"
WSGI_APPLICATION = "website.wsgi.application"

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
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]


# Database: PostgreSQL in production, an embedded SQLite file by default.

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # Writers take the database lock when their transaction begins, so two bookings never
        # both read "seats available" before either writes (SQLite's SELECT ... FOR UPDATE).
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# Caches: in each gunicorn worker's own memory, no cache server (ADR 0021). "default" is
# Django's implicit default made explicit: Wagtail keeps its site root paths and rendition
# lookups there. "template_fragments" holds the pages' `{% wagtailcache %}` fragments, whose
# keys carry the content version: an edit changes the keys, so an entry is never stale, only
# unused, and the least recently used go first once the bound is reached (a few MB).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "default",
        "TIMEOUT": 300,
        "OPTIONS": {"MAX_ENTRIES": 300},
    },
    "template_fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "template-fragments",
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}

# `manage.py test` runs the pytest suite, with tests.settings (website/test_runner.py, ADR 0020).
TEST_RUNNER = "website.test_runner.PytestRunner"


# Email: queued in the database with the change it reports, sent by the email worker
# (`manage.py email_worker`, ADR 0013); no request talks to the mail server.

EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"
)
# django-environ's documented way to set EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, ... at once.
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="AzioneLab <biglietteria@example.org>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Bounds one conversation with the mail server: the email worker's, and the few Wagtail admin
# emails (password reset, moderation) still sent in the editor's own request.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)


# Booking

# How long a confirmation link stays valid, and how many links one reservation may be sent.
BOOKING_LINK_VALIDITY_HOURS = env.int("BOOKING_LINK_VALIDITY_HOURS", default=24)
BOOKING_MAX_LINKS_SENT = env.int("BOOKING_MAX_LINKS_SENT", default=3)
# The email worker tries an email this many times, waiting 1, 2, 4, … minutes (at most an
# hour) between attempts, before it shows as failed to the booker and the box office.
BOOKING_EMAIL_ATTEMPTS = env.int("BOOKING_EMAIL_ATTEMPTS", default=8)
BOOKING_EMAIL_RETRY_SECONDS = env.int("BOOKING_EMAIL_RETRY_SECONDS", default=60)
BOOKING_EMAIL_RETRY_MAX_SECONDS = env.int("BOOKING_EMAIL_RETRY_MAX_SECONDS", default=3600)
# Names and emails are erased this many days after the performance (manage.py
# erase_personal_data, run by cron).
BOOKING_PERSONAL_DATA_DAYS = env.int("BOOKING_PERSONAL_DATA_DAYS", default=30)
# Confirmed bookers get a reminder this many hours before the performance (manage.py
# queue_reminders, run hourly by the host's timer); bookings confirmed later get none.
BOOKING_REMINDER_HOURS = env.int("BOOKING_REMINDER_HOURS", default=24)
# Seats offered to someone on a waiting list are held for them this many hours (never past
# the booking cut-off); then the offer passes to the next in line.
BOOKING_WAITLIST_OFFER_HOURS = env.int("BOOKING_WAITLIST_OFFER_HOURS", default=12)
# nginx may serve an anonymous page view to other visitors until the end of the second it
# was rendered in (PAGE_MICRO_CACHE_SECONDS), then for at most PAGE_MICRO_CACHE_STALE_SECONDS
# more while one request renders the next copy: the seats left on a show page are at most
# their sum stale (website/cache.py); booking and confirming always recount.
PAGE_MICRO_CACHE_SECONDS = 1
PAGE_MICRO_CACHE_STALE_SECONDS = 1


# Authentication

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "wagtailadmin_login"


# Internationalisation: the public site speaks one language, LANGUAGE_CODE.

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="it")
LANGUAGES = [("it", _("Italian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Rome")
USE_I18N = True
USE_TZ = True


# Static and media files: nginx serves them in production, runserver in development.

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}


# Security. TLS ends at nginx, which sets X-Forwarded-Proto.

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# nginx redirects HTTP already; this catches a request that reached gunicorn some other way.
# The Compose health check calls /healthz over plain HTTP inside the container.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: ours and Wagtail's admin take the token from the page.
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Wagtail's page preview is an iframe of the site itself.
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SILENCED_SYSTEM_CHECKS = [
    # HSTS is sent by nginx on every response, static files included (infra/nginx/).
    "security.W004",
    # X-Frame-Options is SAMEORIGIN, not DENY: Wagtail's page preview frames the site itself.
    "security.W019",
]


# Logging: to the console, where gunicorn and Compose collect it.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
    },
    # Booking links and QR codes carry tokens in their paths: no log line may show them.
    "filters": {"redact_tokens": {"()": "booking.redaction.RedactTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's defaults give these loggers handlers of their own (a console handler in
        # DEBUG, mail to ADMINS): route them through the redacting handler only.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # One line per immediate task run is noise in the request log.
        "django_tasks": {"level": "WARNING"},
    },
}


# Wagtail's own background tasks (search and reference indexes) run in the request, as they
# always have; the booking emails go through an outbox in our database, worked by one worker
# process (`manage.py email_worker`; ADR 0013 supersedes ADR 0005's "no task queue").
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "email": {"BACKEND": "django_tasks_db.DatabaseBackend"},
}


# Wagtail

WAGTAIL_SITE_NAME = "AzioneLab"
WAGTAILSEARCH_BACKENDS = {
    # PostgreSQL full-text search on PostgreSQL; SQLite FTS5 (or a plain fallback) on SQLite.
    "default": {"BACKEND": "wagtail.search.backends.database"},
}
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "txt", "xlsx"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAIL_ALLOW_UNICODE_SLUGS = False
# Nothing is fetched from outside at run time: no Gravatar avatars, no release check.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILADMIN_UPGRADE_NOTIFICATION_ENABLED = False
WAGTAILADMIN_COMMENTS_ENABLED = True
# Complex page forms in the editor can exceed Django's default of 1000 fields.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
