"""Backups of a SQLite database: taken while the site serves, restored only while nothing uses it.

A backup goes through SQLite's online backup API (`sqlite3.Connection.backup`) in one step: it
reads the database inside one read transaction, so it copies one consistent snapshot (every
transaction committed before it began, none after) while writers carry on beside it (WAL mode:
readers never block writers). It is written beside its destination, checked, and renamed into
place, so a path either holds a whole backup or nothing.

A restore refuses to run over a database that a process is using: it takes the writers' turn
(the lock on `<name>-writers`, see barnraise.sqlite) and an exclusive lock on the database
itself, which fails while any other connection has it open (an idle server keeps one). It copies
the backup into a file beside the database and renames it over the old one while it still holds
the old one's lock. PostgreSQL has its own tools (pg_dump, point-in-time recovery):
docs/deployment.md.
"""

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class BackupError(Exception):
    """A backup or a restore that cannot go ahead; its message tells the operator why."""


def _connect(path: Path, timeout: float = 5.0) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=timeout, isolation_level=None)


def _check(path: Path) -> None:
    """A whole SQLite database of Barnraise: its integrity and its migrations table."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        try:
            (result,) = conn.execute("PRAGMA integrity_check").fetchone()
            migrations = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from exc
    if result != "ok":
        raise BackupError(f"{path} failed SQLite's integrity check: {result}")
    if migrations is None:
        raise BackupError(f"{path} is not a Barnraise database (it has no migrations table).")


def _copy(source: sqlite3.Connection, target: Path) -> None:
    """Copy source into a new file at target, in one step (one snapshot), as a single file."""
    dest = _connect(target)
    try:
        source.backup(dest)  # pages=-1: all at once, inside one read transaction of the source
        dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dest.close()
    with open(target, "rb") as handle:
        os.fsync(handle.fileno())


def _temporary(beside: Path) -> Path:
    return beside.with_name(f".{beside.name}.{os.getpid()}.partial")


def _discard(path: Path) -> None:
    for leftover in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)


def sqlite_backup(database: Path, destination: Path) -> int:
    """Copy the live database to destination (a new file); return its size in bytes."""
    if not database.exists():
        raise BackupError(f"there is no database at {database}.")
    if destination.exists():
        raise BackupError(f"{destination} exists already; give a new path.")
    if not destination.parent.is_dir():
        raise BackupError(f"{destination.parent} is not a directory.")
    partial = _temporary(destination)
    source = _connect(database)
    try:
        _copy(source, partial)
        _check(partial)
        os.replace(partial, destination)
    except sqlite3.Error as exc:
        raise BackupError(f"the backup failed: {exc}") from exc
    finally:
        source.close()
        _discard(partial)
    return destination.stat().st_size


@contextmanager
def _writers_turn(database: Path) -> Iterator[None]:
    """Hold the writers' lock (barnraise.sqlite), so no Barnraise writer starts meanwhile."""
    fd = os.open(f"{database}-writers", os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(
                f"a Barnraise process is writing to {database}; stop the server and the worker first."
            ) from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextmanager
def _sole_user(database: Path) -> Iterator[None]:
    """Hold an exclusive lock on the database, and leave it in rollback-journal mode (no -wal
    file that could be replayed onto the restored database)."""
    if not database.exists():
        yield
        return
    conn = _connect(database, timeout=0)
    try:
        try:
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("COMMIT")  # the lock stays: exclusive locking mode holds it until close
            conn.execute("PRAGMA journal_mode=DELETE")  # checkpoints and removes the -wal
        except sqlite3.OperationalError:
            raise BackupError(
                f"another process has {database} open; stop the server and the worker first."
            ) from None
        yield
    finally:
        conn.close()


def sqlite_restore(backup: Path, database: Path) -> None:
    """Replace the database with the backup, only while no other process uses the database."""
    if not backup.is_file():
        raise BackupError(f"there is no backup at {backup}.")
    _check(backup)
    database.parent.mkdir(parents=True, exist_ok=True)
    partial = _temporary(database)
    with _writers_turn(database), _sole_user(database):
        source = _connect(backup)
        try:
            _copy(source, partial)
            _check(partial)
            Path(f"{database}-shm").unlink(missing_ok=True)
            os.replace(partial, database)
        except sqlite3.Error as exc:
            raise BackupError(f"the restore failed: {exc}") from exc
        finally:
            source.close()
            _discard(partial)
