"""Settings for Barnraise, read from the environment and nowhere else.

Every variable is listed in the README. Defaults give the embedded setup: SQLite under ./var/,
huey on SQLite, the database cache, email to the console. A value that is set but unusable
raises ImproperlyConfigured here, at start-up, with a message that names the variable.
"""

import os
import secrets
import zoneinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

from barnraise import __version__, object_storage
from barnraise.observability import logs

PACKAGE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BARNRAISE_VAR_DIR", Path.cwd() / "var")).resolve()
VERSION = __version__

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no.")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into ./var/secret_key."""
    key = os.environ.get("SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long.")
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def _database(url: str) -> dict[str, object]:
    try:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    except Exception as exc:  # dj_database_url raises plain ValueError or KeyError
        raise ImproperlyConfigured(f"DATABASE_URL could not be parsed: {exc}") from exc
    engine = str(config.get("ENGINE", ""))
    if engine == "django.db.backends.sqlite3":
        name = str(config["NAME"])
        if name not in ("", ":memory:"):
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        # IMMEDIATE makes every write transaction take the write lock at BEGIN, so a
        # check-then-insert inside one transaction (the overlap check of a booking) is
        # serialized. WAL lets readers carry on while one writer works.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 5,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;",
        }
        # Keep connections: opening one per request costs set-up time and a cold page cache.
        config["CONN_MAX_AGE"] = 60
        config["CONN_HEALTH_CHECKS"] = True
        # Django's backend, with a process's writers queued rather than polling (barnraise.sqlite).
        config["ENGINE"] = "barnraise.sqlite"
    elif engine == "django.db.backends.postgresql":
        config["CONN_HEALTH_CHECKS"] = True
        # JIT compilation adds ~200 ms to short indexed queries (measured on the search bench);
        # an OLTP marketplace never runs the long analytic queries it pays off for.
        options: dict[str, object] = dict(config.get("OPTIONS") or {})  # type: ignore[call-overload]  # dj-database-url types OPTIONS loosely
        config["OPTIONS"] = {**options, "options": "-c jit=off"}
    else:
        raise ImproperlyConfigured(
            f"DATABASE_URL names an unsupported database ({engine}); use sqlite:// or postgres://."
        )
    return config


def _site_url() -> str:
    url = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(f"SITE_URL={url!r} must be an absolute http(s) URL.")
    return url


PAYOUT_SCHEDULE_NAMES = ("weekly", "monthly", "on_request")  # ledger.models.PayoutSchedule


def _payout_schedules() -> tuple[list[str], str]:
    """PAYOUT_SCHEDULES (the schedules members may choose, comma-separated) and
    PAYOUT_SCHEDULE_DEFAULT (one of them: what a member who chose nothing gets)."""
    offered = [name.strip().lower() for name in os.environ.get("PAYOUT_SCHEDULES", "").split(",")]
    offered = [name for name in offered if name] or list(PAYOUT_SCHEDULE_NAMES)
    wrong = [name for name in offered if name not in PAYOUT_SCHEDULE_NAMES]
    if wrong:
        raise ImproperlyConfigured(
            f"PAYOUT_SCHEDULES names {', '.join(wrong)}; use weekly, monthly and/or on_request."
        )
    default = os.environ.get("PAYOUT_SCHEDULE_DEFAULT", "").strip().lower() or offered[0]
    if default not in offered:
        raise ImproperlyConfigured(f"PAYOUT_SCHEDULE_DEFAULT={default!r} must be one of PAYOUT_SCHEDULES.")
    return offered, default


def _payment_provider() -> str:
    name = os.environ.get("PAYMENT_PROVIDER", "sandbox").strip().lower()
    if name not in ("sandbox", "stripe"):
        raise ImproperlyConfigured(
            f"PAYMENT_PROVIDER={name!r} is not a payment provider; use sandbox or stripe."
        )
    return name


def _stripe_settings(payment_provider: str) -> tuple[str, str, str]:
    """STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_API_BASE; the keys are required
    when Stripe is the payment provider, and each set value must look like what it names."""
    key = os.environ.get("STRIPE_SECRET_KEY", "").strip()
    webhook_secret = os.environ.get("STRIPE_WEBHOOK_SECRET", "").strip()
    base = os.environ.get("STRIPE_API_BASE", "").strip().rstrip("/")
    if payment_provider == "stripe" and not (key and webhook_secret):
        raise ImproperlyConfigured(
            "PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY (sk_… or rk_…) and "
            "STRIPE_WEBHOOK_SECRET (whsec_…, from the webhook endpoint in Stripe's dashboard)."
        )
    if key and not key.startswith(("sk_", "rk_")):
        raise ImproperlyConfigured("STRIPE_SECRET_KEY must be a secret (sk_…) or restricted (rk_…) key.")
    if webhook_secret and not webhook_secret.startswith("whsec_"):
        raise ImproperlyConfigured("STRIPE_WEBHOOK_SECRET must be an endpoint signing secret (whsec_…).")
    parts = urlsplit(base)
    if base and (parts.scheme not in ("http", "https") or not parts.hostname):
        raise ImproperlyConfigured(f"STRIPE_API_BASE={base!r} must be an absolute http(s) URL.")
    if base and parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        # The secret key goes with every request: plain HTTP only to this machine (a test fake).
        raise ImproperlyConfigured(f"STRIPE_API_BASE={base!r} must use https unless it is on this machine.")
    return key, webhook_secret, base


def _local_or_https_url(name: str, keep_braces: bool = False) -> str:
    value = os.environ.get(name, "").strip().rstrip("/")
    parts = urlsplit(value.replace("{s}", "a") if keep_braces else value)
    if value and (parts.scheme not in ("http", "https") or not parts.hostname):
        raise ImproperlyConfigured(f"{name}={value!r} must be an absolute http(s) URL.")
    if value and parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ImproperlyConfigured(f"{name}={value!r} must use https unless it is on this machine.")
    return value


def _point(name: str) -> tuple[float, float] | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        lat, lng = (float(part) for part in value.split(","))
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} must be latitude,longitude.") from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ImproperlyConfigured(f"{name}={value!r} is not a point on Earth.")
    return lat, lng


def _media_public_url() -> str:
    url = os.environ.get("MEDIA_PUBLIC_URL", "").strip()
    parts = urlsplit(url)
    if url and (parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment):
        raise ImproperlyConfigured(
            f"MEDIA_PUBLIC_URL={url!r} must be an absolute http(s) URL with no query "
            "(where browsers read public media: a CDN or the store)."
        )
    return url


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _storages(debug: bool, public_url: str) -> tuple[dict[str, dict[str, Any]], str, list[str]]:
    """STORAGES, MEDIA_URL, and the origins pages load images from besides their own: the local
    disk, or the object stores of MEDIA_STORAGE_URL and PRIVATE_STORAGE_URL
    (barnraise.object_storage)."""
    media_raw = os.environ.get("MEDIA_STORAGE_URL", "").strip()
    private_raw = os.environ.get("PRIVATE_STORAGE_URL", "").strip()
    media = object_storage.parse("MEDIA_STORAGE_URL", media_raw, private=False) if media_raw else None
    private = object_storage.parse("PRIVATE_STORAGE_URL", private_raw, private=True) if private_raw else None
    if media and private and (media.endpoint, media.bucket) == (private.endpoint, private.bucket):
        raise ImproperlyConfigured(
            "MEDIA_STORAGE_URL and PRIVATE_STORAGE_URL name the same bucket: use two buckets, since "
            "the media bucket is readable by anyone and the private one by no one."
        )
    if media:
        media_url = object_storage.public_base_url(media, public_url)
        default = object_storage.storage_entry(media, private=False, public_url=public_url)
    else:
        media_url = public_url.rstrip("/") + "/" if public_url else "/media/"
        default = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    origins = [_origin(media_url)] if urlsplit(media_url).scheme else []
    if private:
        private_entry = object_storage.storage_entry(private, private=True)
        # A page image of a PDF (inline) is a redirect to the private store.
        origins.append(_origin(object_storage.bucket_url(private)))
    else:
        # Identity documents and licences: outside MEDIA_ROOT and never served by URL.
        private_entry = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": os.environ.get("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private"))},
        }
    static = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
        if debug
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    storages = {"default": default, "private": private_entry, "staticfiles": {"BACKEND": static}}
    return storages, media_url, sorted(set(origins))


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = _secret_key()
SITE_URL = _site_url()
SITE_NAME = os.environ.get("SITE_NAME", "Barnraise")
_site = urlsplit(SITE_URL)
HTTPS = _site.scheme == "https"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", str(_site.hostname)])
CSRF_TRUSTED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]

DATABASES = {
    "default": _database(os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'barnraise.sqlite3'}"))
}
DATABASE_VENDOR = (
    "postgresql" if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" else "sqlite"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _replica(url: str) -> dict[str, object]:
    """DATABASE_REPLICA_URL: a PostgreSQL streaming replica of DATABASE_URL (barnraise.replica)."""
    if DATABASE_VENDOR != "postgresql":
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL needs PostgreSQL: SQLite has no read replicas (unset it, or set "
            "DATABASE_URL to postgres://)."
        )
    try:
        config = _database(url)
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(str(exc).replace("DATABASE_URL", "DATABASE_REPLICA_URL")) from exc
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a postgres:// URL, like DATABASE_URL.")
    options: dict[str, object] = dict(config["OPTIONS"])  # type: ignore[call-overload]  # set by _database
    # An unreachable replica costs a page this long before its reads fall back to the primary.
    config["OPTIONS"] = {"connect_timeout": 3, **options}
    # In the test suite the replica is the primary's own test database (Django's test mirror).
    config["TEST"] = {"MIRROR": "default"}
    return config


if _replica_url := os.environ.get("DATABASE_REPLICA_URL", "").strip():
    DATABASES["replica"] = _replica(_replica_url)
# Reads go to the primary unless code opts in with barnraise.replica.replica_reads().
DATABASE_ROUTERS = ["barnraise.replica.ReplicaRouter"]

# Metrics (docs/deployment.md): `/metrics` answers only a scraper sending
# `Authorization: Bearer <METRICS_TOKEN>`; unset, the endpoint does not exist and nothing is
# counted. METRICS_DIR holds the per-process files of `barnraise serve` and `worker`.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "").strip()
if METRICS_TOKEN and len(METRICS_TOKEN) < 24:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 24 characters long.")
METRICS_DIR = Path(os.environ.get("METRICS_DIR", VAR_DIR / "metrics")).resolve()

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL and urlsplit(REDIS_URL).scheme not in ("redis", "rediss", "unix"):
    raise ImproperlyConfigured(f"REDIS_URL={REDIS_URL!r} must start with redis://, rediss://.")

if REDIS_URL:
    # With metrics on, every command of the cache and the queue is timed by the class of their
    # connections (barnraise.observability.redis_timing); huey takes the URL's parts for that.
    _cache_pool: dict[str, Any] = {}
    _queue_connection: dict[str, Any] = {"url": REDIS_URL}
    if METRICS_TOKEN:
        from barnraise.observability import redis_timing

        _cache_pool = redis_timing.cache_options(REDIS_URL)
        _queue_connection = redis_timing.queue_connection(REDIS_URL)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": _cache_pool,
        }
    }
    HUEY = {
        "huey_class": "barnraise.observability.queue.RedisHuey",
        "name": "barnraise",
        "connection": _queue_connection,
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    # The cache table is created by a migration of barnraise.api, so a fresh database has it.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "barnraise_cache",
        }
    }
    # huey opens its file at start-up: the directory must exist also when SECRET_KEY comes from
    # the environment (then nothing else has made ./var yet).
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    HUEY = {
        "huey_class": "barnraise.observability.queue.SqliteHuey",
        "name": "barnraise",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

TASKS = {
    "default": {
        "BACKEND": "huey.contrib.djhuey.tasks_backend.HueyBackend",
        # A task is queued only once the transaction that asked for it has committed.
        "ENQUEUE_ON_COMMIT": True,
    }
}

try:
    _email = dj_email_url.parse(os.environ.get("EMAIL_URL", "console://"))
except Exception as exc:  # dj_email_url raises plain ValueError or KeyError
    raise ImproperlyConfigured(f"EMAIL_URL could not be parsed: {exc}") from exc
if "EMAIL_BACKEND" not in _email:
    raise ImproperlyConfigured(
        "EMAIL_URL must start with smtp://, smtps://, submission://, console:// or memory://."
    )
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Barnraise <noreply@barnraise.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media")).resolve()
# Where browsers read public media (a CDN, or the store's own address of the media bucket);
# optional: the store's address, or /media/ on the local disk, otherwise.
MEDIA_PUBLIC_URL = _media_public_url()
STORAGES, MEDIA_URL, STORAGE_ORIGINS = _storages(DEBUG, MEDIA_PUBLIC_URL)
# Django's own file view answers /media/ from MEDIA_ROOT only when this is on: with DEBUG, and
# under `barnraise demo`. `barnraise serve` turns it off: a reverse proxy, the store or a CDN
# serves public media in production (docs/deployment.md).
SERVE_MEDIA = env_bool("SERVE_MEDIA", DEBUG) and STORAGES["default"]["BACKEND"] != object_storage.S3_BACKEND
STATIC_ROOT = VAR_DIR / "static"
STATIC_URL = "/static/"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "huey.contrib.djhuey",
    # Before allauth, so that the site's templates override allauth's.
    "barnraise.web",
    "allauth",
    "allauth.account",
    "ninja",
    "barnraise.accounts",
    "barnraise.notifications",
    "barnraise.eventlog",
    "barnraise.catalog",
    "barnraise.search",
    "barnraise.timers",
    "barnraise.commerce",
    "barnraise.ledger",
    "barnraise.trust",
    "barnraise.messaging",
    "barnraise.casework",
    "barnraise.reputation",
    "barnraise.api",
    "barnraise.observability",
]

MIDDLEWARE = [
    # First: every answer gets a request id and a log line, the early 413/414 too.
    "barnraise.observability.middleware.RequestObservationMiddleware",
    "barnraise.api.middleware.BodySizeLimitMiddleware",
    "barnraise.api.middleware.QueryStringLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "barnraise.web.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "barnraise.web.middleware.ViewerTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "barnraise.api.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "barnraise.config.urls"
WSGI_APPLICATION = "barnraise.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "barnraise.web.context_processors.site",
            ],
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "barnraise.accounts.passwords.NotBlankValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "barnraise.accounts.adapters.AccountAdapter"
ACCOUNT_USER_DISPLAY = "barnraise.accounts.adapters.user_display"
ACCOUNT_FORMS = {"signup": "barnraise.accounts.forms.SignupForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
# Members sign in (page or token) only once they have confirmed their address: whoever signs up
# with someone else's address never holds a session or a token. Sign-up answers alike for new
# and taken addresses (ACCOUNT_PREVENT_ENUMERATION, allauth's default).
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# Tell the member by email when their password is changed or reset (or their address changes).
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = _site.scheme
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    # Wrong passwords: not allauth's per-email lock, which let anyone lock a member out, but
    # the limits the API shares (login_failed:* below; accounts.adapters.pre_authenticate).
    "login_failed": "",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}

# API limits: (requests, seconds) per IP and per account for the auth endpoints.
API_RATE_LIMITS = {
    "signup:ip": (10, 60),
    "token:ip": (30, 60),
    # Wrong passwords, shared by the token exchange and the login page (accounts.login_limits):
    # per account and client network, per client network (an IPv6 client by its /64), and a
    # per-account ceiling that only turns away networks that have failed on the account.
    "login_failed:pair": (10, 300),
    "login_failed:address": (30, 300),
    "login_failed:account": (100, 3600),
    "signup_taken:email": (1, 300),
    "email_confirm:ip": (30, 60),
    "verification:account": (3, 600),
    "message:member": (30, 60),
    "report:member": (10, 3600),
    "phone_code:account": (3, 900),
}
# How many reverse proxies in front of the app append to X-Forwarded-For (0: trust none).
NUM_PROXIES = int(os.environ.get("NUM_PROXIES", "0"))
API_MAX_BODY_BYTES = 1024 * 1024
API_MAX_UPLOAD_BYTES = 12 * 1024 * 1024
# The longest query string the API reads (as sent, percent-encoded); longer is 414 `uri_too_long`.
# Well within the request line gunicorn takes under `barnraise serve` (8190 bytes).
API_MAX_QUERY_STRING = 4096
# gthread threads per gunicorn worker under `barnraise serve` and `demo`, and in the search bench's
# server: measured in docs/performance.md (Search, throughput).
SERVE_THREADS = 2
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_UPLOAD_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
NINJA_PAGINATION_MAX_LIMIT = 100

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "barnraise.api.root.csrf_failure"  # JSON under /api/, Django's page elsewhere
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS and not DEBUG else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None

# Deployment-specific transaction actions and guards, by dotted path (docs/processes.md).
BARNRAISE_ACTIONS: dict[str, str] = {}
BARNRAISE_GUARDS: dict[str, str] = {}

# The payment provider (barnraise.ledger.providers): sandbox (default) or stripe.
PAYMENT_PROVIDER = _payment_provider()
# How long the sandbox's card authorizations hold (Stripe's: 7 days), in hours: a deal that
# starts further out is paid with a saved card nearer the date (docs/money.md). Tests shorten it.
SANDBOX_AUTHORIZATION_WINDOW_HOURS = int(os.environ.get("SANDBOX_AUTHORIZATION_WINDOW_HOURS", "168"))
# Stripe (docs/money.md); STRIPE_API_BASE is empty (Stripe's own API) except in tests.
STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_API_BASE = _stripe_settings(PAYMENT_PROVIDER)
# The publishable key (pk_…) the pages give Stripe.js (the payment element; docs/money.md).
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "").strip()
if STRIPE_PUBLISHABLE_KEY and not STRIPE_PUBLISHABLE_KEY.startswith("pk_"):
    raise ImproperlyConfigured("STRIPE_PUBLISHABLE_KEY must be a publishable key (pk_…).")
# Payout schedules the operator offers members, and the default (docs/money.md, Payouts).
PAYOUT_SCHEDULES, PAYOUT_SCHEDULE_DEFAULT = _payout_schedules()

# The marketplace's own currency (ISO 4217): what a price filter means when none is given.
# Empty: the one currency the published listings use, if they use only one.
MARKETPLACE_CURRENCY = os.environ.get("MARKETPLACE_CURRENCY", "").strip().upper()

# Places (docs/search.md): a Nominatim-compatible geocoder for street addresses; empty means
# addresses fall back to the town they name, from the embedded gazetteer. MARKETPLACE_AREA
# ("lat,lng") is where place names are ranked toward; empty: the middle of the listings.
GEOCODER_URL = _local_or_https_url("GEOCODER_URL")

# The marketplace's own time zone (IANA): the zone times are shown in to a visitor whose browser
# has not said its own and who has chosen none in their settings (docs/architecture.md, "Time
# zones"). Times tied to a place are shown in that place's zone whatever this says.
MARKETPLACE_TIME_ZONE = os.environ.get("MARKETPLACE_TIME_ZONE", "UTC").strip() or "UTC"
if MARKETPLACE_TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(f"MARKETPLACE_TIME_ZONE={MARKETPLACE_TIME_ZONE!r} is not an IANA time zone.")
MARKETPLACE_AREA = _point("MARKETPLACE_AREA")

# Map tiles for Leaflet (docs/web.md); empty means the map draws without a base layer. The
# page's CSP allows the tiles' origin only when it is set. `barnraise demo` sets OpenStreetMap's
# standard tiles; a production install sets its own (OpenStreetMap's tile policy rules out heavy
# use). MAP_TILE_ATTRIBUTION is the credit the tiles' licence asks for (HTML, shown on the map).
OSM_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
MAP_TILE_URL = _local_or_https_url("MAP_TILE_URL", keep_braces=True)
MAP_TILE_ATTRIBUTION = os.environ.get(
    "MAP_TILE_ATTRIBUTION", OSM_ATTRIBUTION if MAP_TILE_URL == OSM_TILE_URL else ""
).strip()

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [PACKAGE_DIR / "locale"]

# Logs (docs/deployment.md, "Seeing it run"): json (one object a line; the default under
# `barnraise serve` and `worker`) or console (for a person at a terminal).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "console").strip().lower()
if LOG_FORMAT not in logs.FORMATS:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} is not a log format; use json or console.")
logs.configure(LOG_FORMAT)
LOGGING = logs.logging_config(LOG_FORMAT, os.environ.get("LOG_LEVEL", "INFO"))
