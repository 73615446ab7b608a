"""SQLite: a process's write transactions wait in line (barnraise.sqlite) and keep SQLite's contract:
a writer goes once the one before it commits, and one that waits past the timeout is told the
database is locked (the API's 503 `busy`)."""

import multiprocessing
import os
import threading
import time
from contextlib import suppress
from typing import Any

import pytest
from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.transaction import TransactionManagementError

from barnraise.catalog.models import Category
from barnraise.db import write_unit, write_unit_paused

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _hold_a_transaction(started: threading.Event, release: threading.Event) -> None:
    try:
        with transaction.atomic():
            Category.objects.create(slug="held", name="Held", path="held")
            started.set()
            release.wait(10)
    finally:
        connection.close()


@pytest.fixture
def sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the writer queue is in Barnraise's SQLite backend; PostgreSQL locks rows instead")


def test_a_writer_waits_for_the_one_before_then_goes(sqlite_only: None) -> None:
    started, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_a_transaction, args=(started, release))
    holder.start()
    assert started.wait(10)
    threading.Timer(0.3, release.set).start()
    began = time.monotonic()
    with transaction.atomic():  # queued behind the holder, and let in as soon as it commits
        Category.objects.create(slug="next", name="Next", path="next")
    waited = time.monotonic() - began
    holder.join(10)
    assert 0.25 <= waited < 3
    assert set(Category.objects.filter(slug__in=["held", "next"]).values_list("slug", flat=True)) == {
        "held",
        "next",
    }


def test_a_writer_that_waits_past_the_timeout_is_told_the_database_is_locked(sqlite_only: None) -> None:
    started, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_a_transaction, args=(started, release))
    holder.start()
    assert started.wait(10)
    timeout = float(connection.settings_dict["OPTIONS"].get("timeout", 5))
    began = time.monotonic()
    try:
        with pytest.raises(OperationalError, match="database is locked"), transaction.atomic():
            Category.objects.create(slug="late", name="Late", path="late")
    finally:
        release.set()
        holder.join(10)
    assert time.monotonic() - began >= timeout * 0.9
    assert not Category.objects.filter(slug="late").exists()
    with transaction.atomic():  # the queue is free again
        Category.objects.create(slug="after", name="After", path="after")


def test_a_write_outside_a_transaction_waits_in_the_same_line(
    sqlite_only: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    turns: list[str] = []
    wrapper = type(connections[DEFAULT_DB_ALIAS])
    take = wrapper._take_writer

    def counted(self: object) -> None:
        turns.append(threading.current_thread().name)
        take(self)  # type: ignore[arg-type]

    monkeypatch.setattr(wrapper, "_take_writer", counted)
    started, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_a_transaction, args=(started, release), name="holder")
    holder.start()
    assert started.wait(10)
    threading.Timer(0.3, release.set).start()
    began = time.monotonic()
    Category.objects.create(slug="alone", name="Alone", path="alone")  # autocommit: one INSERT
    waited = time.monotonic() - began
    holder.join(10)
    assert 0.25 <= waited < 3
    assert Category.objects.filter(slug="alone").exists()  # a read takes no turn
    assert turns == ["holder", threading.current_thread().name]


def test_a_transaction_takes_its_turn_at_its_first_statement(sqlite_only: None) -> None:
    entered, release = threading.Event(), threading.Event()

    def enter_and_wait() -> None:
        try:
            with transaction.atomic():  # no statement yet: no turn taken
                entered.set()
                release.wait(10)
                Category.objects.create(slug="late-start", name="Late start", path="late-start")
        finally:
            connection.close()

    holder = threading.Thread(target=enter_and_wait)
    holder.start()
    assert entered.wait(10)
    began = time.monotonic()
    try:
        Category.objects.create(slug="first", name="First", path="first")
        waited = time.monotonic() - began
    finally:
        release.set()
        holder.join(10)
    assert waited < 1
    assert Category.objects.filter(slug__in=["first", "late-start"]).count() == 2


def test_a_write_unit_keeps_the_processs_turn_between_its_writes(sqlite_only: None) -> None:
    between, release = threading.Event(), threading.Event()

    def unit() -> None:
        try:
            with write_unit():
                Category.objects.create(slug="one", name="One", path="one")  # autocommit
                between.set()
                release.wait(10)
                with transaction.atomic():
                    Category.objects.create(slug="two", name="Two", path="two")
        finally:
            connection.close()

    worker = threading.Thread(target=unit)
    worker.start()
    assert between.wait(10)
    threading.Timer(0.3, release.set).start()
    began = time.monotonic()
    Category.objects.create(slug="other", name="Other", path="other")  # waits for the whole unit
    waited = time.monotonic() - began
    worker.join(10)
    assert 0.25 <= waited < 3
    assert Category.objects.filter(slug__in=["one", "two", "other"]).count() == 3


def test_a_write_unit_lets_the_others_write_while_it_waits_on_the_network(sqlite_only: None) -> None:
    paused, release, resumed = threading.Event(), threading.Event(), threading.Event()

    def unit() -> None:
        try:
            with write_unit():
                Category.objects.create(slug="before", name="Before", path="before")
                with write_unit_paused():  # as around a payment provider's call
                    paused.set()
                    release.wait(10)
                resumed.set()
                release.clear()
                release.wait(10)  # the turn is held again
        finally:
            connection.close()

    worker = threading.Thread(target=unit)
    worker.start()
    try:
        assert paused.wait(10)
        began = time.monotonic()
        Category.objects.create(slug="meanwhile", name="Meanwhile", path="meanwhile")
        assert time.monotonic() - began < 1
        release.set()
        assert resumed.wait(10)
        threading.Timer(0.3, release.set).start()
        began = time.monotonic()
        Category.objects.create(slug="after", name="After", path="after")
        assert 0.25 <= time.monotonic() - began < 3
    finally:
        release.set()
        worker.join(10)


def test_a_paused_unit_that_cannot_take_its_turn_back_goes_on_without_it(
    sqlite_only: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.3)
    paused, taken, done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def unit() -> None:
        try:
            with write_unit():
                with write_unit_paused():  # as around a call to Stripe
                    paused.set()
                    taken.wait(10)  # meanwhile another unit takes the turn and keeps it
                Category.objects.create(slug="went-on", name="Went on", path="went-on")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            done.set()
            connection.close()

    worker = threading.Thread(target=unit)
    worker.start()
    assert paused.wait(10)
    with write_unit():
        taken.set()
        time.sleep(0.5)  # longer than the worker's timeout
    assert done.wait(10)
    worker.join(10)
    assert errors == []
    assert Category.objects.filter(slug="went-on").exists()


def test_a_block_whose_begin_failed_can_only_roll_back(
    sqlite_only: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_a_transaction, args=(started, release))
    holder.start()
    assert started.wait(10)
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.3)
    try:
        with pytest.raises(TransactionManagementError), transaction.atomic():
            with suppress(OperationalError):  # caught inside the block: nothing after may run unlocked
                Category.objects.create(slug="locked-out", name="Locked out", path="locked-out")
            Category.objects.count()
    finally:
        release.set()
        holder.join(10)
    assert not Category.objects.filter(slug="locked-out").exists()


def test_a_commit_that_fails_leaves_the_line_free_after_its_rollback(sqlite_only: None) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Category.objects.create(
            slug="orphan", name="Orphan", path="orphan", parent_id=987654
        )  # checked at COMMIT
    began = time.monotonic()
    Category.objects.create(slug="next-one", name="Next one", path="next-one")
    assert time.monotonic() - began < 1
    assert not Category.objects.filter(slug="orphan").exists()


def _hold_in_a_child(held: Any, release: Any) -> None:
    """A forked process's write transaction, held until `release`."""
    try:
        with transaction.atomic():
            Category.objects.create(slug="child", name="Child", path="child")
            held.set()
            release.wait(10)
    finally:
        connection.close()
        os._exit(0)


def test_a_writer_in_another_process_waits_for_the_file_lock(
    sqlite_only: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    fork = multiprocessing.get_context("fork")
    held, release = fork.Event(), fork.Event()
    connections.close_all()  # the child opens its own
    child = fork.Process(target=_hold_in_a_child, args=(held, release))
    child.start()
    try:
        assert held.wait(10)
        monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.5)
        began = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            Category.objects.create(slug="parent-late", name="Parent late", path="parent-late")
        assert 0.45 <= time.monotonic() - began < 2  # this timeout, not SQLite's own 5 s
        monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 5)
        threading.Timer(0.3, release.set).start()
        began = time.monotonic()
        Category.objects.create(slug="parent", name="Parent", path="parent")  # goes once the child commits
        waited = time.monotonic() - began
    finally:
        release.set()
        child.join(10)
    assert 0.25 <= waited < 3
    assert child.exitcode == 0
    assert Category.objects.filter(slug__in=["child", "parent"]).count() == 2
    assert not Category.objects.filter(slug="parent-late").exists()
