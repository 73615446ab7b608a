"""The ledger benchmark's data set: where it lives, the escrow-flow generator and the bulk load.

Every deal follows the escrow flow of docs/money.md: capture into a per-transaction escrow
account, the processor's fee, release (provider's share to pending, fees to revenue), settle
(pending to available) and, for about half of the deals, a payout. That is about 10 postings
per deal, on many member accounts (pending and available per member), one escrow account per
deal and a few platform accounts per currency.

The load goes the way the ledger's guards allow (migration 0002): per batch, in one
transaction, the entries are inserted `open`, their postings added (the insert trigger checks
each one), then one UPDATE marks the batch `posted` (the update trigger checks every entry
balances). Nothing is disabled. PostgreSQL uses COPY, SQLite executemany.
"""

import hashlib
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

GENERATOR_VERSION = 1
META_TABLE = "bench_ledger_meta"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
# currency, share of members (and so of deals)
CURRENCIES = (("EUR", 0.6), ("USD", 0.3), ("GBP", 0.1))
PLATFORM_KINDS = ("external_funding", "processor_fees", "platform_revenue", "external_payouts")
BATCH_POSTINGS = 200_000  # postings per load transaction
PAYOUT_SHARE = 0.5  # deals whose provider is paid out right after settling

# An entry of a deal: its kind, and (account role, amount) lines, debit positive. Roles are
# "escrow", "pending" and "available" (the deal's and its provider's accounts) and the platform
# kinds above.
Plan = list[tuple[str, list[tuple[str, int]]]]


def deal_plan(rng: random.Random) -> Plan:
    """One deal's entries with random amounts, priced like commerce's default fee rule."""
    base = rng.randrange(500, 30_000)
    customer_fee = min(max(round(base * 0.05) + 50, 50), 5000)
    commission = round(base * 0.10)
    total = base + customer_fee
    share = base - commission
    processor = round(total * 0.029) + 30
    plan: Plan = [
        ("capture", [("external_funding", total), ("escrow", -total)]),
        ("fee", [("processor_fees", processor), ("external_funding", -processor)]),
        (
            "release",
            [("escrow", total), ("pending", -share), ("platform_revenue", -(customer_fee + commission))],
        ),
        ("settle", [("pending", share), ("available", -share)]),
    ]
    if rng.random() < PAYOUT_SHARE:
        plan.append(("payout", [("available", share), ("external_payouts", -share)]))
    return plan


# ---------------------------------------------------------------------------------------------
# Where the data set lives


@dataclass(frozen=True)
class Target:
    vendor: str
    postings: int
    seed: int
    url: str  # the DATABASE_URL Django will use
    admin_url: str = ""  # PostgreSQL: the maintenance database used to create the bench one


def var_dir() -> Path:
    return Path(os.environ.get("BARNRAISE_VAR_DIR", Path.cwd() / "var")).resolve()


def target(vendor: str, postings: int, seed: int, postgres_url: str = DEFAULT_POSTGRES_URL) -> Target:
    if vendor == "sqlite":
        path = var_dir() / "bench" / f"ledger-{postings}-{seed}.sqlite3"
        return Target(vendor, postings, seed, f"sqlite:///{path}")
    parts = urlsplit(postgres_url)
    url = urlunsplit(parts._replace(path=f"/barnraise_bench_ledger_{postings}_{seed}"))
    return Target(vendor, postings, seed, url, admin_url=postgres_url)


def prepare_storage(t: Target, rebuild: bool) -> bool:
    """Make sure the database exists, before Django connects. True when a finished load is there."""
    if t.vendor == "sqlite":
        path = Path(t.url.removeprefix("sqlite:///"))
        if path.exists() and not rebuild and _sqlite_meta_ok(path):
            return True
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return False
    import psycopg

    name = urlsplit(t.url).path.lstrip("/")
    with psycopg.connect(t.admin_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not rebuild:
            with psycopg.connect(t.url) as bench:
                found = bench.execute("SELECT to_regclass(%s)", [META_TABLE]).fetchone()
                if found and found[0] and _meta_ok(bench.execute(f"SELECT value FROM {META_TABLE}")):
                    return True
        # The name is built from two integers only.
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return False


def _meta_ok(cursor: Any) -> bool:
    row = cursor.fetchone()
    if row is None:
        return False
    meta = json.loads(row[0])
    return bool(meta.get("complete")) and meta.get("generator") == GENERATOR_VERSION


def _sqlite_meta_ok(path: Path) -> bool:
    import sqlite3

    with sqlite3.connect(path) as conn:
        try:
            return _meta_ok(conn.execute(f"SELECT value FROM {META_TABLE}"))
        except sqlite3.Error:
            return False


def read_meta() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {META_TABLE}")
        row = cursor.fetchone()
    result: dict[str, Any] = json.loads(row[0])
    return result


def _write_meta(meta: dict[str, Any]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (value TEXT NOT NULL)")
        cursor.execute(f"DELETE FROM {META_TABLE}")
        cursor.execute(f"INSERT INTO {META_TABLE} (value) VALUES (%s)", [json.dumps(meta)])


# ---------------------------------------------------------------------------------------------
# Rows


class Ids:
    """UUIDv7-shaped ids, increasing from a given millisecond: entries of a batch form a range."""

    def __init__(self, unix_ms: int) -> None:
        self.prefix = ((unix_ms & 0xFFFF_FFFF_FFFF) << 80) | (0x7 << 76) | (0b10 << 62)
        self.counter = 0

    def next(self) -> str:
        self.counter += 1
        return f"{self.prefix | self.counter:032x}"


def dashed(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


def fingerprint(kind: str, reference: str, lines: Sequence[tuple[str, str, int]]) -> str:
    """The same digest as ledger.journal._fingerprint, from (account id hex, currency, amount)."""
    content = {
        "kind": kind,
        "reference": reference,
        "memo": "",
        "lines": sorted([dashed(account), currency, amount] for account, currency, amount in lines),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@dataclass
class Columns:
    """A table's columns for a bulk insert: ours, plus any column added since, with its default."""

    table: str
    names: list[str]
    extras: tuple[Any, ...]

    def row(self, values: tuple[Any, ...]) -> tuple[Any, ...]:
        return (*values, *self.extras) if self.extras else values


def columns_for(model: Any, ours: Sequence[str], skip: Sequence[str] = ()) -> Columns:
    from django.db import connection

    names = list(ours)
    extras: list[Any] = []
    for f in model._meta.concrete_fields:
        if f.column not in names and f.column not in skip:
            names.append(f.column)
            extras.append(f.get_db_prep_save(f.get_default(), connection))
    return Columns(model._meta.db_table, names, tuple(extras))


@dataclass
class Tables:
    account: Columns
    entry: Columns
    posting: Columns


def tables() -> Tables:
    from barnraise.ledger.models import Account, JournalEntry, Posting

    return Tables(
        account=columns_for(Account, ["id", "kind", "owner_id", "reference", "currency", "created_at"]),
        entry=columns_for(
            JournalEntry,
            ["id", "kind", "status", "reference", "memo", "idempotency_key", "fingerprint", "created_at"],
        ),
        posting=columns_for(Posting, ["entry_id", "account_id", "amount_minor", "currency"], skip=["id"]),
    )


def db_now(vendor: str) -> Any:
    """The current time as the database column wants it (Django stores naive UTC on SQLite)."""
    moment = datetime.now(UTC)
    return moment.replace(tzinfo=None).isoformat(" ") if vendor == "sqlite" else moment


@dataclass
class Member:
    pending: str  # account ids (hex)
    available: str
    currency: str


@dataclass
class Chart:
    platform: dict[tuple[str, str], str]  # (kind, currency) -> account id (hex)
    members: list[Member]


@dataclass
class Batch:
    accounts: list[tuple[Any, ...]] = field(default_factory=list)
    entries: list[tuple[Any, ...]] = field(default_factory=list)
    postings: list[tuple[Any, ...]] = field(default_factory=list)
    first_entry: str = ""
    last_entry: str = ""
    deals: int = 0


class DealMaker:
    """Deals as rows, with ids increasing from `unix_ms` and amounts from `rng`."""

    def __init__(self, rng: random.Random, chart: Chart, tabs: Tables, vendor: str, unix_ms: int) -> None:
        self.rng = rng
        self.chart = chart
        self.tabs = tabs
        self.ids = Ids(unix_ms)
        self.vendor = vendor

    def batch(self, postings: int) -> Batch:
        """Whole deals, until at least `postings` postings."""
        out = Batch()
        created = db_now(self.vendor)
        tabs, ids, platform = self.tabs, self.ids, self.chart.platform
        while len(out.postings) < postings:
            member = self.rng.choice(self.chart.members)
            currency = member.currency
            deal = ids.next()
            reference = f"transaction:{dashed(deal)}"
            escrow = ids.next()
            out.accounts.append(tabs.account.row((escrow, "escrow", None, reference, currency, created)))
            roles = {"escrow": escrow, "pending": member.pending, "available": member.available}
            for kind, lines in deal_plan(self.rng):
                entry = ids.next()
                if not out.first_entry:
                    out.first_entry = entry
                out.last_entry = entry
                resolved = [
                    (roles[role] if role in roles else platform[(role, currency)], currency, amount)
                    for role, amount in lines
                ]
                out.entries.append(
                    tabs.entry.row(
                        (
                            entry,
                            kind,
                            "open",
                            reference,
                            "",
                            f"{reference}:{kind}",
                            fingerprint(kind, reference, resolved),
                            created,
                        )
                    )
                )
                out.postings.extend(
                    tabs.posting.row((entry, account, amount, cur)) for account, cur, amount in resolved
                )
            out.deals += 1
        return out


# ---------------------------------------------------------------------------------------------
# Writing


def raw_connection() -> Any:
    from django.db import connection

    connection.ensure_connection()
    return connection.connection


def insert(vendor: str, raw: Any, columns: Columns, rows: Sequence[tuple[Any, ...]]) -> None:
    """COPY (PostgreSQL) or executemany (SQLite), inside the caller's transaction."""
    if not rows:
        return
    names = ", ".join(f'"{c}"' for c in columns.names)
    if vendor == "sqlite":
        marks = ", ".join("?" for _ in columns.names)
        raw.executemany(f"INSERT INTO {columns.table} ({names}) VALUES ({marks})", rows)
        return
    with raw.cursor() as cur, cur.copy(f"COPY {columns.table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


class Tx:
    """One write transaction on the raw driver: BEGIN IMMEDIATE on SQLite, BEGIN on PostgreSQL."""

    def __init__(self, vendor: str, raw: Any) -> None:
        self.vendor = vendor
        self.raw = raw

    def __enter__(self) -> None:
        self.raw.execute("BEGIN IMMEDIATE" if self.vendor == "sqlite" else "BEGIN")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.raw.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def write_batch(vendor: str, raw: Any, tabs: Tables, batch: Batch) -> None:
    """Accounts, open entries and postings, then the whole batch marked posted: one transaction."""
    mark = "?" if vendor == "sqlite" else "%s"
    with Tx(vendor, raw):
        insert(vendor, raw, tabs.account, batch.accounts)
        insert(vendor, raw, tabs.entry, batch.entries)
        insert(vendor, raw, tabs.posting, batch.postings)
        raw.execute(
            "UPDATE ledger_journalentry SET status = 'posted' "
            f"WHERE id >= {mark} AND id <= {mark} AND status = 'open'",
            [batch.first_entry, batch.last_entry],
        )


def write_postings(
    vendor: str,
    raw: Any,
    maker: DealMaker,
    postings: int,
    progress: Callable[[int], object] | None = None,
) -> dict[str, int]:
    """Bulk-write deals until `postings` postings; returns counts."""
    tabs = maker.tabs
    counts = {"deals": 0, "entries": 0, "postings": 0, "accounts": 0}
    while counts["postings"] < postings:
        batch = maker.batch(min(BATCH_POSTINGS, postings - counts["postings"]))
        write_batch(vendor, raw, tabs, batch)
        counts["deals"] += batch.deals
        counts["entries"] += len(batch.entries)
        counts["postings"] += len(batch.postings)
        counts["accounts"] += len(batch.accounts)
        if progress is not None:
            progress(len(batch.postings))
    return counts


# ---------------------------------------------------------------------------------------------
# The chart of accounts


def members_for(postings: int) -> int:
    """How many members: one per 100 postings, at least 50, at most 100,000."""
    return max(50, min(100_000, postings // 100))


def chart_create(vendor: str, members: int, seed: int) -> Chart:
    """Members (users) with pending and available accounts in their currency, platform accounts."""
    from barnraise.accounts.models import User

    rng = random.Random(seed)  # noqa: S311 - test data, reproducible
    users = [
        User(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            email=f"member{i}@bench-ledger.barnraise.example",
            name=f"Member {i}",
            password="!",  # noqa: S106 - an unusable password
        )
        for i in range(members)
    ]
    User.objects.bulk_create(users, batch_size=1000)
    tabs = tables()
    ids = Ids(1_700_000_000_000)  # before any id the load or the engine makes
    created = db_now(vendor)
    rows: list[tuple[Any, ...]] = []
    platform: dict[tuple[str, str], str] = {}
    for currency, _share in CURRENCIES:
        for kind in PLATFORM_KINDS:
            platform[(kind, currency)] = account = ids.next()
            rows.append(tabs.account.row((account, kind, None, "", currency, created)))
    weights = [share for _c, share in CURRENCIES]
    chart = Chart(platform, [])
    for user in users:
        currency = rng.choices([c for c, _s in CURRENCIES], weights)[0]
        member = Member(ids.next(), ids.next(), currency)
        owner = user.id.hex if vendor == "sqlite" else user.id
        rows.append(tabs.account.row((member.pending, "member_pending", owner, "", currency, created)))
        rows.append(tabs.account.row((member.available, "member_available", owner, "", currency, created)))
        chart.members.append(member)
    raw = raw_connection()
    with Tx(vendor, raw):
        insert(vendor, raw, tabs.account, rows)
    return chart


def chart_read() -> Chart:
    """The chart of a loaded data set, read back."""
    from barnraise.ledger.models import Account

    platform: dict[tuple[str, str], str] = {}
    by_owner: dict[Any, dict[str, Any]] = {}
    rows = Account.objects.exclude(kind="escrow").values_list("id", "kind", "owner_id", "currency")
    for pk, kind, owner, currency in rows.iterator(chunk_size=10_000):
        if owner is None:
            platform[(kind, currency)] = pk.hex
        else:
            by_owner.setdefault((owner, currency), {})[kind] = pk.hex
    members = [
        Member(found["member_pending"], found["member_available"], currency)
        for (_owner, currency), found in sorted(by_owner.items(), key=lambda item: str(item[0]))
        if "member_pending" in found and "member_available" in found
    ]
    return Chart(platform, members)


# ---------------------------------------------------------------------------------------------
# The load


def _before(vendor: str, raw: Any) -> None:
    if vendor == "sqlite":
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA cache_size=-524288")  # 512 MB while loading


def _after(vendor: str, raw: Any) -> None:
    if vendor == "sqlite":
        raw.execute("ANALYZE")
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.execute("PRAGMA synchronous=NORMAL")
        raw.execute("PRAGMA cache_size=-32768")
        return
    was = raw.autocommit
    raw.autocommit = True  # VACUUM cannot run in a transaction
    try:
        for table in ("ledger_account", "ledger_journalentry", "ledger_posting"):
            raw.execute(f"VACUUM ANALYZE {table}")
    finally:
        raw.autocommit = was


def load(t: Target, progress: bool, say: Callable[[str], None], migrate: bool = True) -> dict[str, Any]:
    """Migrate the bench database, bulk-load N postings, take the first snapshot; return the meta."""
    from django.core.management import call_command
    from tqdm import tqdm

    from barnraise.ledger.journal import balances_snapshot

    started = time.perf_counter()
    if migrate:
        say("Migrating the bench database…")
        call_command("migrate", "--no-input", "--verbosity", "0")
    members = members_for(t.postings)
    chart = chart_create(t.vendor, members, t.seed)
    raw = raw_connection()
    _before(t.vendor, raw)
    maker = DealMaker(random.Random(t.seed), chart, tables(), t.vendor, 1_750_000_000_000)  # noqa: S311
    say(f"Loading {t.postings:,} postings ({members:,} members)…")
    with tqdm(
        total=t.postings, desc="postings", unit="posting", disable=not progress, file=sys.stderr
    ) as bar:
        counts = write_postings(t.vendor, raw, maker, t.postings, bar.update)
    loaded = time.perf_counter()
    say("Vacuum/analyze…")
    _after(t.vendor, raw)
    analyzed = time.perf_counter()
    say("First balance snapshot (balances_snapshot) over the whole load…")
    snapshots = balances_snapshot()
    snapshotted = time.perf_counter()
    # As autovacuum would soon: without it PostgreSQL plans the trial balance for a tiny table.
    raw.execute("ANALYZE ledger_balancesnapshot")
    meta: dict[str, Any] = {
        "generator": GENERATOR_VERSION,
        "complete": True,
        "postings_requested": t.postings,
        "seed": t.seed,
        "members": members,
        "platform_accounts": len(chart.platform),
        "loaded": counts,
        "load_seconds": round(loaded - started, 1),
        "analyze_seconds": round(analyzed - loaded, 1),
        "first_snapshot_seconds": round(snapshotted - analyzed, 1),
        "first_snapshot_rows": snapshots,
        "loaded_at": datetime.now(UTC).isoformat(),
    }
    _write_meta(meta)
    return meta
