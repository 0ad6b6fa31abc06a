"""Settings for editorial, read from the environment (12-factor).

DJANGO_DEBUG defaults to off; DJANGO_SECRET_KEY, EDITORIAL_AUDIT_KEY and
EDITORIAL_AUDIT_CHECKPOINT_DIR are then required. DATABASE_URL defaults to a
SQLite file beside manage.py; REDIS_URL, when set, switches the cache to Django's Redis backend.
See .env.example for every variable.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from editorial.databases import database_settings

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DEBUG = env_bool("DJANGO_DEBUG")

# Commands that only read the code and the migration files: they never serve, sign or store
# anything, so they run without a key (`manage.py makemigrations --check` on a fresh checkout).
# Django checks the key lazily, so one of them touching it would still fail loudly.
KEYLESS_COMMANDS = {"makemigrations", "showmigrations", "sqlmigrate"}
RUNNING_KEYLESS_COMMAND = (
    len(sys.argv) > 1 and Path(sys.argv[0]).name == "manage.py" and sys.argv[1] in KEYLESS_COMMANDS
)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "insecure-development-key-never-used-in-production"  # noqa: S105
elif not SECRET_KEY and not RUNNING_KEYLESS_COMMAND:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")

# The audit chains (sign-offs, audit events) are HMAC-SHA256 with this key, kept outside the
# database: someone who can write to the database but does not hold the key cannot forge or edit a
# row that verifies. Rows carry the id of the key they were written with; retired keys stay listed
# ("id:key,id:key") so older rows still verify after a rotation.
EDITORIAL_AUDIT_KEY = os.environ.get("EDITORIAL_AUDIT_KEY", "")
if not EDITORIAL_AUDIT_KEY and DEBUG:  # as the secret key above
    EDITORIAL_AUDIT_KEY = "insecure-development-audit-key-never-used-in-production"  # noqa: S105
elif not EDITORIAL_AUDIT_KEY and not RUNNING_KEYLESS_COMMAND:
    raise ImproperlyConfigured("EDITORIAL_AUDIT_KEY must be set when DJANGO_DEBUG is off.")
EDITORIAL_AUDIT_KEY_ID = os.environ.get("EDITORIAL_AUDIT_KEY_ID", "k1")
EDITORIAL_AUDIT_RETIRED_KEYS = env_list("EDITORIAL_AUDIT_RETIRED_KEYS")
# Each chain's newest row is checkpointed to a file here after commit (and logged), so deleting
# the newest rows is detected: the directory must not be writable by whoever can write the database.
EDITORIAL_AUDIT_CHECKPOINT_DIR = os.environ.get("EDITORIAL_AUDIT_CHECKPOINT_DIR", "")
if not EDITORIAL_AUDIT_CHECKPOINT_DIR and DEBUG:
    EDITORIAL_AUDIT_CHECKPOINT_DIR = str(BASE_DIR / "var" / "audit-checkpoints")
elif not EDITORIAL_AUDIT_CHECKPOINT_DIR and not RUNNING_KEYLESS_COMMAND:
    raise ImproperlyConfigured(
        "EDITORIAL_AUDIT_CHECKPOINT_DIR must be set when DJANGO_DEBUG is off."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "simple_history",
    # Second factor for medical reviewers (accounts.second_factor): TOTP devices, in the admin.
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Sign-in lockout (accounts.lockout): failed attempts and locks, lifted in the admin.
    "axes",
    # Background tasks (django.tasks) kept in the database and run by `manage.py db_worker`.
    "django_tasks_db",
    "accounts",
    "references",
    "articles",
    "reviews",
    "public",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Near the outside, so on the way out it sees the final headers (session and CSRF cookies,
    # Vary) before deciding whether a shared cache may keep the response.
    "public.middleware.PublicCacheMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # ETag over the final body and 304 on If-None-Match, for every page.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as axes asks: it turns a request its backend refused, or just locked, into the 429.
    "axes.middleware.AxesMiddleware",
    # Last, so its process_exception sees a view's exception first: a service refusal (an illegal
    # transition, a failed guard, invalid input) becomes its 4xx page with the reasons, not a 500.
    "editorial.http_errors.RefusalMiddleware",
]

ROOT_URLCONF = "editorial.urls"
WSGI_APPLICATION = "editorial.wsgi.application"

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

# A PostgreSQL streaming replica for anonymous readers of the public site and the read API
# (editorial.replicas); everything else reads the primary. Without it: one database, no router.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
DATABASES = database_settings(
    base_dir=BASE_DIR,
    replica_url=DATABASE_REPLICA_URL,
    conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
)
# After a POST (or any write request) the writer reads the primary for this long: longer than
# the replica's lag, so they see what they just did.
EDITORIAL_REPLICA_STICKY_SECONDS = env_int("EDITORIAL_REPLICA_STICKY_SECONDS", 30)
if DATABASE_REPLICA_URL:
    DATABASE_ROUTERS = ["editorial.replicas.ReplicaRouter"]
    # Before anything that may query; inside PublicCacheMiddleware, which must see its cookie.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("public.middleware.PublicCacheMiddleware") + 1,
        "editorial.replicas.ReplicaMiddleware",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "editorial.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "editorial"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered HTML fragments of content that never changes under its key (a rendition's text and
# bibliography keyed by its content hash; a page of a list, of search results or a dashboard
# section keyed by the epoch it was read under) and live versions' renditions, kept in each
# process (`{% cache ... using="fragments" %}`). Not a page cache: every request still reads what
# can change (the article's live state, the epoch) and assembles the page (docs/scaling.md).
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "TIMEOUT": 60 * 60,
    "OPTIONS": {"MAX_ENTRIES": 1000},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reviews:dashboard"
LOGOUT_REDIRECT_URL = "public:home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("DJANGO_PLAIN_STATIC")
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

EMAIL_BACKEND_PATH = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {
    "default": {
        "BACKEND": EMAIL_BACKEND_PATH,
        "OPTIONS": (
            {
                "host": os.environ.get("DJANGO_EMAIL_HOST", "localhost"),
                "port": env_int("DJANGO_EMAIL_PORT", 587),
                "username": os.environ.get("DJANGO_EMAIL_USER", ""),
                "password": os.environ.get("DJANGO_EMAIL_PASSWORD", ""),
                "use_tls": env_bool("DJANGO_EMAIL_USE_TLS", True),
            }
            if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend")
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "editorial@localhost")

# URLs per sitemap file (/sitemap.xml is an index of sections paged at this size); 50,000 is the
# sitemaps protocol's limit.
EDITORIAL_SITEMAP_PAGE_SIZE = env_int("EDITORIAL_SITEMAP_PAGE_SIZE", 50_000)

# Background tasks: mail leaves through a task (reviews.notifications), never inside a request,
# so a slow or failing mail server neither delays nor breaks an editorial action. The database
# backend keeps each task as a row that `manage.py db_worker` runs (and the admin lists).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A send that fails is tried again after EDITORIAL_MAIL_RETRY_SECONDS, then twice that, and so
# on, up to EDITORIAL_MAIL_ATTEMPTS tries in all; the last failure is listed to editors.
EDITORIAL_MAIL_ATTEMPTS = env_int("EDITORIAL_MAIL_ATTEMPTS", 5)
EDITORIAL_MAIL_RETRY_SECONDS = env_int("EDITORIAL_MAIL_RETRY_SECONDS", 60)

# Security. Production values whenever debug is off; `check --deploy` is clean with them.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: editor.js takes the token from the form's hidden field.
CSRF_COOKIE_HTTPONLY = True

# Sign-in lockout (django-axes, glued in accounts.lockout). After EDITORIAL_LOGIN_MAX_FAILURES
# failed sign-ins (the sign-in page, the admin's, a reviewer's signing password), each within
# EDITORIAL_LOGIN_LOCKOUT_MINUTES of the last, one username at one client address is locked for
# EDITORIAL_LOGIN_LOCKOUT_MINUTES. The pair, not the account nor the address, so nobody can lock
# an account out from everywhere or every account behind a shared address; an address is locked
# on its own only after EDITORIAL_LOGIN_MAX_FAILURES_PER_ADDRESS failures over any usernames
# (default ten times the pair's limit; 0: never). Behind reverse proxies, set
# EDITORIAL_TRUSTED_PROXY_COUNT so the client's address is read from X-Forwarded-For.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked attempt before any password
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("EDITORIAL_LOGIN_MAX_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("EDITORIAL_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
EDITORIAL_LOGIN_MAX_FAILURES_PER_ADDRESS = env_int(
    "EDITORIAL_LOGIN_MAX_FAILURES_PER_ADDRESS", 10 * AXES_FAILURE_LIMIT
)
# A sign-in starts that username-and-address count afresh; an attempt refused by a lock is not a
# guess at the password (it was never checked), so it does not prolong the lock.
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False  # no banner on every start (every manage.py command)
EDITORIAL_TRUSTED_PROXY_COUNT = env_int("EDITORIAL_TRUSTED_PROXY_COUNT", 0)
# Authors, editors, medical reviewers, and superusers and staff: the session ends with the browser
# and, on the server, this many hours after signing in (accounts.sessions.SessionStore). Others
# keep SESSION_COOKIE_AGE.
SESSION_ENGINE = "accounts.sessions"
EDITORIAL_ROLE_SESSION_HOURS = env_int("EDITORIAL_ROLE_SESSION_HOURS", 8)
# Medical reviewers then also enter a code from an authenticator app (TOTP, django-otp).
EDITORIAL_REQUIRE_TOTP_FOR_REVIEWERS = env_bool("EDITORIAL_REQUIRE_TOTP_FOR_REVIEWERS")
OTP_TOTP_ISSUER = "Editorial Health Library"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# No inline scripts or styles: every script and stylesheet is a static file. JSON-LD blocks are
# data, not scripts, so they need no nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# --- editorial -----------------------------------------------------------------------------

# Audiences, in the order the chooser shows them. `fallback` is the order tried when a version has
# no text for this audience; `reading_grade` is the target Flesch-Kincaid grade (None: no target);
# `schema_audience` is the schema.org audience type used in JSON-LD.
EDITORIAL_AUDIENCES = [
    {
        "key": "patient",
        "label": "Patient",
        "description": "I have, or may have, this condition",
        "reading_grade": 8,
        "fallback": ["caregiver", "student", "clinician"],
        "schema_audience": "Patient",
    },
    {
        "key": "caregiver",
        "label": "Caregiver",
        "description": "I look after someone who has it",
        "reading_grade": 8,
        "fallback": ["patient", "student", "clinician"],
        "schema_audience": "Caregiver",
    },
    {
        "key": "student",
        "label": "Student",
        "description": "I am studying medicine or a health science",
        "reading_grade": 12,
        "fallback": ["clinician", "patient", "caregiver"],
        "schema_audience": "MedicalStudent",
    },
    {
        "key": "clinician",
        "label": "Clinician",
        "description": "I am a health professional",
        "reading_grade": None,
        "fallback": ["student", "patient", "caregiver"],
        "schema_audience": "Clinician",
    },
]
EDITORIAL_DEFAULT_AUDIENCE = os.environ.get("EDITORIAL_DEFAULT_AUDIENCE", "patient")
EDITORIAL_AUDIENCE_COOKIE = "audience"
# Keep rendered public pages in the cache. Only safe with a cache every app server shares (Redis):
# with per-process memory caches one worker's invalidation would not reach the others.
EDITORIAL_SHARED_PAGE_CACHE = env_bool("EDITORIAL_SHARED_PAGE_CACHE", bool(REDIS_URL))
# Renderings in which the first use of a glossary term carries its plain-language definition.
EDITORIAL_GLOSSARY_AUDIENCES = env_list("EDITORIAL_GLOSSARY_AUDIENCES", "patient,caregiver")
EDITORIAL_PUBLISHER_NAME = os.environ.get("EDITORIAL_PUBLISHER_NAME", "Editorial Health Library")
# Audiences an article must have text for before it can be submitted.
EDITORIAL_REQUIRED_AUDIENCES = env_list("EDITORIAL_REQUIRED_AUDIENCES", "patient,clinician")
# Separation of duties: whoever assigns a round's reviewers does not approve it, and an approver
# of a version does not publish it. A publisher with a board of one can allow it, knowingly.
EDITORIAL_ALLOW_ONE_PERSON_BOARD = env_bool("EDITORIAL_ALLOW_ONE_PERSON_BOARD")
# A reviewer whose credentials were verified longer ago than this cannot sign.
EDITORIAL_CREDENTIALS_VALID_MONTHS = env_int("EDITORIAL_CREDENTIALS_VALID_MONTHS", 24)
# Days from an approval to the next re-review (per-article override on the workflow).
EDITORIAL_REVIEW_INTERVAL_DAYS = env_int("EDITORIAL_REVIEW_INTERVAL_DAYS", 365)
# Days a reviewer is given for a round carried over to a resubmission (its new due date).
EDITORIAL_REVIEW_DAYS = env_int("EDITORIAL_REVIEW_DAYS", 14)
# What a reviewer's "changes requested" does to content live pending review: "take_down" (the
# default) takes it off the public site; "dispute" keeps it, marked to readers as disputed.
EDITORIAL_CHANGES_REQUESTED_LIVE = os.environ.get("EDITORIAL_CHANGES_REQUESTED_LIVE", "take_down")
if EDITORIAL_CHANGES_REQUESTED_LIVE not in {"take_down", "dispute"}:
    raise ImproperlyConfigured('EDITORIAL_CHANGES_REQUESTED_LIVE is "take_down" or "dispute".')
# Whether an editor may put content live before the board signs ("publish pending review"):
# "never", "low-risk" (the default: not content needing the high-risk quorum, such as dose
# statements) or "always".
EDITORIAL_PUBLISH_PENDING_REVIEW = os.environ.get("EDITORIAL_PUBLISH_PENDING_REVIEW", "low-risk")
if EDITORIAL_PUBLISH_PENDING_REVIEW not in {"never", "low-risk", "always"}:
    raise ImproperlyConfigured(
        'EDITORIAL_PUBLISH_PENDING_REVIEW is "never", "low-risk" or "always".'
    )
