"""The floors of `barnraise bench bookings`: the same booking as hand-written SQL on the raw
driver, in tables of their own (see run_floor)."""

import random
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from barnraise.benchmarks.bookings_driver import Tally, Target, run_clients, window

FLOOR_TABLE = "bench_floor_booking"


FLOOR_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS bench_floor_tx (id TEXT PRIMARY KEY, calendar_id TEXT NOT NULL, "
    "customer TEXT NOT NULL, state TEXT NOT NULL, total BIGINT NOT NULL, start_at TIMESTAMP NOT NULL, "
    "end_at TIMESTAMP NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id TEXT PRIMARY KEY, tx_id TEXT NOT NULL, "
    "calendar_id TEXT NOT NULL, start_at TIMESTAMP NOT NULL, end_at TIMESTAMP NOT NULL, "
    "status TEXT NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {FLOOR_TABLE}_cal ON {FLOOR_TABLE} (calendar_id, start_at)",
    "CREATE TABLE IF NOT EXISTS bench_floor_event (tx_id TEXT NOT NULL, name TEXT NOT NULL, "
    "to_state TEXT NOT NULL, created_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS bench_floor_timer (id TEXT PRIMARY KEY, target TEXT NOT NULL, "
    "due_at TIMESTAMP NOT NULL)",
    # The card: the provider's record of the authorization (the sandbox keeps one), our record
    # of the call, and the payment the deal holds.
    "CREATE TABLE IF NOT EXISTS bench_floor_authorization (id TEXT PRIMARY KEY, idempotency_key TEXT "
    "NOT NULL UNIQUE, kind TEXT NOT NULL, amount_minor BIGINT NOT NULL, currency TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS bench_floor_provider_call (id TEXT PRIMARY KEY, reference TEXT NOT NULL, "
    "idempotency_key TEXT NOT NULL UNIQUE, external_id TEXT NOT NULL, amount_minor BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS bench_floor_payment (id TEXT PRIMARY KEY, tx_id TEXT NOT NULL, "
    "authorization_id TEXT NOT NULL, amount_minor BIGINT NOT NULL, currency TEXT NOT NULL)",
]


FLOOR_TABLES = [
    "bench_floor_tx",
    FLOOR_TABLE,
    "bench_floor_event",
    "bench_floor_timer",
    "bench_floor_authorization",
    "bench_floor_provider_call",
    "bench_floor_payment",
]


def _floor_statements(vendor: str) -> dict[str, str]:
    m = "%s" if vendor == "postgresql" else "?"
    true = "true" if vendor == "postgresql" else "1"
    return {
        "member": "SELECT EXISTS (SELECT 1 FROM account_emailaddress "
        f"WHERE user_id = {m} AND verified = {true}) AND NOT EXISTS (SELECT 1 FROM trust_suspension "
        f"WHERE member_id = {m} AND ended_at IS NULL)",
        "listing": "SELECT price_amount_minor, currency FROM catalog_listing "
        f"WHERE id = {m} AND status = 'published'",
        "lock": "SELECT id FROM catalog_calendar WHERE id = %s FOR UPDATE",
        "count": f"SELECT count(*) FROM {FLOOR_TABLE} WHERE calendar_id = {m} AND start_at < {m} "
        f"AND end_at > {m} AND status = 'pending'",
        "authorize": f"INSERT INTO bench_floor_authorization VALUES ({m}, {m}, {m}, {m}, {m})",
        "call": f"INSERT INTO bench_floor_provider_call VALUES ({m}, {m}, {m}, {m}, {m})",
        "tx": f"INSERT INTO bench_floor_tx VALUES ({m}, {m}, {m}, 'requested', {m}, {m}, {m})",
        "booking": f"INSERT INTO {FLOOR_TABLE} VALUES ({m}, {m}, {m}, {m}, {m}, 'pending')",
        "payment": f"INSERT INTO bench_floor_payment VALUES ({m}, {m}, {m}, {m}, {m})",
        "event": f"INSERT INTO bench_floor_event VALUES ({m}, 'request', 'requested', {m})",
        "timer": f"INSERT INTO bench_floor_timer VALUES ({m}, {m}, {m})",
    }


@dataclass(frozen=True)
class FloorTarget:
    """What the floor books on: a listing's id and calendar, as the driver takes them."""

    listing: Any
    calendar: str
    price: int


def run_floor(
    t: Target,
    listings: list[Any],
    customers: list[Any],
    seconds: float,
    processes: int,
    *,
    paid: bool,
) -> Tally:
    """The same booking by hand, on the raw driver, in the engine's order.

    With `paid` (the engine's booking since processes v2): check the member (verified, not
    suspended) and the listing, count the overlapping bookings, authorize the card (the
    provider's record and ours, each committed before the deal opens, as the engine does),
    then lock the calendar, count again, and write the transaction, the booking, the payment,
    the event and the expiry timer in one transaction; a booking lost under the lock voids the
    authorization. Without `paid`: only the locked part, without the payment (the calendar
    floor of the first version of this bench).
    """
    connect = _connector(t)
    with connect() as setup_conn:
        for statement in FLOOR_SCHEMA:
            setup_conn.execute(statement)
        for table in FLOOR_TABLES:  # each floor starts from an empty calendar
            setup_conn.execute(f"DELETE FROM {table}")
        setup_conn.commit()
    base = (datetime.now(UTC) + timedelta(days=2)).replace(
        tzinfo=None, hour=0, minute=0, second=0, microsecond=0
    )
    sql = _floor_statements(t.vendor)

    def key(value: uuid.UUID) -> Any:  # a UUID as each database stores it
        return value.hex if t.vendor == "sqlite" else value

    targets = [FloorTarget(x.pk, str(x.calendar_id), x.price_amount_minor) for x in listings]
    members = [key(c.pk) for c in customers]

    def autocommit(conn: Any, statement: str, params: list[Any]) -> None:
        conn.execute(statement, params)
        conn.commit()

    def book(conn: Any, target: FloorTarget, start: datetime, end: datetime, member: Any) -> bool:
        authorization = ""
        total = target.price
        if paid:
            (good,) = conn.execute(sql["member"], [member, member]).fetchone()
            price, currency = conn.execute(sql["listing"], [target.listing]).fetchone()
            (taken,) = conn.execute(sql["count"], [target.calendar, end, start]).fetchone()
            conn.commit()
            if not good or taken:
                return False
            total = price + price * 5 // 100
            authorization = str(uuid.uuid4())
            autocommit(
                conn, sql["authorize"], [authorization, authorization, "authorization", total, currency]
            )
            autocommit(
                conn, sql["call"], [str(uuid.uuid4()), "transaction:?", authorization, authorization, total]
            )
        if t.vendor == "sqlite":
            conn.execute("BEGIN IMMEDIATE")
        else:
            conn.execute(sql["lock"], [target.calendar])
        (taken,) = conn.execute(sql["count"], [target.calendar, end, start]).fetchone()
        if not taken:
            tx_id, now = str(uuid.uuid4()), datetime.now(UTC).replace(tzinfo=None)
            conn.execute(sql["tx"], [tx_id, target.calendar, str(member), total, start, end])
            conn.execute(sql["booking"], [str(uuid.uuid4()), tx_id, target.calendar, start, end])
            if paid:
                conn.execute(sql["payment"], [str(uuid.uuid4()), tx_id, authorization, total, "EUR"])
            conn.execute(sql["event"], [tx_id, now])
            conn.execute(sql["timer"], [str(uuid.uuid4()), f"transaction:{tx_id}", now + timedelta(days=3)])
        conn.commit()
        if taken and paid:
            void = str(uuid.uuid4())
            autocommit(conn, sql["authorize"], [void, f"{authorization}:void", "void", total, "EUR"])
        return not taken

    def work(index: int, deadline: float) -> tuple[Counter[str], list[float]]:
        rng = random.Random(1000 + index)  # noqa: S311 - load generation
        outcomes: Counter[str] = Counter()
        latencies: list[float] = []
        with connect() as conn:
            while time.monotonic() < deadline:
                target = rng.choice(targets)
                start, end = window(rng, base)
                began = time.perf_counter()
                try:
                    booked = book(conn, target, start, end, members[index])
                    outcomes["booked" if booked else "not_available"] += 1
                except Exception:  # a busy database: count it like the engine's 503
                    conn.rollback()
                    outcomes["busy"] += 1
                latencies.append((time.perf_counter() - began) * 1000)
        return outcomes, latencies

    return run_clients(work, seconds, processes)


def _connector(t: Target) -> Callable[[], Any]:
    if t.vendor == "sqlite":
        path = t.url.removeprefix("sqlite:///")

        def sqlite_connect() -> Any:
            conn = sqlite3.connect(path, timeout=5, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            return _SqliteTx(conn)

        return sqlite_connect
    import psycopg

    return lambda: psycopg.connect(t.url)


class _SqliteTx:
    """sqlite3 in autocommit mode with explicit BEGIN IMMEDIATE, shaped like psycopg's API."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def commit(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def __enter__(self) -> "_SqliteTx":
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()
