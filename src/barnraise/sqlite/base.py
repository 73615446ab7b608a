"""Django's SQLite backend, with its writers waiting in line instead of polling.

SQLite has one writer at a time, and every Barnraise transaction on it begins IMMEDIATE
(settings: a check-then-insert such as a booking's seat count must hold the write lock). A
writer that finds the lock taken is put to sleep by SQLite's busy handler, in steps that grow
to 100 ms, for a lock held about a millisecond: with 32 threads most of them slept while the lock
stood free (the bookings bench: 140 bookings/s where one thread alone made 350, p99 over 2 s).

Here a writer first takes its turn in a line per database file: a lock for the threads of this
process, which wakes the next one the moment the last commits, then a lock on a file beside the
database (`<name>-writers`) against the other processes, polled every 0.1 ms. Only then does it
meet SQLite's lock, free by then unless a program outside Barnraise writes.

- A transaction takes its turn at its first statement, not at Django's BEGIN: the Python it
  runs before (a booking prices the deal) runs outside the line; all its statements run inside.
- A write statement outside a transaction (autocommit: the card's authorization records) is a
  write transaction of its own and takes a turn too.
- `write_unit()` (through `barnraise.db.write_unit`) keeps the process's turn across a unit of
  work that writes more than once; the file's lock is still taken only for each write; and
  `write_unit_paused()` gives it back while the unit waits on the network.

The wait is bounded by the database's timeout (OPTIONS "timeout", 5 s), then raises
OperationalError "database is locked", as SQLite would: the API answers 503 `busy`.
"""

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.db.backends.sqlite3 import base, creation, operations


class _Line:
    """The writers of one database file: a lock for this process's threads, and a lock on a file
    beside the database (`<name>-writers`) for the other processes."""

    def __init__(self, name: str) -> None:
        self.threads = threading.Lock()
        self.name = name
        self._fd: int | None = None

    def lock_file(self, deadline: float) -> None:
        """Wait for the other processes' writers, polled every 0.1 ms: SQLite's own busy handler
        sleeps a waiter 1, 2, 5… up to 100 ms at a time, for a lock held about a millisecond."""
        if self._fd is None:
            # Read-only is enough to lock, so any user who may write the database may wait here.
            self._fd = os.open(f"{self.name}-writers", os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OperationalError("database is locked") from None
                time.sleep(0.0001)

    def unlock_file(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


_lines: dict[str, _Line] = {}
_lines_guard = threading.Lock()


def _line(name: str) -> _Line:
    with _lines_guard:
        line = _lines.get(name)
        if line is None:
            line = _lines[name] = _Line(name)
        return line


def _forget_lines() -> None:
    """A forked child starts with its own locks (a parent's may have been held at the fork, and a
    lock on a file is shared with the parent through the inherited descriptor)."""
    global _lines_guard
    for line in _lines.values():
        if line._fd is not None:
            os.close(line._fd)  # the child's copy: the parent's lock stays the parent's
    _lines.clear()
    _lines_guard = threading.Lock()


os.register_at_fork(after_in_child=_forget_lines)


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

    def _turn(self, query: str) -> AbstractContextManager[None]:
        """What `query` needs first: the deferred BEGIN of its transaction, or, written in
        autocommit, a turn of its own."""
        if self._wrapper._begin_pending:
            self._wrapper._begin()
        elif not self.connection.in_transaction and query.lstrip()[:6].upper() in _WRITES:
            return self._wrapper.writer()
        return nullcontext()

    def execute(self, query: str, params: Any = None) -> Any:
        with self._turn(query):
            return super().execute(query, params)

    def executemany(self, query: str, param_list: Any) -> Any:
        with self._turn(query):
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


class DatabaseCreation(creation.DatabaseCreation):
    def _destroy_test_db(self, test_database_name: str, verbosity: int) -> None:
        super()._destroy_test_db(test_database_name, verbosity)  # type: ignore[misc]  # private in Django, absent from its stubs
        if not self.is_in_memory_db(test_database_name):
            Path(f"{test_database_name}-writers").unlink(missing_ok=True)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    creation_class = DatabaseCreation

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turns = 0  # this thread's hold on its process's turn: a unit, a transaction, a statement
        self._file_locked = False
        self._in_write = False  # the open transaction took a turn
        self._begin_pending = False  # a transaction is open in Django's eyes, not yet in SQLite's

    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=lambda connection: _Cursor(connection, self))

    def _line(self) -> _Line:
        return _line(str(self.settings_dict["NAME"]))

    def _deadline(self) -> float:
        return time.monotonic() + float(self.settings_dict["OPTIONS"].get("timeout", 5))

    def _take_turn(self, deadline: float) -> None:
        if self._turns == 0:
            left = max(0.0, deadline - time.monotonic())
            if not self._line().threads.acquire(timeout=left):
                raise OperationalError("database is locked")
        self._turns += 1

    def _give_turn(self) -> None:
        if self._turns == 0:
            return
        self._turns -= 1
        if self._turns == 0:
            self._line().threads.release()

    def _take_writer(self) -> None:
        """The turn to write now: this process's, then the file's against the other processes."""
        deadline = self._deadline()
        self._take_turn(deadline)
        try:
            if not self._file_locked and not self.is_in_memory_db():
                self._line().lock_file(deadline)
                self._file_locked = True
        except BaseException:
            self._give_turn()
            raise

    def _release_writer(self) -> None:
        if self._file_locked:
            self._file_locked = False
            self._line().unlock_file()
        self._give_turn()

    @contextmanager
    def writer(self) -> Iterator[None]:
        """The turn to write, for one statement in autocommit."""
        self._take_writer()
        try:
            yield
        finally:
            self._release_writer()

    @contextmanager
    def write_unit(self) -> Iterator[None]:
        """Hold this process's turn across a unit of work that writes more than once (the card's
        records, then the deal): its writes queue once, and its Python between them does not
        interleave with the other writers' (in one process they share one core through the GIL,
        and each hand-over between two threads cost a booking more CPU than it saved). The
        file's lock, against the other processes, is still taken only for each write."""
        self._take_turn(self._deadline())
        try:
            yield
        finally:
            self._give_turn()

    @contextmanager
    def write_unit_paused(self) -> Iterator[None]:
        """Give this thread's turn back while the body waits on something outside the database
        (a payment provider over the network), and take it again after. Inside a transaction
        the turn is kept: its lock cannot be given back."""
        turns = self._turns
        if turns == 0 or self._in_write or self._file_locked or self._begin_pending:
            yield
            return
        self._turns = 0
        self._line().threads.release()
        try:
            yield
        finally:
            # Never raises: what the body did (a card authorized) must reach the code after it.
            # Without its turn back in time, the unit goes on as plain writes, a turn each.
            if self._line().threads.acquire(timeout=float(self.settings_dict["OPTIONS"].get("timeout", 5))):
                self._turns = turns

    def _start_transaction_under_autocommit(self) -> None:
        """BEGIN IMMEDIATE goes with the transaction's first statement (`_begin`), so the Python
        a transaction runs before it (a booking prices the deal first) runs outside the lock;
        every statement of the transaction still runs under it."""
        self._begin_pending = True

    def _begin(self) -> None:
        self._begin_pending = False  # BEGIN itself goes through the cursor
        try:
            self._take_writer()
            try:
                super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in Django, absent from its stubs
            except BaseException:
                self._release_writer()
                raise
        except BaseException:
            # No statement of this block may run without BEGIN: it stays pending, and the block
            # can only roll back (as after any error inside `atomic`).
            self._begin_pending = True
            self.needs_rollback = True
            raise
        self._in_write = True

    def _end_write(self) -> None:
        self._begin_pending = False
        if self._in_write:
            self._in_write = False
            self._release_writer()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private in Django, absent from its stubs
        finally:
            # A COMMIT that failed (a deferred foreign key) leaves the transaction open, and the
            # turn with it, until the rollback that follows.
            if self.connection is None or not self.connection.in_transaction:
                self._end_write()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private in Django, absent from its stubs
        finally:
            self._end_write()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # private in Django, absent from its stubs
        finally:
            self._in_write = self._begin_pending = False
            if self._file_locked:
                self._file_locked = False
                self._line().unlock_file()
            if self._turns:
                self._turns = 0
                self._line().threads.release()
