"""Killing the worker in the middle of a release leaves no half-written entry.

A real huey consumer (`barnraise worker`, its own process) sweeps the due completion timer of
an accepted, paid booking and starts the release. A test-only app, loaded through the worker's
settings module, pauses it right after the journal entry row is inserted (still `open`, with no
postings, inside the engine's transaction) and says so in a file. The test then kills the
worker with SIGKILL. Nothing of that transaction may remain; a fresh worker then completes the
release, once. Runs on SQLite, and on PostgreSQL when DATABASE_URL points there.
"""

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone

from barnraise.commerce.models import Transaction
from barnraise.commerce.tests.conftest import cats, customer, listing, provider, slot  # noqa: F401
from barnraise.conftest import TEST_CARD, ApiClient, after_commit, api_as, make_user  # noqa: F401
from barnraise.ledger import selectors
from barnraise.ledger.models import Account, AccountKind, EntryStatus, JournalEntry, Posting
from barnraise.ledger.verify import ledger_verify
from barnraise.timers import services as timers
from barnraise.timers.models import Timer
from tests.conftest import BARNRAISE, run

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# The worker's settings: the real ones plus the pausing app.
KILL_SETTINGS = """
from barnraise.config.settings import *  # noqa: F403
from barnraise.config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "kill_pause"]
"""

# Pauses a release right after its entry row is inserted, before its postings, when
# BARNRAISE_TEST_PAUSE_MARKER names a file: writes what it sees there, then sleeps. The ledger
# writes entries with its own multi-row INSERT (no model signal), so the app wraps that helper.
KILL_PAUSE_APP = """
import json
import os
import time

from django.apps import AppConfig
from django.db import connection


def pause_after(insert):
    def wrapped(model, columns, rows, **kwargs):
        inserted = insert(model, columns, rows, **kwargs)
        marker = os.environ.get("BARNRAISE_TEST_PAUSE_MARKER")
        if not (marker and model._meta.db_table == "ledger_journalentry"):
            return inserted
        releases = [dict(zip(columns, row)) for row in rows if dict(zip(columns, row))["kind"] == "release"]
        if not releases:
            return inserted
        from barnraise.ledger.models import JournalEntry, Posting

        key = releases[0]["idempotency_key"]
        entry = JournalEntry.objects.get(idempotency_key=key)
        seen = {
            "key": key,
            "status": entry.status,
            "postings": Posting.objects.filter(entry=entry).count(),
            "in_transaction": connection.in_atomic_block,
            "vendor": connection.vendor,
            "pid": os.getpid(),
        }
        with open(marker + ".tmp", "w") as handle:
            json.dump(seen, handle)
        os.replace(marker + ".tmp", marker)
        time.sleep(600)
        return inserted

    return wrapped


class KillPauseConfig(AppConfig):
    name = "kill_pause"

    def ready(self):
        from barnraise.ledger import journal

        journal._insert_rows = pause_after(journal._insert_rows)
"""

ENQUEUE_SWEEP = "from barnraise.timers.tasks import timers_sweep; timers_sweep()"


def database_url() -> str:
    """The test database, as the worker process reaches it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'])}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    environ.update(
        DATABASE_URL=database_url(),
        BARNRAISE_VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY=settings.SECRET_KEY,
        REDIS_URL="",
        **extra,
    )
    return environ


def start_worker(tmp_path: Path, **extra: str) -> "subprocess.Popen[str]":
    return subprocess.Popen(  # noqa: S603 - our own command
        [*BARNRAISE, "worker", "--workers", "1"],
        cwd=tmp_path,
        env=worker_env(tmp_path, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def enqueue_sweep(tmp_path: Path) -> None:
    """Queue the timer sweep for the worker now, rather than wait for its minute."""
    env = worker_env(tmp_path)
    queued = run(
        ["manage", "shell", "-c", ENQUEUE_SWEEP],
        tmp_path,
        DATABASE_URL=env["DATABASE_URL"],
        BARNRAISE_VAR_DIR=env["BARNRAISE_VAR_DIR"],
        SECRET_KEY=env["SECRET_KEY"],
    )
    assert queued.returncode == 0, queued.stderr


def wait_for(check: Callable[[], Any], seconds: float, worker: "subprocess.Popen[str]") -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        assert worker.poll() is None, worker.communicate()[0]
        time.sleep(0.25)
    raise AssertionError(f"nothing after {seconds}s")


def stop(worker: "subprocess.Popen[str]") -> str:
    if worker.poll() is None:
        worker.terminate()
    return worker.communicate(timeout=30)[0]


def escrow_minor(tx_id: str) -> int:
    account = Account.objects.filter(kind=AccountKind.ESCROW, reference=f"transaction:{tx_id}").first()
    return selectors.balance_of(account).amount_minor if account else 0


def books_balance() -> None:
    assert all(total == 0 for total in selectors.trial_balance().values())
    assert ledger_verify().problems == []


def test_killing_the_worker_mid_release_leaves_no_half_written_entry(
    tmp_path: Path,
    ledger_rows_removable: object,
    customer: ApiClient,  # noqa: F811
    provider: ApiClient,  # noqa: F811
    listing: Callable[..., Any],  # noqa: F811
) -> None:
    (tmp_path / "var").mkdir()  # the worker's queue (huey on SQLite)
    (tmp_path / "kill_settings.py").write_text(KILL_SETTINGS)
    (tmp_path / "kill_pause").mkdir()
    (tmp_path / "kill_pause" / "__init__.py").write_text("")
    (tmp_path / "kill_pause" / "apps.py").write_text(KILL_PAUSE_APP)
    # given a booking, booked and paid five days ago, that ended three days ago: its completion
    # timer is due, and its €32.00 is in escrow
    room = listing()
    with time_machine.travel(timezone.now() - timedelta(days=5), tick=False):
        start, end = slot(days=1)
        body = {"listing_id": str(room.public_id), "start": start, "end": end, "payment_method": TEST_CARD}
        tx_id = after_commit(lambda: customer.call("POST", "transactions", json=body)).json()["id"]
        accept = {"name": "accept", "params": {}}
        after_commit(lambda: provider.call("POST", f"transactions/{tx_id}/transitions", json=accept))
    assert Transaction.objects.get(pk=tx_id).state == "accepted"
    assert datetime.fromisoformat(end) + timedelta(days=1) < timezone.now()
    assert escrow_minor(tx_id) == Transaction.objects.get(pk=tx_id).total_amount_minor
    completion = Timer.objects.get(target=f"transaction:{tx_id}", status=Timer.Status.PENDING)
    entries, postings = JournalEntry.objects.count(), Posting.objects.count()
    release_key = f"transaction:{tx_id}:release"

    # when a real worker sweeps the timer and is killed inside the release's entry write
    marker = tmp_path / "paused.json"
    worker = start_worker(
        tmp_path, DJANGO_SETTINGS_MODULE="kill_settings", BARNRAISE_TEST_PAUSE_MARKER=str(marker)
    )
    try:
        enqueue_sweep(tmp_path)
        wait_for(marker.exists, 90, worker)
        seen = json.loads(marker.read_text())
        assert seen["pid"] == worker.pid
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
    finally:
        output = stop(worker)
    # (it was paused where the entry is half written: inserted, open, no postings yet)
    paused_at = {"key": release_key, "status": "open", "postings": 0, "in_transaction": True}
    assert seen == {**seen, **paused_at, "vendor": connection.vendor}, output

    # then nothing of that transaction is left: no entry, open or not, no posting
    assert not JournalEntry.objects.filter(status=EntryStatus.OPEN).exists()
    assert not JournalEntry.objects.filter(idempotency_key=release_key).exists()
    assert (JournalEntry.objects.count(), Posting.objects.count()) == (entries, postings)
    books_balance()
    # and the deal is where it was: accepted, its money in escrow, its timer still due
    assert Transaction.objects.get(pk=tx_id).state == "accepted"
    assert escrow_minor(tx_id) == Transaction.objects.get(pk=tx_id).total_amount_minor
    completion.refresh_from_db()
    assert (completion.status, completion.attempts) == (Timer.Status.PENDING, 0)

    # when a fresh worker runs the sweep (twice)
    worker = start_worker(tmp_path)
    try:
        enqueue_sweep(tmp_path)
        enqueue_sweep(tmp_path)
        wait_for(lambda: Transaction.objects.get(pk=tx_id).state == "completed", 90, worker)
    finally:
        output = stop(worker)
    # and the sweeper runs once more here
    after_commit(timers.sweep)

    # then the release was posted exactly once: the provider's share pending, escrow empty
    releases = JournalEntry.objects.filter(reference=f"transaction:{tx_id}", kind="release")
    assert [entry.idempotency_key for entry in releases] == [release_key], output
    assert releases.get().status == EntryStatus.POSTED
    assert escrow_minor(tx_id) == 0
    pending = Account.objects.get(kind=AccountKind.MEMBER_PENDING, owner=provider.user)  # type: ignore[attr-defined]
    assert (
        selectors.balance_of(pending).amount_minor == Transaction.objects.get(pk=tx_id).provider_payout_minor
    )
    completion.refresh_from_db()
    assert completion.status == Timer.Status.FIRED
    assert not JournalEntry.objects.filter(status=EntryStatus.OPEN).exists()
    books_balance()
