"""Suite-wide test configuration: hypothesis profiles.

`HYPOTHESIS_PROFILE=ci` bounds every property test (schemathesis included) so CI time is
predictable; `dev`, the default, is hypothesis' own defaults without a deadline.
"""

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# The live server backs the concurrency tests: 32 clients connect at once, so the listen
# backlog must hold them all (Django's default is 10).
from django.core.servers import basehttp  # noqa: E402

basehttp.WSGIServer.request_queue_size = 128


from typing import Any  # noqa: E402

import pytest  # noqa: E402

# The object store on moto's server, and the clients its tests use (tests/test_object_storage.py).
from barnraise.conftest import (  # noqa: E402, F401 - shared with the apps' tests  # noqa: E402, F401
    _migration_data,
    api,
    api_as,
    ledger_rows_removable,
    make_pdf,
    make_user,
    s3,
    s3_server,
)


@pytest.fixture
def world(db: None, settings: Any) -> Any:
    """The seeded marketplace of tests/world.py, with rate limits out of the way."""
    from tests.world import build_world

    settings.API_RATE_LIMITS = dict.fromkeys(settings.API_RATE_LIMITS, (100_000, 60))
    return build_world()


BARNRAISE = [sys.executable, "-m", "barnraise.cli"]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    environ.pop("DATABASE_URL", None)
    environ.pop("REDIS_URL", None)
    environ.update(env)
    return subprocess.run(  # noqa: S603 - our own command
        BARNRAISE + args, cwd=cwd, env=environ, capture_output=True, text=True, timeout=300
    )
