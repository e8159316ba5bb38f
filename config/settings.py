"""Trygg settings. Every value comes from the environment (or the bootstrap's `.env`)."""

import mimetypes
import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from config.env import (
    database_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    load_dotenv,
)

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")

# MapLibre ships ES modules only; browsers refuse them unless served as JavaScript.
mimetypes.add_type("text/javascript", ".mjs")

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key" if DEBUG else None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"  # Trygg's page, not Django's

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "config.staticfiles.CollectedStaticFiles",  # django.contrib.staticfiles
    "django.contrib.gis",
    "django.contrib.humanize",  # intcomma: a million rows read as 1,000,000 (1 000 000 in sv)
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "corsheaders",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "geo",
    "walks",
    "layers",
    "tiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.PrivateWhenSignedIn",
    "config.middleware.CompressData",
    "corsheaders.middleware.CorsMiddleware",
    "config.middleware.RejectNulInQuery",
    "config.middleware.TokenRefusedAs401",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "walks.middleware.ReleaseHeader",
]
# Map tiles (/tiles/….mvt and ….png) are served by a second handler with only the middleware
# that concerns them (config/wsgi.py): HTTPS and security headers, the NUL guard, host checks and
# session authentication, and the language of refusals. Static files, CSRF (tiles are GET only),
# messages, framing and CSP do not apply to binary tiles, and skipping them is a third of a
# revalidation's cost.
TILE_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "config.middleware.RejectNulInQuery",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.RefusalsInRequestLanguage",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

# The map's tiles, style and TileJSON, and the OGC API, are for any MapLibre or GIS client, also
# a web page on another site (which needs CORS; QGIS does not). Any origin may read them, never
# with the visitor's cookies (no credentials): a page elsewhere sees what the token it sends, or
# a published area, allows, and nothing of the signed-in user's session.
CORS_URLS_REGEX = r"^/(tiles|ogc)/"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["ETag"]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "config.context_processors.background_without_messages",
            ],
        },
    },
]

# GDAL's vector VRT driver opens whatever files or URLs a VRT names: never for an upload
# (layers/importers/geofiles.py also checks content and driver). Set before GDAL registers its
# drivers, which happens when pyogrio is first imported, after the settings.
os.environ.setdefault("GDAL_SKIP", "OGR_VRT")

DATABASES = {"default": database_from_url("DATABASE_URL")}
# PostgreSQL's JIT compiles every statement its planner deems costly: a vector tile statement then
# spent ~250 ms compiling to run in 1–50 ms (bench/tiles). Off for Trygg's own connections.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# Parameters bound by the server: psycopg then prepares a statement a connection runs often, and
# a vector tile statement is planned once per connection instead of on every request (~1 ms of a
# 1.5 ms revalidation, bench/tiles).
DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's own, first the default; accounts.hashers.FirstPasswordHasher for the first passwords
# of accounts made from a list on the members page, rehashed with the default on first login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "accounts.hashers.FirstPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish")), ("da", _("Danish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Stockholm")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/maplibre", BASE_DIR / "node_modules" / "maplibre-gl" / "dist"),
    # The zip archive My walks hands over the findings a tablet could not send in.
    ("vendor/fflate", BASE_DIR / "node_modules" / "fflate" / "esm"),
    # The sun's height, for the walk planner's day or night (BSD-2-Clause, its LICENSE beside).
    ("vendor/suncalc", BASE_DIR / "node_modules" / "suncalc"),
]
# collectstatic also writes a gzip copy of each file, which WhiteNoise serves to browsers that
# accept it: MapLibre's module is 1.1 MB as it is, a fraction of that compressed, and tablets
# in the field load it over mobile data.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "config.openapi.TaggedSchema",
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": None},  # set from TRYGG_LOGIN_RATE below
    # Throttles count per client address. Left unset, DRF took it from X-Forwarded-For, which
    # any client writes: a new made-up address per guess and passwords could be tried without
    # end. The address is the connection's, or, behind N proxies of one's own, the one they add.
    "NUM_PROXIES": env_int("TRYGG_NUM_PROXIES", 0, minimum=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Trygg API",
    "DESCRIPTION": "Safety walks, recorded crime and perceived insecurity, block by block.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get components of their own, so an upload's file is `binary` and the docs
    # page offers a file picker (a shared component made it a URI text field).
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.list_tags",
        "config.openapi.blank_optional_form_fields",
        "config.openapi.add_error_responses",
        "config.openapi.forbid_nul_in_query_strings",
    ],
}

TASKS = {"default": {"BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

# Upload limits: refuse big bodies before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024, minimum=1)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Domain settings (documented in docs/ and the README).
TRYGG_SNAP_DISTANCE_M = env_float("TRYGG_SNAP_DISTANCE_M", 25.0, minimum=0)
TRYGG_MIN_AGGREGATE_COUNT = env_int("TRYGG_MIN_AGGREGATE_COUNT", 3, minimum=1)
TRYGG_OUTSIDE_TOLERANCE_M = env_float("TRYGG_OUTSIDE_TOLERANCE_M", 100.0, minimum=0)
TRYGG_MIN_POSTGIS = (3, 1)
# Largest file an import accepts (upload or command), and what a zip may expand to.
TRYGG_IMPORT_MAX_BYTES = env_int("TRYGG_IMPORT_MAX_BYTES", 1024 * 1024 * 1024, minimum=1)

# Database sessions whose row names the user, so a browser's map tile is one statement
# (accounts/models.py). django.contrib.sessions stays installed for `clearsessions`.
SESSION_ENGINE = "accounts.sessions"

# Production hardening: on unless DEBUG. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER=1 so Django trusts X-Forwarded-Proto.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# A load balancer's or supervisor's probe asks the web server itself, over plain HTTP: redirected
# to HTTPS, it read the live service as down. /healthz carries nothing secret.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG and len(SECRET_KEY) < 50:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Setting SECRET_KEY must be at least 50 characters in production")

# Content-Security-Policy: scripts only from our own files, so script smuggled into a note or a
# label can never run. MapLibre needs blob: workers and sets inline styles on its controls.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "worker-src": ["'self'", "blob:"],
        "child-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Throttling state must be shared by all web workers, so it lives in the database.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "trygg_cache"},
}
TRYGG_LOGIN_RATE = env_str("TRYGG_LOGIN_RATE", "10/min")
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"] = TRYGG_LOGIN_RATE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"gdal_skip": {"()": "config.logfilters.WithoutGdalSkipNotice"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"rasterio._env": {"filters": ["gdal_skip"]}},
}

# Django 5.2 warns that GDAL before 3.9 cannot block file and network access from spatial
# references. Debian 12 ships GDAL 3.6; uploaded files are opened from a private temporary copy
# and CRSs are read from files, never from user-supplied URLs (see docs/privacy.md).
SILENCED_SYSTEM_CHECKS = ["gis.W001"]
