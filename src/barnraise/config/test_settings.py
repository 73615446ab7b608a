"""Settings for the test suite: the real settings, with tasks run at once and fast hashing.

Tasks still go through the django.tasks API and huey, and are still queued only on commit;
huey's immediate mode runs them in-process when the commit callbacks fire.
"""

import os
import tempfile

from barnraise.config.settings import *  # noqa: F403
from barnraise.config.settings import DATABASES, HUEY

if DATABASE_VENDOR == "sqlite":  # noqa: F405
    # A file, not memory: concurrency tests need real separate connections. One per test run,
    # so two runs side by side (or xdist workers, which add a suffix) never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"barnraise-test-{os.getpid()}.sqlite3")
    }

if DATABASE_VENDOR == "postgresql" and "replica" not in DATABASES:  # noqa: F405
    # A read replica on PostgreSQL, as DATABASE_REPLICA_URL adds one: Django's test mirror makes
    # it a second connection to the test database, so a test can tell which alias a read used.
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}

HUEY = {**HUEY, "immediate": True}
# Argon2 stays the production hasher (and has its own test); MD5 keeps fixtures fast.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "private": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Per-process memory cache: tests clear it between cases without needing the database.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Metrics are counted in the tests as in a deployment that scrapes them.
METRICS_TOKEN = "test-metrics-token-0123456789abcdef"  # noqa: S105 - a test value
