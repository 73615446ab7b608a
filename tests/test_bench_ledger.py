"""`barnraise bench ledger` runs end to end, tiny, on the test database (speed is never asserted)."""

import importlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from barnraise.benchmarks import ledger as ledger_bench
from barnraise.benchmarks import ledger_load

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ledger_emptied_after() -> Iterator[None]:
    """Postings and posted entries are immutable (migration 0002's guards), so on SQLite the
    flush after a transactional test, which deletes row by row, would be refused. For the
    clean-up only, the guards are dropped, the ledger emptied and the guards put back.
    PostgreSQL's flush is a TRUNCATE, which fires no row trigger."""
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {ledger_load.META_TABLE}")
        if connection.vendor != "sqlite":
            return
        guards = importlib.import_module("barnraise.ledger.migrations.0002_guards")
        for sql in guards.SQLITE_DOWN:
            cursor.execute(sql)
        for table in ("ledger_balancesnapshot", "ledger_posting", "ledger_journalentry", "ledger_account"):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - constant table names
        for sql in guards.SQLITE_UP:
            cursor.execute(sql)


def test_bench_ledger_runs_tiny_and_writes_json(tmp_path: Path, ledger_emptied_after: None) -> None:
    vendor = connection.vendor
    target = ledger_load.Target(vendor, postings=3000, seed=1, url="")
    options = ledger_bench.Options(
        postings=3000,
        seed=1,
        seconds=1,
        threads=2,
        since=500,
        batch=10,
        output_dir=tmp_path,
        progress=False,
        migrate=False,  # pytest-django migrated the test database
    )

    payload, path = ledger_bench.run(target, options, reused=False, say=lambda _message: None)

    assert json.loads(path.read_text()) == json.loads(json.dumps(payload, default=str))
    assert path.name.startswith(f"ledger-{vendor}-3000-")
    assert payload["data_set"]["loaded"]["postings"] >= 3000
    assert [r["layer"] for r in payload["results"]] == [
        "engine (entry_post)",
        "engine batched (entries_post × 10)",
        "floor (hand-written SQL, per entry)",
        f"floor (bulk {'COPY' if vendor == 'postgresql' else 'executemany'})",
    ]
    assert all(r["postings"] > 0 for r in payload["results"])
    assert [r["postings"] > 0 for r in payload["hotspots"]] == [True, True]
    if vendor == "postgresql":
        assert payload["hotspots"][0]["lock_waits"]["samples"] > 0
    trial = payload["trial_balance"]
    assert trial["zero"] and trial["postings_since_snapshot"] >= 500
    assert len(trial["seconds"]) == ledger_bench.TRIAL_BALANCE_RUNS
    assert payload["verify"]["problems"] == 0
    assert payload["verify"]["postings"] >= payload["data_set"]["loaded"]["postings"]
    assert payload["goal"]["trial_balance_met"] is None  # not judged below 10M postings
    assert "trial_balance()" in ledger_bench.render(payload)
