"""Suite-wide test configuration: hypothesis profiles.

`HYPOTHESIS_PROFILE=ci` bounds every property test (schemathesis included) so CI time is
predictable; `dev`, the default, is hypothesis' own defaults without a deadline.
"""

import os

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

from barnraise.conftest import _migration_data  # noqa: E402, F401 - the same restore for these tests


@pytest.fixture
def ledger_rows_removable(transactional_db: None) -> object:
    """A transaction=True test is cleaned by deleting every row, which the ledger's triggers
    refuse on SQLite (postings and posted entries are immutable). For that wipe only, lift the
    two delete guards, empty the ledger, and put the guards back. PostgreSQL's flush truncates,
    which row triggers do not see."""
    yield None
    import importlib

    from django.db import connection

    if connection.vendor != "sqlite":
        return
    guards = importlib.import_module("barnraise.ledger.migrations.0002_guards")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS ledger_posting_delete_guard")
        cursor.execute("DROP TRIGGER IF EXISTS ledger_entry_delete_guard")
        cursor.execute("DELETE FROM ledger_balancesnapshot")
        cursor.execute("DELETE FROM ledger_posting")
        cursor.execute("DELETE FROM ledger_journalentry")
        for sql in guards.SQLITE_UP:
            if "BEFORE DELETE" in sql:
                cursor.execute(sql)


@pytest.fixture
def world(db: None, settings: Any) -> Any:
    """The seeded marketplace of tests/world.py, with rate limits out of the way."""
    from tests.world import build_world

    settings.API_RATE_LIMITS = dict.fromkeys(settings.API_RATE_LIMITS, (100_000, 60))
    return build_world()
