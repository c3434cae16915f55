"""Settings for Pathway Navigator, read from the environment with safe development defaults.

DATABASE_URL picks the database (SQLite file by default), DJANGO_DEBUG=1 turns debug on,
DJANGO_ENV=production demands a real SECRET_KEY and ALLOWED_HOSTS and turns on HTTPS-only
cookies and the redirect to HTTPS. The security headers are the same in every environment, so
the tests see what production sends. `.env.example` lists every variable.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


FLAG_VALUES = {"1": True, "true": True, "yes": True, "on": True}
FLAG_VALUES |= {"0": False, "false": False, "no": False, "off": False}


def env_flag(name: str, default: bool) -> bool:
    """A yes/no environment variable: 1/0, true/false, yes/no or on/off in any case; unset or
    empty means `default`. Anything else stops the server: a typo must not quietly mean no."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if value.lower() not in FLAG_VALUES:
        raise ImproperlyConfigured(
            f"{name}={value!r} is neither yes nor no: use 1/0, true/false, yes/no or on/off "
            "(any case), or leave it empty for the default."
        )
    return FLAG_VALUES[value.lower()]


ENVIRONMENT = os.environ.get("DJANGO_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"
DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1" and not PRODUCTION

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
# Rotating the key: the old one here (comma-separated) keeps sessions and forms signed with it
# valid until they expire.
SECRET_KEY_FALLBACKS = [k for k in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if k]

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
if not ALLOWED_HOSTS:
    if PRODUCTION:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_filters",
    "django_htmx",
    "simple_history",
    # django-ninja: the JSON API; listed so its docs page uses its own static Swagger UI.
    "ninja",
    "axes",
    "pathways",
]

MIDDLEWARE = [
    # The header-setting middleware comes before WhiteNoise, so static files (SVG icons
    # included) carry the same security headers as pages.
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Under /fhir/, any error the layers below answer (404, CSRF, guard, outage, 500) is an
    # OperationOutcome, keeping their status and headers.
    "pathways.integration.fhir_server.errors_as_operation_outcomes",
    # Before anything reads the database: a NUL in an address or a form is refused with a
    # 400 here, never passed on to a query (PostgreSQL raises on it) or stored (SQLite would).
    "pathways.operations.guard.refuse_control_characters",
    "pathways.operations.outage.DatabaseUnavailableMiddleware",
    # Compresses what the next one leaves public, and nothing private (BREACH).
    "pathways.operations.http_caching.PublicGZipMiddleware",
    # Before the session and CSRF middleware, so it sees their Vary and cookies: a page any
    # cache may keep varies on HX-Request (and Accept-Encoding) and sets no cookie.
    "pathways.operations.http_caching.SharedCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Lets every historical record written during a request name the person who made it.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Marks responses to signed-in people private, so the offline copy keeps none of them.
    "pathways.offline.views.signed_in_responses_are_private",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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

WSGI_APPLICATION = "config.wsgi.application"

# Persistent connections: opening a PostgreSQL connection per request costs about 6x in
# throughput. Health checks drop a connection the server closed instead of failing a request.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
# A server that does not answer must cost a visitor seconds, not minutes: give up connecting
# after 2 s (libpq's minimum) and drop a connection whose packets go unacknowledged for 2 s,
# so the outage page (pathways.operations.outage) comes back quickly.
POSTGRESQL_OPTIONS = {"connect_timeout": 2, "tcp_user_timeout": 2000}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).update(POSTGRESQL_OPTIONS)

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, for the test database: the browser tests' live server then opens
    # its own connection instead of sharing the test thread's across threads.
    DATABASES["default"]["TEST"] = {"NAME": BASE_DIR / ".test-db.sqlite3"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# What pages reuse (pathways.operations.caching): the content version, which every content
# save changes in the database, and the parts of pages built for it, kept in the "pages"
# cache with the version as their cache version. Each worker keeps the version it read for
# CONTENT_VERSION_SECONDS, then reads it again (one indexed query): a change reaches every app
# server within that time, even when Redis stalls, fails or restarts. "pages" has two tiers:
# each process's memory in front of "shared", which is Redis with REDIS_URL
# (redis://host:6379/0), shared by every app server, and each worker's memory without it.
# Sessions and sign-in attempts are in the database either way. Redis is asked to answer
# within half a second: a stopped Redis costs speed, never a page. Whole pages are kept by
# HTTP caches in front (docs/deploy.md), not here.
CONTENT_VERSION_SECONDS = float(os.environ.get("CONTENT_VERSION_SECONDS", "2"))
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
PAGE_PARTS_SECONDS = 60 * 60 * 24

if REDIS_URL:
    SHARED_CACHE = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "pages",
        "TIMEOUT": PAGE_PARTS_SECONDS,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
else:
    # Cards for every entry of 50 pathways (10,000) fit; about 3 KB each.
    SHARED_CACHE = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "shared",
        "TIMEOUT": PAGE_PARTS_SECONDS,
        "OPTIONS": {"MAX_ENTRIES": 12000},
    }
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": SHARED_CACHE,
    "pages": {
        "BACKEND": "pathways.operations.caching.TwoTierCache",
        "LOCATION": "pages",
        "TIMEOUT": PAGE_PARTS_SECONDS,
        "KEY_FUNCTION": "pathways.operations.caching.release_key",
        "OPTIONS": {"SHARED": "shared", "MAX_ENTRIES": 20000},
    },
}

# How long anonymous pages may be kept (pathways.operations.http_caching): a browser for
# PAGE_MAX_AGE seconds, a shared cache (nginx, a CDN) for PAGE_SHARED_MAX_AGE and then, while
# it revalidates with the ETag in the background, PAGE_STALE_SECONDS more. An approved change
# reaches every reader within the sum of the longest two.
PAGE_MAX_AGE = int(os.environ.get("PAGE_MAX_AGE", "30"))
PAGE_SHARED_MAX_AGE = int(os.environ.get("PAGE_SHARED_MAX_AGE", "10"))
PAGE_STALE_SECONDS = int(os.environ.get("PAGE_STALE_SECONDS", "30"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # Twelve digits are a PIN, and a date or a phone number at that.
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in throttling (django-axes): five failures for one username, from any addresses, lock
# that username out for 5 minutes. By username, so that guesses spread over many addresses
# count together; not by address, so a trust whose staff share one public address do not
# lock each other out. Short, so that someone who fails on purpose to lock a real editor out
# costs them minutes; five guesses per 5 minutes against 12-character passwords that are not
# common or all digits is hopeless. Attempts live in the database, so every app server behind
# the load balancer sees the same count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, except that staff scoped to areas hold local permissions only.
    "pathways.local.scoping.ScopedModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=5)
# The pair as well as the username alone: the same count either way today, but the pair is
# what axes keys its records and its checks (axes.W006) on, and it keeps per-address
# throttling if the limits ever differ.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "pathways.operations.accounts.locked_out"
AXES_USERNAME_CALLABLE = "pathways.operations.accounts.username_of"
# Where a request comes from, for the lock-out log and the problem-report limit: behind
# PROXY_COUNT proxies that each append to X-Forwarded-For (one load balancer: 1), believed only
# from the addresses in FORWARDED_ALLOW_IPS (comma-separated addresses or networks, "*" for
# any), the variable gunicorn reads for X-Forwarded-Proto; see pathways.operations.clients.
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
FORWARDED_ALLOW_IPS = [
    address.strip()
    for address in os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1").split(",")
    if address.strip()
]
AXES_CLIENT_IP_CALLABLE = "pathways.operations.clients.client_ip"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# collectstatic is a production step; in development files come straight from the finders.
STATIC_ROOT = BASE_DIR / "staticfiles" if PRODUCTION else None
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "pathways.operations.static_storage.HashedModulesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production, serve static files straight from the app folders, no collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "admin:login"

# Editors explain their changes in their own words; a reason is not limited to 100 characters.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
# Security headers, the same everywhere. The Content Security Policy allows our own files only:
# no inline script or style (templates/ has none, a test keeps it so), no eval (htmx is told
# not to use it in base.html). The NHS.UK stylesheet asks for Frutiger from assets.nhs.uk; the
# policy blocks it and the page falls back to Arial, as the NHS.UK font stack intends, rather
# than depend on a host practitioners' networks may block.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
}
# Browsers only honour HSTS over HTTPS, and SecurityMiddleware only sends it there.
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# TLS ends at the load balancer; gunicorn marks a request secure when the balancer says so
# (X-Forwarded-Proto from an address in FORWARDED_ALLOW_IPS, see config/gunicorn.conf.py).
# `make serve` turns the redirect off to serve plain HTTP on 127.0.0.1.
SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", default=PRODUCTION)
# Load balancers probe app servers over plain HTTP; a redirect would read as "unhealthy".
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
# Our pages send the CSRF token from the template (hx-headers, hidden inputs), so no script
# needs to read the cookie.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Editors sign in on shared NHS computers: a session lasts a working day, not two weeks.
SESSION_COOKIE_AGE = 60 * 60 * 9

# `make bench` measures a trivial view as the ceiling of the stack; it answers 404 otherwise.
BENCH = env_flag("DJANGO_BENCH", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "timestamped": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "timestamped"},
    },
    "loggers": {
        # pathways.security: sign-ins and lock-outs; pathways.availability: database outages.
        "pathways": {"handlers": ["console"], "level": "INFO"},
        # Django prints these to the console only with DEBUG on; in production a 500's
        # traceback and a refused Host header must reach the server log too.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.security": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# The site's own address, as practitioners reach it. Canonical URLs of the FHIR resources and
# the links on CDS Hooks cards are built from it, never from the Host of a request: an EHR
# stores them, and a request can come in through any name the server answers to.
# Unset in production, it is the first of ALLOWED_HOSTS over HTTPS.
SITE_URL = os.environ.get("SITE_URL", "").strip().rstrip("/")
if not SITE_URL:
    SITE_URL = f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION else "http://127.0.0.1:8000"

# Email (Django's mailers): publishers who ask for it hear when a change waits for them
# (pathways.editing.notifications). Development prints messages to the console; production
# sends through SMTP, to EMAIL_HOST (a relay on the server itself by default).
EMAIL_BACKEND_PATH = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
).strip()
SMTP_OPTIONS = {
    "host": os.environ.get("EMAIL_HOST", "localhost"),
    "port": int(os.environ.get("EMAIL_PORT", "25")),
    "username": os.environ.get("EMAIL_HOST_USER", ""),
    "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
    "use_tls": env_flag("EMAIL_USE_TLS", default=False),
    # A mail server that does not answer must not hold a publisher's save for long.
    "timeout": 10,
}
MAILERS = {
    "default": {
        "BACKEND": EMAIL_BACKEND_PATH,
        "OPTIONS": SMTP_OPTIONS if EMAIL_BACKEND_PATH.endswith(".smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Pathway Navigator <pathways@localhost>")

# CDS Hooks (pathways.integration.cds_hooks, docs/integration.md). Each EHR that may call the
# service is an issuer of signed JWTs with its public keys: a JSON object from "iss" to either
# {"jwks_url": "https://..."} or {"jwks": {"keys": [...]}}. Optionally "area": "<slug>" too:
# that issuer's cards then carry the published area's local services (an area not published
# is logged as a warning and its cards are national).
CDS_HOOKS_CLIENTS = json.loads(os.environ.get("CDS_HOOKS_CLIENTS", "") or "{}")
# Calls without a JWT are refused unless this is on; it is on only in development. Read even
# when it cannot apply, so that a value that cannot be read is refused everywhere.
CDS_HOOKS_ALLOW_UNSIGNED = env_flag("CDS_HOOKS_ALLOW_UNSIGNED", default=True) and DEBUG
# Seconds to wait for the EHR's FHIR server when the service fetches the child's record itself.
CDS_HOOKS_FHIR_TIMEOUT = float(os.environ.get("CDS_HOOKS_FHIR_TIMEOUT", "3"))
# Browser-based EHRs allowed to call the service (comma-separated origins); empty: any origin.
# Authentication is the JWT in the Authorization header, never a cookie, so any origin may ask.
CDS_HOOKS_ALLOWED_ORIGINS = [
    o.strip() for o in os.environ.get("CDS_HOOKS_ALLOWED_ORIGINS", "").split(",") if o.strip()
]
