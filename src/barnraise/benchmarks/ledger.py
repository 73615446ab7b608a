"""`barnraise bench ledger`: postings per second through entry_post, and the trial balance at N.

In one run, on a cached data set of N postings (see ledger_load):

1. **engine**: T threads, each with its own connection, post escrow-flow deals (capture, fee,
   release, settle, half of them a payout) through `ledger.journal.entry_post` for S seconds,
   the escrow account made by `account_for` as the real flow does; then **engine, batched**:
   the same deals through `entries_post`, B entries per call, each call one transaction with
   its deals' escrow accounts (as batch work such as a settlement run or an import posts);
2. **floor, per entry**: the same deals as hand-written SQL on the raw driver, one transaction
   per entry like the engine (the payout's member account locked and its balance read, the
   entry inserted open, its postings by executemany, the entry marked posted);
3. **floor, bulk**: as many postings written by COPY (PostgreSQL) / executemany (SQLite) in
   batches, as the load does;
4. **hot spots**: T threads posting only on two platform accounts, then T threads paying out
   of one member's available balance; on PostgreSQL a sampler counts the backends waiting on a
   lock. Platform accounts have no running-balance row, so the first shows no lock waits;
   the member's account is locked by design, so the second does. On SQLite every write
   transaction is IMMEDIATE: writers serialize on the database lock in every case.
5. a balance snapshot (`balances_snapshot`), then some postings after it, then
   `trial_balance()` timed (latest snapshots + postings since), and `ledger_verify()` (the
   full scan) timed once.
"""

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from barnraise.benchmarks import report
from barnraise.benchmarks.ledger_load import (
    Chart,
    DealMaker,
    Plan,
    Target,
    chart_read,
    deal_plan,
    load,
    raw_connection,
    read_meta,
    tables,
    write_postings,
)
from barnraise.benchmarks.ledger_tools import LockSampler, Tally, run_bulk, run_floor, run_threads

GOAL_POSTINGS_PER_S = 5000
GOAL_TRIAL_BALANCE_S = 1.0
GOAL_AT_POSTINGS = 10_000_000
TRIAL_BALANCE_RUNS = 5


@dataclass(frozen=True)
class Options:
    postings: int
    seed: int
    seconds: int
    threads: int
    since: int  # postings added after the snapshot, before the trial balance is timed
    verify: bool = True
    batch: int = 100  # entries per entries_post call in the batched engine layer
    output_dir: Path = Path("bench/results")
    progress: bool = True
    migrate: bool = True  # False: the database is migrated already (the test database)


# ---------------------------------------------------------------------------------------------
# The engine: entry_post


@dataclass
class Accounts:
    """The chart as Account instances, for entry_post (no query needed to build them)."""

    platform: dict[tuple[str, str], Any]
    members: list[tuple[Any, Any, str]]  # (pending, available, currency)


def accounts_of(chart: Chart) -> Accounts:
    import uuid

    from barnraise.ledger.models import Account

    def account(pk: str, kind: str, currency: str) -> Account:
        return Account(id=uuid.UUID(pk), kind=kind, currency=currency)

    return Accounts(
        platform={key: account(pk, key[0], key[1]) for key, pk in chart.platform.items()},
        members=[
            (
                account(m.pending, "member_pending", m.currency),
                account(m.available, "member_available", m.currency),
                m.currency,
            )
            for m in chart.members
        ],
    )


def deal_lines(
    deal: Plan, accounts: Accounts, roles: dict[str, Any], currency: str
) -> list[tuple[str, list[tuple[Any, Any]]]]:
    """One deal's entries as (kind, lines) for the ledger service: the plan's roles made the
    deal's own accounts (`roles`) or the platform's, its amounts Money."""
    from barnraise.money import Money

    return [
        (
            kind,
            [
                (
                    roles[role] if role in roles else accounts.platform[(role, currency)],
                    Money(amount, currency),
                )
                for role, amount in plan
            ],
        )
        for kind, plan in deal
    ]


def run_engine(accounts: Accounts, threads: int, seconds: float, seed: int) -> Tally:
    from django.db import OperationalError

    from barnraise.ids import uuid7
    from barnraise.ledger.journal import account_for, entry_post

    def work(index: int, deadline: float) -> Tally:
        rng = random.Random(seed * 1000 + index)  # noqa: S311 - load generation
        tally = Tally()
        while time.monotonic() < deadline:
            pending, available, currency = rng.choice(accounts.members)
            reference = f"transaction:{uuid7()}"
            try:
                escrow = account_for("escrow", reference=reference, currency=currency)
            except OperationalError:
                tally.outcomes["busy"] += 1
                continue
            roles = {"escrow": escrow, "pending": pending, "available": available}
            for kind, lines in deal_lines(deal_plan(rng), accounts, roles, currency):
                began = time.perf_counter()
                try:
                    entry_post(
                        kind=kind, reference=reference, lines=lines, idempotency_key=f"{reference}:{kind}"
                    )
                except OperationalError:  # SQLite: the write lock was not free within the timeout
                    tally.outcomes["busy"] += 1
                    break
                tally.latencies_ms.append((time.perf_counter() - began) * 1000)
                tally.outcomes["entries"] += 1
                tally.postings += len(lines)
        return tally

    return run_threads(threads, seconds, work)


def run_engine_batched(accounts: Accounts, threads: int, seconds: float, seed: int, size: int) -> Tally:
    """Deals through `entries_post`, `size` entries (whole deals) per call and transaction;
    one latency per call. As an import or a settlement run would: the batch's deals are made
    first, their escrow accounts opened by one `accounts_for` (its own statement, like the
    per-entry layer's `account_for`), then the whole batch posted by one `entries_post`."""
    from django.db import OperationalError

    from barnraise.ids import uuid7
    from barnraise.ledger.journal import AccountKey, NewEntry, accounts_for, entries_post

    def work(index: int, deadline: float) -> Tally:
        rng = random.Random(seed * 1000 + 500 + index)  # noqa: S311 - load generation
        tally = Tally()
        while time.monotonic() < deadline:
            began = time.perf_counter()
            deals: list[tuple[str, Any, Any, str, Plan]] = []
            planned = 0
            while planned < size:
                pending, available, currency = rng.choice(accounts.members)
                deal = deal_plan(rng)
                deals.append((f"transaction:{uuid7()}", pending, available, currency, deal))
                planned += len(deal)
            batch: list[NewEntry] = []
            try:
                escrows = accounts_for([AccountKey("escrow", d[3], reference=d[0]) for d in deals])
                for (reference, pending, available, currency, deal), escrow in zip(
                    deals, escrows, strict=True
                ):
                    roles = {"escrow": escrow, "pending": pending, "available": available}
                    batch.extend(
                        NewEntry(
                            kind=kind, reference=reference, lines=lines, idempotency_key=f"{reference}:{kind}"
                        )
                        for kind, lines in deal_lines(deal, accounts, roles, currency)
                    )
                entries_post(batch)
            except OperationalError:  # SQLite: the write lock was not free within the timeout
                tally.outcomes["busy"] += 1
                continue
            tally.latencies_ms.append((time.perf_counter() - began) * 1000)
            tally.outcomes["entries"] += len(batch)
            tally.postings += sum(len(entry.lines) for entry in batch)
        return tally

    return run_threads(threads, seconds, work)


# ---------------------------------------------------------------------------------------------
# Hot spots


def run_hotspots(accounts: Accounts, vendor: str, threads: int, seconds: float) -> list[dict[str, Any]]:
    from django.db import OperationalError

    from barnraise.ids import uuid7
    from barnraise.ledger.journal import entry_post
    from barnraise.money import Money

    currency = accounts.members[0][2]
    fees = accounts.platform[("processor_fees", currency)]
    funding = accounts.platform[("external_funding", currency)]
    payouts = accounts.platform[("external_payouts", currency)]
    hot_member = accounts.members[0][1]
    run_id = uuid7()
    entry_post(
        kind="transfer",
        reference=f"bench:{run_id}",
        lines=[(funding, Money(10**12, currency)), (hot_member, Money(-(10**12), currency))],
        idempotency_key=f"bench:{run_id}:fund",
    )
    scenarios: list[tuple[str, str, list[tuple[Any, int]]]] = [
        ("platform accounts only (fee entries)", "fee", [(fees, 1), (funding, -1)]),
        ("one member's available balance (payouts)", "payout", [(hot_member, 1), (payouts, -1)]),
    ]
    rows = []
    for name, kind, template in scenarios:

        def work(index: int, deadline: float, kind: str = kind, template: Any = template) -> Tally:
            tally = Tally()
            n = 0
            while time.monotonic() < deadline:
                n += 1
                key = f"bench:{run_id}:{kind}:{index}:{n}"
                lines = [(account, Money(sign * 100, currency)) for account, sign in template]
                began = time.perf_counter()
                try:
                    entry_post(kind=kind, reference=f"bench:{run_id}", lines=lines, idempotency_key=key)
                except OperationalError:
                    tally.outcomes["busy"] += 1
                    continue
                tally.latencies_ms.append((time.perf_counter() - began) * 1000)
                tally.outcomes["entries"] += 1
                tally.postings += len(lines)
            return tally

        with LockSampler(vendor) as sampler:
            tally = run_threads(threads, seconds, work)
        rows.append({**tally_row(name, tally), "lock_waits": sampler.result()})
    return rows


# ---------------------------------------------------------------------------------------------
# Trial balance and the full scan


def time_trial_balance(
    vendor: str, since: int, chart: Chart, seed: int, say: Callable[[str], None]
) -> dict[str, Any]:
    from barnraise.ledger.journal import balances_snapshot
    from barnraise.ledger.selectors import trial_balance, trial_balance_report

    say("Balance snapshot (balances_snapshot)…")
    began = time.perf_counter()
    written = balances_snapshot()
    snapshot_s = time.perf_counter() - began
    say(f"Adding {since:,} postings after the snapshot…")
    raw = raw_connection()
    maker = DealMaker(random.Random(seed + 99), chart, tables(), vendor, int(time.time() * 1000))  # noqa: S311
    added = write_postings(vendor, raw, maker, since)["postings"] if since else 0
    say(f"Timing trial_balance() ({TRIAL_BALANCE_RUNS} runs)…")
    times: list[float] = []
    totals: dict[str, int] = {}
    for _ in range(TRIAL_BALANCE_RUNS):
        began = time.perf_counter()
        totals = trial_balance()
        times.append(time.perf_counter() - began)
    began = time.perf_counter()
    detail = trial_balance_report()  # what GET /api/v1/ops/trial-balance shows: also counts accounts
    report_s = time.perf_counter() - began
    return {
        "snapshot_seconds": round(snapshot_s, 3),
        "snapshot_rows_written": written,
        "postings_added_after_snapshot": added,
        "postings_since_snapshot": detail.postings_since_snapshot,
        "watermark": detail.watermark,
        "accounts": sum(detail.accounts.values()),
        "totals": totals,
        "zero": all(total == 0 for total in totals.values()),
        "seconds": [round(t, 4) for t in times],
        "first_seconds": round(times[0], 4),
        "median_seconds": round(statistics.median(times), 4),
        "report_seconds": round(report_s, 4),
    }


def time_verify(say: Callable[[str], None]) -> dict[str, Any]:
    from barnraise.ledger.verify import ledger_verify

    say("Timing ledger_verify() (the full scan)…")
    began = time.perf_counter()
    result = ledger_verify()
    return {
        "seconds": round(time.perf_counter() - began, 2),
        "entries": result.entries,
        "postings": result.postings,
        "accounts": result.accounts,
        "snapshots": result.snapshots,
        "problems": len(result.problems),
        "first_problems": result.problems[:5],
    }


# ---------------------------------------------------------------------------------------------
# The run


def tally_row(name: str, tally: Tally) -> dict[str, Any]:
    seconds = tally.seconds or 1e-9
    return {
        "layer": name,
        "postings": tally.postings,
        "entries": tally.outcomes["entries"],
        "seconds": round(tally.seconds, 2),
        "postings_per_s": round(tally.postings / seconds, 1),
        "entries_per_s": round(tally.outcomes["entries"] / seconds, 1),
        "busy": tally.outcomes["busy"],
        "latency_ms": report.summary(tally.latencies_ms) if tally.latencies_ms else None,
    }


def database_version(vendor: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if vendor == "sqlite" else "SHOW server_version")
        (version,) = cursor.fetchone()
    return f"{vendor} {version}"


def run(t: Target, options: Options, reused: bool, say: Callable[[str], None]) -> tuple[dict[str, Any], Path]:
    """Load (unless reused) and measure. Django must already be set up on the bench database."""
    from django.core.management import call_command
    from django.db import connection

    if reused:
        if options.migrate:  # the code may have gained migrations since the load
            call_command("migrate", "--no-input", "--verbosity", "0")
        meta = read_meta()
        say(f"Data set: {meta['loaded']['postings']:,} postings, seed {t.seed}, {t.vendor} (cached)")
    else:
        meta = load(t, options.progress, say, migrate=options.migrate)
        say(
            f"Data set: {meta['loaded']['postings']:,} postings, loaded in {meta['load_seconds']}s, "
            f"first snapshot {meta['first_snapshot_seconds']}s"
        )
    chart = chart_read()
    tabs = tables()
    accounts = accounts_of(chart)
    connection.close()

    say(f"Engine: entry_post, {options.threads} threads for {options.seconds}s…")
    with LockSampler(t.vendor) as sampler:
        engine = run_engine(accounts, options.threads, options.seconds, options.seed)
    engine_row = {**tally_row("engine (entry_post)", engine), "lock_waits": sampler.result()}
    say(f"Engine, batched: entries_post, {options.batch} entries per call, {options.threads} threads…")
    batched = run_engine_batched(accounts, options.threads, options.seconds, options.seed, options.batch)
    batched_row = tally_row(f"engine batched (entries_post × {options.batch})", batched)
    say(
        f"Floor: hand-written SQL, one transaction per entry, {options.threads} threads "
        f"for {options.seconds}s…"
    )
    floor = run_floor(chart, tabs, t.vendor, options.threads, options.seconds, options.seed)
    floor_row = tally_row("floor (hand-written SQL, per entry)", floor)
    bulk_postings = max(batched.postings, 1000)
    say(f"Floor: bulk {'COPY' if t.vendor == 'postgresql' else 'executemany'} of {bulk_postings:,} postings…")
    bulk = run_bulk(chart, tabs, t.vendor, bulk_postings, options.seed)
    bulk_row = tally_row(f"floor (bulk {'COPY' if t.vendor == 'postgresql' else 'executemany'})", bulk)
    hot_seconds = max(1.0, options.seconds / 4)
    say(f"Hot spots: {options.threads} threads on shared accounts, {hot_seconds:.0f}s each…")
    hotspots = run_hotspots(accounts, t.vendor, options.threads, hot_seconds)
    connection.close()

    trial = time_trial_balance(t.vendor, options.since, chart, options.seed, say)
    verify = time_verify(say) if options.verify else None
    connection.close()

    engine_rate = engine_row["postings_per_s"]
    batched_rate = batched_row["postings_per_s"]
    at_goal_size = meta["loaded"]["postings"] >= GOAL_AT_POSTINGS
    payload: dict[str, Any] = {
        "benchmark": "ledger",
        "database": t.vendor,
        "database_version": database_version(t.vendor),
        "machine": report.machine(),
        "data_set": {**meta, "cached": reused},
        "threads": options.threads,
        "seconds": options.seconds,
        "writers_serialize": t.vendor == "sqlite",
        "batch": options.batch,
        "results": [engine_row, batched_row, floor_row, bulk_row],
        "engine_vs_floor": round(engine_rate / max(floor_row["postings_per_s"], 1e-9), 3),
        "engine_vs_bulk": round(engine_rate / max(bulk_row["postings_per_s"], 1e-9), 3),
        "batched_vs_bulk": round(batched_rate / max(bulk_row["postings_per_s"], 1e-9), 3),
        "hotspots": hotspots,
        "trial_balance": trial,
        "verify": verify,
        "goal": {
            "postings_per_s_at_least": GOAL_POSTINGS_PER_S,
            "trial_balance_seconds_below": GOAL_TRIAL_BALANCE_S,
            "at_postings": GOAL_AT_POSTINGS,
            "postings_per_s_met": max(engine_rate, batched_rate) >= GOAL_POSTINGS_PER_S,
            "trial_balance_met": (trial["median_seconds"] < GOAL_TRIAL_BALANCE_S) if at_goal_size else None,
        },
    }
    path = report.write_json(options.output_dir, f"ledger-{t.vendor}-{t.postings}", payload)
    return payload, path


def render(payload: dict[str, Any]) -> str:
    headers = ["layer", "postings/s", "entries/s", "postings", "busy", "p50 ms", "p99 ms"]

    def line(r: dict[str, Any]) -> list[Any]:
        latency = r["latency_ms"] or {}
        return [
            r["layer"],
            r["postings_per_s"],
            r["entries_per_s"],
            r["postings"],
            r["busy"],
            latency.get("p50", "–"),
            latency.get("p99", "–"),
        ]

    data = payload["data_set"]
    trial = payload["trial_balance"]
    goal = payload["goal"]
    lines = [
        f"{payload['database_version']}, {data['loaded']['postings']:,} postings loaded "
        f"({'cached' if data['cached'] else 'loaded now'}), {payload['threads']} threads",
        "",
        report.table(headers, [line(r) for r in payload["results"]]),
        "",
        f"engine / per-entry floor: {payload['engine_vs_floor']:.0%}; "
        f"engine / bulk floor: {payload['engine_vs_bulk']:.1%}; "
        f"batched engine / bulk floor: {payload['batched_vs_bulk']:.0%}",
        f"postings/s through the ledger service: {payload['results'][0]['postings_per_s']:,.0f} one entry "
        f"per transaction, {payload['results'][1]['postings_per_s']:,.0f} in batches of {payload['batch']} "
        f"(goal ≥ {goal['postings_per_s_at_least']:,}: {'met' if goal['postings_per_s_met'] else 'not met'})",
    ]
    if payload["writers_serialize"]:
        lines.append(
            "SQLite: every write transaction is IMMEDIATE, so writers serialize on the database lock."
        )
    lines += ["", "Hot spots:", report.table(headers, [line(r) for r in payload["hotspots"]])]
    for r in [payload["results"][0], *payload["hotspots"]]:
        waits = r.get("lock_waits")
        if waits:
            lines.append(
                f"  {r['layer']}: lock waits in {waits['share_with_lock_waits']:.1%} of "
                f"{waits['samples']} samples {waits['waits_by_lock'] or ''}"
            )
    met = goal["trial_balance_met"]
    verdict = "n/a below 10M" if met is None else ("met" if met else "not met")
    lines += [
        "",
        f"balances_snapshot: {trial['snapshot_seconds']}s ({trial['snapshot_rows_written']} rows)",
        f"trial_balance(): median {trial['median_seconds']}s, first {trial['first_seconds']}s over "
        f"{trial['accounts']:,} accounts + {trial['postings_since_snapshot']:,} postings since the snapshot; "
        f"zero: {trial['zero']} (goal < {goal['trial_balance_seconds_below']}s at 10M: {verdict})",
        f"trial_balance_report() (the API's, also counts accounts): {trial.get('report_seconds')}s",
    ]
    verify = payload["verify"]
    if verify:
        lines.append(
            f"ledger_verify(): {verify['seconds']}s over {verify['postings']:,} postings, "
            f"{verify['entries']:,} entries, {verify['snapshots']:,} snapshots; "
            f"problems: {verify['problems']}"
        )
    return "\n".join(lines)
