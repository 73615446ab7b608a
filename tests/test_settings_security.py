"""Production settings as a deployment gets them: hashing, HTTPS-only cookies and HSTS.

Each case imports the real settings module in a fresh interpreter with a given environment,
because the settings are read from the environment once, at start-up.
"""

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json
from django.conf import settings
import django
django.setup()
from django.contrib.auth.hashers import make_password
print(json.dumps({
    "hasher": make_password("x").split("$", 1)[0],
    "hsts": settings.SECURE_HSTS_SECONDS,
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "session_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "frame": settings.X_FRAME_OPTIONS,
}))
"""


def probe(tmp_path, **env: str) -> dict:
    environ = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "SITE_URL")
    }
    environ.update(env, DJANGO_SETTINGS_MODULE="barnraise.config.settings", BARNRAISE_VAR_DIR=str(tmp_path))
    result = subprocess.run(  # noqa: S603 - our own probe script
        [sys.executable, "-c", PROBE], env=environ, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_https_deployment_gets_argon2_secure_cookies_and_hsts(tmp_path):
    found = probe(tmp_path, SITE_URL="https://market.example.org")
    assert found["hasher"] == "argon2"
    assert found["hsts"] >= 31_536_000
    assert found["session_secure"] and found["csrf_secure"] and found["session_httponly"]
    assert found["frame"] == "DENY"


@pytest.mark.slow
def test_plain_http_demo_and_debug_get_no_hsts(tmp_path):
    assert probe(tmp_path)["hsts"] == 0  # http://127.0.0.1:8000: browsers ignore HSTS over http
    debug = probe(tmp_path, SITE_URL="https://market.example.org", DEBUG="1")
    assert debug["hsts"] == 0
    assert debug["session_httponly"]
