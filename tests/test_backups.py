"""`barnraise backup` and `barnraise restore` on SQLite, as an operator runs them (subprocesses)."""

import fcntl
import hashlib
import os
import sqlite3
import threading
from pathlib import Path

import pytest
from django.db import connection

from barnraise.ledger.journal import NewEntry, account_for, entries_post
from barnraise.ledger.models import AccountKind, JournalEntry
from barnraise.money import Money
from tests.conftest import run

BATCH = 5  # entries per entries_post call: one transaction, all or none


def _post_until(stop: threading.Event, posted: list[int]) -> None:
    """Write load: balanced three-line entries, BATCH per transaction, until told to stop."""
    try:
        funding = account_for(AccountKind.EXTERNAL_FUNDING, currency="EUR")
        escrow = account_for(AccountKind.ESCROW, reference="backup-load", currency="EUR")
        revenue = account_for(AccountKind.PLATFORM_REVENUE, currency="EUR")
        batch = 0
        while not stop.is_set() or batch < 3:
            entries_post(
                [
                    NewEntry(
                        kind="transfer",
                        lines=[
                            (funding, Money(300, "EUR")),
                            (escrow, Money(-100, "EUR")),
                            (revenue, Money(-200, "EUR")),
                        ],
                        idempotency_key=f"load-{batch}-{n}",
                    )
                    for n in range(BATCH)
                ]
            )
            batch += 1
            posted[0] = batch * BATCH
    finally:
        connection.close()


def _sqlite_url(path: Path | str) -> str:
    return f"sqlite:///{path}"


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "sqlite").startswith("postgres"), reason="SQLite only")
def test_backup_under_write_load_restores_to_a_consistent_verified_ledger(tmp_path, ledger_rows_removable):
    # given the ledger taking entries from another thread while the backup runs
    live = connection.settings_dict["NAME"]
    stop, posted = threading.Event(), [0]
    writer = threading.Thread(target=_post_until, args=(stop, posted))
    writer.start()
    try:
        while posted[0] < 3 * BATCH:
            stop.wait(0.01)
        # when the operator backs it up while the writes go on
        backed = run(["backup", str(tmp_path / "snap.sqlite3")], tmp_path, DATABASE_URL=_sqlite_url(live))
        at_backup_end = posted[0]
    finally:
        stop.set()
        writer.join()
    assert backed.returncode == 0, backed.stderr
    # and restores it into a fresh path
    restored_path = tmp_path / "restored" / "db.sqlite3"
    restored = run(
        ["restore", str(tmp_path / "snap.sqlite3")], tmp_path, DATABASE_URL=_sqlite_url(restored_path)
    )
    # then the restore verified the ledger
    assert restored.returncode == 0, restored.stderr
    assert "No problems found." in restored.stdout
    # and the copy is one snapshot: some of the load, whole transactions only, every entry balanced
    db = sqlite3.connect(restored_path)
    (entries,) = db.execute("SELECT COUNT(*) FROM ledger_journalentry").fetchone()
    unbalanced = db.execute(
        "SELECT entry_id FROM ledger_posting GROUP BY entry_id HAVING SUM(amount_minor) != 0"
    ).fetchall()
    (lines,) = db.execute("SELECT COUNT(*) FROM ledger_posting").fetchone()
    db.close()
    assert 3 * BATCH <= entries <= max(at_backup_end, posted[0])
    assert entries % BATCH == 0
    assert lines == 3 * entries
    assert unbalanced == []
    assert JournalEntry.objects.count() > entries  # the load went on after the snapshot


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "sqlite").startswith("postgres"), reason="SQLite only")
@pytest.mark.parametrize("holder", ["open connection", "writer"])
@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_in_use_and_leaves_it_alone(tmp_path, holder):
    # given a restored database and a backup of it
    live = connection.settings_dict["NAME"]
    assert (
        run(["backup", str(tmp_path / "snap.sqlite3")], tmp_path, DATABASE_URL=_sqlite_url(live)).returncode
        == 0
    )
    target = tmp_path / "site.sqlite3"
    url = _sqlite_url(target)
    assert run(["restore", str(tmp_path / "snap.sqlite3")], tmp_path, DATABASE_URL=url).returncode == 0
    before = _digest(target)
    # and a process using it: a server's idle connection, or a writer holding the writers' line
    if holder == "open connection":
        used = sqlite3.connect(target)
        used.execute("SELECT COUNT(*) FROM django_migrations").fetchone()
        message = "another process has"
    else:
        used_fd = os.open(f"{target}-writers", os.O_RDONLY)
        fcntl.flock(used_fd, fcntl.LOCK_EX)
        message = "is writing to"
    try:
        # when the operator restores over it
        result = run(["restore", str(tmp_path / "snap.sqlite3")], tmp_path, DATABASE_URL=url)
    finally:
        if holder == "open connection":
            used.close()
        else:
            os.close(used_fd)
    # then it refuses, says why, and the database is as it was
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert _digest(target) == before
    assert not list(tmp_path.glob(".site.sqlite3.*"))


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "sqlite").startswith("postgres"), reason="SQLite only")
@pytest.mark.django_db(transaction=True)
def test_restore_replaces_an_unused_database_with_the_backup(tmp_path):
    # given a site's database restored from a backup, then changed after it (in WAL mode)
    live = connection.settings_dict["NAME"]
    assert (
        run(["backup", str(tmp_path / "snap.sqlite3")], tmp_path, DATABASE_URL=_sqlite_url(live)).returncode
        == 0
    )
    target = tmp_path / "site.sqlite3"
    url = _sqlite_url(target)
    assert run(["restore", str(tmp_path / "snap.sqlite3")], tmp_path, DATABASE_URL=url).returncode == 0
    later = sqlite3.connect(target)
    later.execute("PRAGMA journal_mode=WAL")
    later.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('later', 'x', '2026-01-01')")
    later.commit()
    later.close()
    # when the backup is restored over it, with nothing using it
    result = run(["restore", str(tmp_path / "snap.sqlite3")], tmp_path, DATABASE_URL=url)
    # then the database is the backup again, and nothing is left beside it
    assert result.returncode == 0, result.stderr
    assert "No problems found." in result.stdout
    check = sqlite3.connect(target)
    assert check.execute("SELECT COUNT(*) FROM django_migrations WHERE app = 'later'").fetchone() == (0,)
    check.close()
    assert not list(tmp_path.glob(".site.sqlite3.*"))


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "sqlite").startswith("postgres"), reason="SQLite only")
@pytest.mark.django_db(transaction=True)
def test_restore_of_an_older_backup_asks_for_migrations_before_the_ledger_check(tmp_path):
    # given a backup made before the code's last migration
    live = connection.settings_dict["NAME"]
    assert (
        run(["backup", str(tmp_path / "old.sqlite3")], tmp_path, DATABASE_URL=_sqlite_url(live)).returncode
        == 0
    )
    old = sqlite3.connect(tmp_path / "old.sqlite3")
    old.execute("DELETE FROM django_migrations WHERE id = (SELECT MAX(id) FROM django_migrations)")
    old.commit()
    old.close()
    # when it is restored
    result = run(
        ["restore", str(tmp_path / "old.sqlite3")], tmp_path, DATABASE_URL=_sqlite_url(tmp_path / "s.db")
    )
    # then it is in place, and the operator is told to migrate, then verify
    assert result.returncode == 0, result.stderr
    assert "1 migration is not applied to it yet" in result.stdout
    assert "barnraise ledger verify" in result.stdout


def test_backup_on_postgresql_points_to_its_own_tools(tmp_path):
    # when the operator asks for a backup of a PostgreSQL database
    result = run(
        ["backup", str(tmp_path / "x.dump")], tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:1/none"
    )
    # then it explains pg_dump and point-in-time recovery and fails
    assert result.returncode != 0
    assert "pg_dump" in result.stderr
    assert "point-in-time recovery" in result.stderr
    assert not (tmp_path / "x.dump").exists()


def test_restore_refuses_what_is_not_a_barnraise_database(tmp_path):
    # given a file that is no database
    (tmp_path / "junk.sqlite3").write_bytes(b"not a database" * 100)
    target = tmp_path / "site.sqlite3"
    # when it is restored
    result = run(["restore", str(tmp_path / "junk.sqlite3")], tmp_path, DATABASE_URL=_sqlite_url(target))
    # then nothing is written
    assert result.returncode != 0
    assert "not a readable SQLite database" in result.stderr
    assert not target.exists()
