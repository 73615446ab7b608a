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

import os
import random
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from barnraise.benchmarks import report
from barnraise.benchmarks.bookings_driver import CLIENTS, Tally, Target, run_clients, window
from barnraise.benchmarks.bookings_floor import run_floor

LISTINGS = 100


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
        for suffix in ("", "-wal", "-shm", "-writers"):
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
                start, end = window(rng, base)
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

    return run_clients(work, seconds, processes)


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
