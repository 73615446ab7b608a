"""Django's SQLite backend, with one change: a process's write transactions wait in line.

SQLite has one writer at a time, and every Barnraise transaction on it begins IMMEDIATE
(settings: a check-then-insert such as a booking's seat count must hold the write lock). A
writer that finds the lock taken is put to sleep by SQLite's busy handler, in steps that grow
to 100 ms, and tries again; with 32 threads in a process, most of them slept while the lock
stood free (the bookings bench: 140 bookings/s on one process where one thread alone made 350,
p99 over 2 s). Here a thread first takes a lock of the process for that database file, which
wakes the next waiter the moment the last one commits; only one thread per process meets
SQLite's busy handler, against the other processes.

The wait is bounded by the database's timeout (OPTIONS "timeout", 5 s), then raises
OperationalError "database is locked", as SQLite would: the API answers 503 `busy`.
"""

import os
import threading
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

_writers: dict[str, threading.Lock] = {}
_writers_guard = threading.Lock()


def _writer_lock(name: str) -> threading.Lock:
    with _writers_guard:
        return _writers.setdefault(name, threading.Lock())


def _forget_writers() -> None:
    """A forked child starts with its own locks (a parent's may have been held at the fork)."""
    global _writers_guard
    _writers.clear()
    _writers_guard = threading.Lock()


os.register_at_fork(after_in_child=_forget_writers)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer: threading.Lock | None = None

    def _start_transaction_under_autocommit(self) -> None:
        lock = _writer_lock(str(self.settings_dict["NAME"]))
        if not lock.acquire(timeout=float(self.settings_dict["OPTIONS"].get("timeout", 5))):
            raise OperationalError("database is locked")
        self._writer = lock
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in Django, absent from its stubs
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        lock, self._writer = self._writer, None
        if lock is not None:
            lock.release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private in Django, absent from its stubs
        finally:
            self._release_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private in Django, absent from its stubs
        finally:
            self._release_writer()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # private in Django, absent from its stubs
        finally:
            self._release_writer()
