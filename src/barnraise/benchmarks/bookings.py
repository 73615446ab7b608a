"""`barnraise bench bookings`: concurrent bookings through the engine, against hand-written floors.

32 client threads (each with its own database connection) book random one-hour windows on
100 hot listings for a fixed time, through commerce.services.transaction_create: the whole
engine (validation, pricing, the calendar lock, the availability count, the event, the timer)
and, since processes v2, the card: a dry run prices the deal, the sandbox provider authorizes
the total (its own rows), and the deal opens with the payment recorded.
In the same run, with the same threads:

- the floor: the same booking as hand-written SQL on the raw driver, card included, in tables
  of its own (run_floor says what it does); the goal is measured against it;
- for context: the calendar-only floor of this bench's first version (lock the calendar row,
  count the overlapping bookings, insert), and pgbench's TPC-B-like TPS (PostgreSQL only).

Afterwards every calendar is checked for overlapping held bookings: the count must be 0. The
database is created fresh each run: PostgreSQL `barnraise_bench_bookings`, or
var/bench/bookings.sqlite3. The caller points DATABASE_URL at it before Django starts.
"""

import multiprocessing
import os
import random
import re
import sqlite3
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from barnraise.benchmarks import report

LISTINGS = 100
CLIENTS = 32
FLOOR_TABLE = "bench_floor_booking"
SERIAL = {"postgresql": "BIGSERIAL", "sqlite": "INTEGER"}


@dataclass(frozen=True)
class Target:
    vendor: str
    url: str
    admin_url: str = ""


def target(vendor: str, postgres_url: str) -> Target:
    if vendor == "sqlite":
        path = (
            Path(os.environ.get("BARNRAISE_VAR_DIR", Path.cwd() / "var")).resolve()
            / "bench"
            / "bookings.sqlite3"
        )
        return Target(vendor, f"sqlite:///{path}")
    parts = urlsplit(postgres_url)
    return Target(vendor, urlunsplit(parts._replace(path="/barnraise_bench_bookings")), postgres_url)


def prepare_storage(t: Target) -> None:
    """A fresh, empty database for this run."""
    if t.vendor == "sqlite":
        path = Path(t.url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(t.admin_url, autocommit=True) as admin:
        admin.execute('DROP DATABASE IF EXISTS "barnraise_bench_bookings"')
        admin.execute('CREATE DATABASE "barnraise_bench_bookings"')


def setup(say: Callable[[str], None]) -> tuple[list[Any], list[Any]]:
    """Migrate, then make the hot listings and the customers. Returns (listings, customers)."""
    from allauth.account.models import EmailAddress
    from django.core.management import call_command

    from barnraise.accounts.models import User
    from barnraise.catalog.services import category_create, listing_create

    say("Migrating the bench database…")
    call_command("migrate", "--no-input", "--verbosity", "0")
    owner = User.objects.create_user(email="owner@bench.example", password=None, name="Owner")
    EmailAddress.objects.create(user=owner, email=owner.email, primary=True, verified=True)
    rooms = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    listings = [
        listing_create(
            actor=owner,
            kind="rental",
            category=rooms,
            title=f"Room {i}",
            unit="hour",
            price_amount_minor=1000,
            currency="EUR",
            seats=1,
            lat=50.0,
            lng=4.0,
            timezone="UTC",
        )
        for i in range(LISTINGS)
    ]
    customers = []
    for i in range(CLIENTS):
        user = User.objects.create_user(email=f"c{i}@bench.example", password=None, name=f"C{i}")
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
        customers.append(user)
    return listings, customers


# Windows are spread over most of a year (a listing takes bookings 365 days ahead), so that the
# calendars stay mostly free for the whole run even at the floor's pace: over 30 days, the
# floor filled two thirds of them and most of its attempts became cheap refusals, which the
# slower engine never met. The 100 calendars stay hot: every client locks one of them.
WINDOW_DAYS = 360


def _window(rng: random.Random, base: datetime) -> tuple[datetime, datetime]:
    start = base + timedelta(days=rng.randrange(WINDOW_DAYS), hours=rng.randrange(8, 20))
    return start, start + timedelta(hours=1)


@dataclass
class Tally:
    outcomes: Counter[str]
    latencies_ms: list[float]
    seconds: float


def _threads(
    work: Callable[[int, float], tuple[Counter[str], list[float]]], seconds: float, processes: int = 1
) -> Tally:
    """Run `work(client, deadline)` for CLIENTS clients, one thread each, spread over
    `processes` forked processes (as gunicorn's workers would be), all starting together."""
    if processes > 1:
        from django.db import connections

        connections.close_all()  # a forked child must open its own
    start_at = time.time() + 0.5 + 0.1 * processes
    mine = [list(range(CLIENTS))[p::processes] for p in range(processes)]
    if processes == 1:
        parts = [_clients(work, mine[0], start_at, seconds)]
    else:
        fork = multiprocessing.get_context("fork")  # the child inherits `work`, a closure
        answers = fork.SimpleQueue()
        children = [
            fork.Process(target=lambda c=clients: answers.put(_clients(work, c, start_at, seconds)))
            for clients in mine
        ]
        for child in children:
            child.start()
        parts = [answers.get() for _child in children]
        for child in children:
            child.join()
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    for counted, timed in parts:
        outcomes.update(counted)
        latencies.extend(timed)
    return Tally(outcomes, latencies, seconds)


def _clients(
    work: Callable[[int, float], tuple[Counter[str], list[float]]],
    clients: list[int],
    start_at: float,
    seconds: float,
) -> tuple[Counter[str], list[float]]:
    results: dict[int, tuple[Counter[str], list[float]]] = {}

    def run(index: int) -> None:
        time.sleep(max(0.0, start_at - time.time()))
        results[index] = work(index, time.monotonic() + seconds)

    threads = [threading.Thread(target=run, args=(i,)) for i in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    for counted, timed in results.values():
        outcomes.update(counted)
        latencies.extend(timed)
    return outcomes, latencies


def run_engine(listings: list[Any], customers: list[Any], seconds: float, processes: int) -> Tally:
    from django.db import OperationalError, connection

    from barnraise.commerce.services import transaction_create
    from barnraise.errors import NotAvailable

    base = (datetime.now(UTC) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)

    def work(index: int, deadline: float) -> tuple[Counter[str], list[float]]:
        rng = random.Random(index)  # noqa: S311 - load generation
        outcomes: Counter[str] = Counter()
        latencies: list[float] = []
        try:
            while time.monotonic() < deadline:
                listing = rng.choice(listings)
                start, end = _window(rng, base)
                began = time.perf_counter()
                try:
                    transaction_create(
                        actor=customers[index],
                        listing_id=listing.public_id,
                        params={"start": start.isoformat(), "end": end.isoformat()},
                        payment_method="4242424242424242",
                    )
                    outcomes["booked"] += 1
                except NotAvailable:
                    outcomes["not_available"] += 1
                except OperationalError:
                    outcomes["busy"] += 1
                latencies.append((time.perf_counter() - began) * 1000)
        finally:
            connection.close()
        return outcomes, latencies

    return _threads(work, seconds, processes)


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
                start, end = _window(rng, base)
                began = time.perf_counter()
                try:
                    booked = book(conn, target, start, end, members[index])
                    outcomes["booked" if booked else "not_available"] += 1
                except Exception:  # a busy database: count it like the engine's 503
                    conn.rollback()
                    outcomes["busy"] += 1
                latencies.append((time.perf_counter() - began) * 1000)
        return outcomes, latencies

    return _threads(work, seconds, processes)


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


def double_bookings() -> int:
    """Pairs of held bookings on one calendar that overlap (every listing has one seat)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM commerce_booking a JOIN commerce_booking b "
            "ON a.calendar_id = b.calendar_id AND a.id < b.id AND a.start < b.blocked_until "
            "AND b.start < a.blocked_until "
            "WHERE a.status IN ('pending', 'accepted') AND b.status IN ('pending', 'accepted')"
        )
        (count,) = cursor.fetchone()
    return int(count)


def pgbench(t: Target, seconds: int) -> dict[str, Any]:
    """pgbench's TPC-B-like run on a scratch database, for context."""
    parts = urlsplit(t.admin_url)
    common = [
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
    ]
    subprocess.run(
        [
            "psql",
            *common,
            "-q",
            "-c",
            "DROP DATABASE IF EXISTS barnraise_bench_pgbench",
            "-c",
            "CREATE DATABASE barnraise_bench_pgbench",
            "postgres",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["pgbench", *common, "-i", "-q", "-s", "10", "barnraise_bench_pgbench"],
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        [
            "pgbench",
            *common,
            "-c",
            "16",
            "-j",
            "2",
            "-T",
            str(seconds),
            "barnraise_bench_pgbench",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    match = re.search(r"tps = ([\d.]+)", done.stdout)
    return {"clients": 16, "seconds": seconds, "tps": float(match.group(1)) if match else None}


def tally_row(name: str, tally: Tally) -> dict[str, Any]:
    booked = tally.outcomes["booked"]
    attempts = sum(tally.outcomes.values())
    return {
        "layer": name,
        "attempts_per_s": round(attempts / tally.seconds, 1),
        "bookings_per_s": round(booked / tally.seconds, 1),
        **{k: tally.outcomes[k] for k in ("booked", "not_available", "busy")},
        "latency_ms": report.summary(tally.latencies_ms or [0.0]),
    }


def run(
    t: Target, seconds: int, output_dir: Path, say: Callable[[str], None], processes: int = 1
) -> tuple[dict[str, Any], Path]:
    from django.db import connection

    listings, customers = setup(say)
    say(f"Engine: {CLIENTS} clients in {processes} process(es) for {seconds}s on {LISTINGS} listings…")
    engine = run_engine(listings, customers, seconds, processes)
    doubles = double_bookings()
    connection.close()
    say(f"Floor, the same booking by hand: {CLIENTS} clients in {processes} process(es) for {seconds}s…")
    floor = run_floor(t, listings, customers, seconds, processes, paid=True)
    say(f"Floor, the calendar only: {CLIENTS} clients in {processes} process(es) for {seconds}s…")
    calendar_floor = run_floor(t, listings, customers, seconds, processes, paid=False)
    rows = [
        tally_row("engine (transaction_create)", engine),
        tally_row("floor: the same booking by hand", floor),
        tally_row("floor: the calendar only", calendar_floor),
    ]
    floor_rate = rows[1]["attempts_per_s"] or 1.0
    payload: dict[str, Any] = {
        "benchmark": "bookings",
        "database": t.vendor,
        "clients": CLIENTS,
        "processes": processes,
        "listings": LISTINGS,
        "seconds": seconds,
        "machine": report.machine(),
        "results": rows,
        "engine_vs_floor": round(rows[0]["attempts_per_s"] / floor_rate, 3),
        "engine_vs_calendar_floor": round(rows[0]["attempts_per_s"] / (rows[2]["attempts_per_s"] or 1.0), 3),
        "double_bookings": doubles,
        "goal": {"engine_vs_floor_at_least": 0.30, "double_bookings": 0},
    }
    if t.vendor == "postgresql":
        say("pgbench TPC-B-like, 16 clients, for context…")
        payload["pgbench"] = pgbench(t, min(seconds, 15))
    path = report.write_json(output_dir, f"bookings-{t.vendor}", payload)
    return payload, path


def render(payload: dict[str, Any]) -> str:
    headers = ["layer", "attempts/s", "bookings/s", "booked", "not avail.", "busy", "p50 ms", "p99 ms"]
    rows = [
        [
            r["layer"],
            r["attempts_per_s"],
            r["bookings_per_s"],
            r["booked"],
            r["not_available"],
            r["busy"],
            r["latency_ms"]["p50"],
            r["latency_ms"]["p99"],
        ]
        for r in payload["results"]
    ]
    lines = [
        report.table(headers, rows),
        "",
        f"engine / the same booking by hand: {payload['engine_vs_floor']:.0%} (goal ≥ 30%)",
        f"engine / the calendar only: {payload['engine_vs_calendar_floor']:.0%}",
        f"double bookings: {payload['double_bookings']} (must be 0)",
    ]
    if "pgbench" in payload:
        lines.append(f"pgbench TPC-B-like: {payload['pgbench']['tps']} TPS (16 clients)")
    return "\n".join(lines)
