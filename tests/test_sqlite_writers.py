"""SQLite: a process's write transactions wait in line (barnraise.sqlite) and keep SQLite's contract:
a writer goes once the one before it commits, and one that waits past the timeout is told the
database is locked (the API's 503 `busy`)."""

import threading
import time

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction

from barnraise.catalog.models import Category

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
