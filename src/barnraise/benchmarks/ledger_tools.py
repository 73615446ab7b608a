"""The ledger benchmark's tools (`barnraise bench ledger`, ledger.py): its thread driver,
its lock sampler and its floors.

- **floor, per entry**: the engine's deals as hand-written SQL on the raw driver, one
  transaction per entry like the engine (a payout's member account locked and its balance
  read, the entry inserted open, its postings by executemany, the entry marked posted);
- **floor, bulk**: postings written by COPY (PostgreSQL) / executemany (SQLite) in batches,
  as the load does;
- `run_threads`: T threads, each with its own connection, released together, their tallies
  merged; every layer of the benchmark runs through it;
- `LockSampler`: on PostgreSQL, how often the bench's backends wait on a lock.
"""

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from barnraise.benchmarks.ledger_load import (
    Chart,
    DealMaker,
    Ids,
    Member,
    Tables,
    Tx,
    dashed,
    db_now,
    deal_plan,
    fingerprint,
    raw_connection,
    write_postings,
)


@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    postings: int = 0
    seconds: float = 0.0


def run_threads(count: int, seconds: float, work: Callable[[int, float], Tally]) -> Tally:
    """Run `work(index, deadline)` in `count` threads released together; merge their tallies."""
    from django.db import connection

    barrier = threading.Barrier(count)
    results = [Tally() for _ in range(count)]

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index, time.monotonic() + seconds)
        finally:
            connection.close()  # this thread's own connection

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged = Tally(seconds=time.monotonic() - started)
    for tally in results:
        merged.outcomes.update(tally.outcomes)
        merged.latencies_ms.extend(tally.latencies_ms)
        merged.postings += tally.postings
    return merged


# ---------------------------------------------------------------------------------------------
# Lock waits (PostgreSQL)


class LockSampler:
    """Every 20 ms, count this database's backends waiting on a heavyweight lock, by lock type."""

    def __init__(self, vendor: str) -> None:
        self.enabled = vendor == "postgresql"
        self.samples = 0
        self.with_waiters = 0
        self.waiters = 0
        self.by_type: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        from django.db import connection

        sql = (
            "SELECT l.locktype, coalesce(l.relation::regclass::text, ''), count(*) "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE NOT l.granted AND a.datname = current_database() GROUP BY 1, 2"
        )
        try:
            with connection.cursor() as cursor:
                while not self._stop.wait(0.02):
                    cursor.execute(sql)
                    rows = cursor.fetchall()
                    self.samples += 1
                    waiting = sum(int(n) for _t, _r, n in rows)
                    self.waiters += waiting
                    self.with_waiters += 1 if waiting else 0
                    for locktype, relation, n in rows:
                        self.by_type[f"{locktype} {relation}".strip()] += int(n)
        finally:
            connection.close()

    def __enter__(self) -> "LockSampler":
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._stop.set()
            self._thread.join()

    def result(self) -> dict[str, Any] | None:
        if not self.enabled:
            return None
        return {
            "samples": self.samples,
            "samples_with_lock_waits": self.with_waiters,
            "share_with_lock_waits": round(self.with_waiters / max(self.samples, 1), 4),
            "mean_waiting_backends": round(self.waiters / max(self.samples, 1), 3),
            "waits_by_lock": dict(self.by_type.most_common()),
        }


# ---------------------------------------------------------------------------------------------
# The floor: the same entries as hand-written SQL, one transaction each


class FloorSql:
    def __init__(self, vendor: str, tabs: Tables) -> None:
        m = "?" if vendor == "sqlite" else "%s"
        self.vendor = vendor
        self.tabs = tabs

        def insert_sql(names: list[str]) -> tuple[str, str]:
            return ", ".join(f'"{c}"' for c in names), ", ".join(m for _ in names)

        a_names, a_marks = insert_sql(tabs.account.names)
        e_names, e_marks = insert_sql(tabs.entry.names)
        p_names, p_marks = insert_sql(tabs.posting.names)
        self.account = f"INSERT INTO ledger_account ({a_names}) VALUES ({a_marks})"
        self.entry = f"INSERT INTO ledger_journalentry ({e_names}) VALUES ({e_marks})"
        self.posting = f"INSERT INTO ledger_posting ({p_names}) VALUES ({p_marks})"
        self.posted = f"UPDATE ledger_journalentry SET status = 'posted' WHERE id = {m}"
        self.lock = f"SELECT id FROM ledger_account WHERE id = {m} FOR UPDATE"
        self.snapshot = (
            "SELECT up_to_posting_id, balance_minor FROM ledger_balancesnapshot "
            f"WHERE account_id = {m} ORDER BY up_to_posting_id DESC LIMIT 1"
        )
        self.since = (
            "SELECT coalesce(sum(p.amount_minor), 0) FROM ledger_posting p "
            "JOIN ledger_journalentry e ON e.id = p.entry_id "
            f"WHERE p.account_id = {m} AND p.id > {m} AND e.status = 'posted'"
        )

    def executemany(self, raw: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if self.vendor == "sqlite":
            raw.executemany(sql, rows)
        else:
            with raw.cursor() as cur:
                cur.executemany(sql, rows)

    def funds(self, raw: Any, account: str, debit: int) -> bool:
        """Lock the member's available account and check the debit leaves it at zero or above."""
        if self.vendor == "postgresql":
            raw.execute(self.lock, [account])
        row = raw.execute(self.snapshot, [account]).fetchone()
        since, base = (int(row[0]), int(row[1])) if row else (0, 0)
        (recent,) = raw.execute(self.since, [account, since]).fetchone()
        return base + int(recent) + debit <= 0


def run_floor(chart: Chart, tabs: Tables, vendor: str, threads: int, seconds: float, seed: int) -> Tally:
    sql = FloorSql(vendor, tabs)

    def work(index: int, deadline: float) -> Tally:
        rng = random.Random(seed * 1000 + 500 + index)  # noqa: S311 - load generation
        ids = Ids(int(time.time() * 1000))
        ids.counter = index << 40  # threads never share an id
        raw = raw_connection()
        tally = Tally()
        while time.monotonic() < deadline:
            member: Member = rng.choice(chart.members)
            currency = member.currency
            deal, escrow = ids.next(), ids.next()
            reference = f"transaction:{dashed(deal)}"
            created = db_now(vendor)
            try:
                raw.execute(
                    sql.account, tabs.account.row((escrow, "escrow", None, reference, currency, created))
                )
            except Exception:  # a busy database: counted like the engine's
                tally.outcomes["busy"] += 1
                continue
            roles = {"escrow": escrow, "pending": member.pending, "available": member.available}
            for kind, plan in deal_plan(rng):
                lines = [
                    (roles[role] if role in roles else chart.platform[(role, currency)], currency, amount)
                    for role, amount in plan
                ]
                entry = ids.next()
                began = time.perf_counter()
                try:
                    with Tx(vendor, raw):
                        if kind == "payout" and not sql.funds(raw, member.available, lines[0][2]):
                            raise RuntimeError("insufficient funds")
                        raw.execute(
                            sql.entry,
                            tabs.entry.row(
                                (
                                    entry,
                                    kind,
                                    "open",
                                    reference,
                                    "",
                                    f"{reference}:{kind}",
                                    fingerprint(kind, reference, lines),
                                    created,
                                )
                            ),
                        )
                        sql.executemany(
                            raw,
                            sql.posting,
                            [
                                tabs.posting.row((entry, account, amount, cur))
                                for account, cur, amount in lines
                            ],
                        )
                        raw.execute(sql.posted, [entry])
                except Exception:  # a busy database, as above
                    tally.outcomes["busy"] += 1
                    break
                tally.latencies_ms.append((time.perf_counter() - began) * 1000)
                tally.outcomes["entries"] += 1
                tally.postings += len(lines)
        return tally

    return run_threads(threads, seconds, work)


def run_bulk(chart: Chart, tabs: Tables, vendor: str, postings: int, seed: int) -> Tally:
    raw = raw_connection()
    maker = DealMaker(random.Random(seed + 77), chart, tabs, vendor, int(time.time() * 1000))  # noqa: S311
    began = time.perf_counter()
    counts = write_postings(vendor, raw, maker, postings)
    tally = Tally(postings=counts["postings"], seconds=time.perf_counter() - began)
    tally.outcomes["entries"] = counts["entries"]
    return tally
