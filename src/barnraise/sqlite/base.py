"""Django's SQLite backend, with one change: a process's write transactions wait in line.

SQLite has one writer at a time, and every Barnraise transaction on it begins IMMEDIATE
(settings: a check-then-insert such as a booking's seat count must hold the write lock). A
writer that finds the lock taken is put to sleep by SQLite's busy handler, in steps that grow
to 100 ms, and tries again; with 32 threads in a process, most of them slept while the lock
stood free (the bookings bench: 140 bookings/s on one process where one thread alone made 350,
p99 over 2 s). Here a thread first takes a lock of the process for that database file, which
wakes the next waiter the moment the last one commits; only one thread per process meets
SQLite's busy handler, against the other processes. A write statement outside a transaction
(autocommit: the card's authorization records are written so) is a write transaction of its own
and takes the same turn.

The wait is bounded by the database's timeout (OPTIONS "timeout", 5 s), then raises
OperationalError "database is locked", as SQLite would: the API answers 503 `busy`.
"""

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.db.backends.sqlite3 import base, operations

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


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


@lru_cache(maxsize=4096)
def _qmarks(query: str) -> str:
    """Django's "format" to "qmark" conversion, once per distinct statement (a regex pass over
    every statement was a twentieth of a booking)."""
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class _Cursor(base.SQLiteCursorWrapper):
    """A statement that writes outside a transaction (autocommit) is a write transaction of its
    own: it waits in the same line."""

    def __init__(self, connection: Any, wrapper: "DatabaseWrapper") -> None:
        super().__init__(connection)
        self._wrapper = wrapper

    def execute(self, query: str, params: Any = None) -> Any:
        if self.connection.in_transaction or query.lstrip()[:6].upper() not in _WRITES:
            return super().execute(query, params)
        with self._wrapper.writer():
            return super().execute(query, params)

    def executemany(self, query: str, param_list: Any) -> Any:
        if self.connection.in_transaction or query.lstrip()[:6].upper() not in _WRITES:
            return super().executemany(query, param_list)
        with self._wrapper.writer():
            return super().executemany(query, param_list)

    def convert_query(self, query: str, *, param_names: list[str] | None = None) -> str:
        if param_names is None:
            return _qmarks(query)
        return super().convert_query(query, param_names=param_names)


class DatabaseOperations(operations.DatabaseOperations):
    def adapt_datetimefield_value(self, value: Any) -> Any:
        """An aware datetime as Django stores it (naive, in the connection's zone, as text),
        without its dozen calls: a booking writes a dozen of them."""
        if type(value) is datetime and value.tzinfo is not None and settings.USE_TZ:
            return str(value.astimezone(self.connection.timezone).replace(tzinfo=None))
        return super().adapt_datetimefield_value(value)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer: threading.Lock | None = None

    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=lambda connection: _Cursor(connection, self))

    def _take_writer(self) -> None:
        lock = _writer_lock(str(self.settings_dict["NAME"]))
        if not lock.acquire(timeout=float(self.settings_dict["OPTIONS"].get("timeout", 5))):
            raise OperationalError("database is locked")
        self._writer = lock

    @contextmanager
    def writer(self) -> Iterator[None]:
        """The process's turn to write, for one statement in autocommit."""
        self._take_writer()
        try:
            yield
        finally:
            self._release_writer()

    def _start_transaction_under_autocommit(self) -> None:
        self._take_writer()
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
