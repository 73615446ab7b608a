"""Ledger writes: accounts, balanced entries and balance snapshots.

`entry_post` is what the escrow, fee, refund and payout actions call. It uses a plain
`transaction.atomic()`, not a durable one, so that it joins the engine's transaction: the money
moves exactly when the transition commits, and not at all if it rolls back.
"""

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.db.models import OuterRef, Subquery, Sum
from django.utils.timezone import now
from django.utils.translation import gettext as _

from barnraise.accounts.models import User
from barnraise.db import db_time, db_uuid
from barnraise.errors import InvalidInput
from barnraise.ledger.errors import CurrencyMismatch, IdempotencyKeyReused, InsufficientFunds, UnbalancedEntry
from barnraise.ledger.models import (
    Account,
    AccountKind,
    BalanceSnapshot,
    EntryKind,
    EntryStatus,
    JournalEntry,
    Posting,
    SnapshotTotal,
)
from barnraise.ledger.selectors import raw_balance_minor, snapshot_watermark, totals_watermark
from barnraise.money import Money, check_currency

Line = tuple[Account, Money]


def account_for(kind: str, *, owner: User | None = None, reference: str = "", currency: str) -> Account:
    """The one account of this kind, owner, reference and currency, created on first use.

    Race-safe: two callers at once get the same row (the unique constraints decide, and the
    loser reads the winner's row).
    """
    return accounts_for([AccountKey(kind, currency, owner, reference)])[0]


@dataclass(frozen=True)
class AccountKey:
    kind: str
    currency: str
    owner: User | None = None
    reference: str = ""


def _account_fields(key: AccountKey) -> dict[str, Any]:
    if key.kind not in AccountKind.values:
        raise InvalidInput(details={"kind": [_("Not a ledger account kind.")]})
    member_owned = key.kind in AccountKind.member_owned()
    if member_owned != (key.owner is not None):
        message = _("This kind of account belongs to a member.") if member_owned else _("No owner here.")
        raise InvalidInput(details={"owner": [message]})
    if key.kind == AccountKind.ESCROW and not key.reference:
        raise InvalidInput(details={"reference": [_("Escrow is kept per transaction.")]})
    return {
        "kind": key.kind,
        "owner": key.owner,
        "reference": key.reference,
        "currency": check_currency(key.currency),
    }


def accounts_for(keys: Sequence[AccountKey]) -> list[Account]:
    """`account_for` for many keys at once: the accounts in order, those missing created with
    one multi-row INSERT (a batch of deals opens its escrow accounts in one statement)."""
    wanted = [_account_fields(key) for key in keys]
    found: dict[int, Account] = {}
    for i, fields in enumerate(wanted):
        if fields["kind"] != AccountKind.ESCROW:  # usually there already; a deal's escrow usually is not
            existing = list(Account.objects.filter(**fields)[:1])
            if existing:
                found[i] = existing[0]
    missing = {i: Account(**fields) for i, fields in enumerate(wanted) if i not in found}
    rows = [
        (
            db_uuid(a.pk),
            a.kind,
            db_uuid(a.owner_id) if a.owner_id else None,
            a.reference,
            a.currency,
            db_time(a.created_at),
        )
        for a in missing.values()
    ]
    columns = ("id", "kind", "owner_id", "reference", "currency", "created_at")
    inserted = _insert_rows(Account, columns, rows, ignore=True) if rows else 0
    if inserted == len(rows):
        found.update(missing)
    else:  # some were made before, or by a concurrent call: read each one's row
        found.update((i, Account.objects.get(**wanted[i])) for i in missing)
    return [found[i] for i in range(len(wanted))]


PSYCOPG_CACHED_PARAMS = 50  # psycopg caches the parsing of statements with at most this many


def _insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]], *, ignore: bool = False
) -> int:
    """Insert rows of database-ready values into `model`'s table; return how many went in.

    The ledger's hot path (see docs/performance.md): the rows `bulk_create` would write,
    without the ORM building a model instance and preparing each value per row, which cost
    more than the database's own work. Ids and times go through `barnraise.db`. With
    `ignore`, a row that would break a unique constraint is skipped (`ON CONFLICT DO NOTHING`,
    which PostgreSQL and SQLite both speak).

    Multi-row VALUES, except for a batch on PostgreSQL: one array per column (`SELECT … FROM
    unnest(…)`), whose text is the same whatever the number of rows, so psycopg parses it once,
    where it parses a statement of more than 50 parameters again on every call.
    """
    table = model._meta.db_table
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    suffix = " ON CONFLICT DO NOTHING" if ignore else ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) * len(columns) > PSYCOPG_CACHED_PARAMS:
            # Element types without their length: an explicit cast to varchar(80) would cut a
            # longer value, where the INSERT's own assignment refuses it, as VALUES does.
            types = {
                f.column: re.sub(r"\(\d+\)", "", str(f.db_type(connection)))
                for f in model._meta.concrete_fields
            }
            arrays = ", ".join(f"%s::{types[column]}[]" for column in columns)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}){suffix}",  # noqa: S608 - our names
                [list(values) for values in zip(*rows, strict=True)],
            )
            return int(cursor.rowcount)
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        per_statement = 999 // len(columns)  # SQLite's default limit of parameters
        inserted = 0
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            values = ", ".join([one] * len(chunk))
            params = [value for row in chunk for value in row]
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {values}{suffix}", params)  # noqa: S608 - our names
            inserted += cursor.rowcount
        return inserted


def _fingerprint(kind: str, reference: str, memo: str, lines: Sequence[Line]) -> str:
    content = {
        "kind": kind,
        "reference": reference,
        "memo": memo,
        "lines": sorted([str(account.pk), money.currency, money.amount_minor] for account, money in lines),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _lines_check(lines: Sequence[Line]) -> None:
    if len(lines) < 2:
        raise UnbalancedEntry(details={"postings": len(lines)})
    sums: dict[str, int] = {}
    for account, money in lines:
        if money.currency != account.currency:
            raise CurrencyMismatch(
                details={
                    "account": str(account.pk),
                    "account_currency": account.currency,
                    "currency": money.currency,
                }
            )
        sums[money.currency] = sums.get(money.currency, 0) + money.amount_minor
    unbalanced = {currency: total for currency, total in sums.items() if total != 0}
    if unbalanced:
        raise UnbalancedEntry(details={"sums": unbalanced})


def _funds_check(lines: Sequence[Line]) -> None:
    """Lock the member available accounts this entry debits, in primary-key order, and refuse
    the entry if any would go below zero. (On SQLite the IMMEDIATE write transaction already
    serializes writers; select_for_update is a no-op there.)"""
    deltas: dict[UUID, int] = {}
    for account, money in lines:
        if account.kind == AccountKind.MEMBER_AVAILABLE:
            deltas[account.pk] = deltas.get(account.pk, 0) + money.amount_minor
    debited = sorted(pk for pk, delta in deltas.items() if delta > 0)  # a debit lowers what is owed
    if not debited:
        return
    list(Account.objects.select_for_update().filter(pk__in=debited).order_by("pk").values_list("pk"))
    for pk in debited:
        before = raw_balance_minor(pk)
        if before + deltas[pk] > 0:  # a credit-normal balance below zero
            raise InsufficientFunds(
                details={"account": str(pk), "available_minor": -before, "needed_minor": deltas[pk]}
            )


@dataclass(frozen=True)
class NewEntry:
    """One balanced entry for `entries_post`: `(account, amount)` lines, debit positive."""

    kind: str
    lines: Sequence[Line]
    idempotency_key: str
    reference: str = ""
    memo: str = ""


@dataclass(frozen=True)
class _Checked:
    """An entry checked and made into database-ready rows, before any transaction opens: on
    SQLite the write lock is held from BEGIN IMMEDIATE, so nothing that can be done without the
    database is done while holding it."""

    entry: NewEntry
    lines: list[Line]  # zero lines dropped
    fingerprint: str
    row: JournalEntry
    entry_values: tuple[Any, ...]
    posting_values: list[tuple[Any, ...]]


ENTRY_COLUMNS = ("id", "kind", "status", "reference", "memo", "idempotency_key", "fingerprint", "created_at")
POSTING_COLUMNS = ("entry_id", "account_id", "amount_minor", "currency")


# SQLite does not hold a text to its column's length, so entries_post does.
TEXT_LIMITS = {
    name: int(getattr(JournalEntry._meta.get_field(name), "max_length", 0)) for name in ("reference", "memo")
}


def _checked(new: NewEntry, created_at: datetime) -> _Checked:
    if new.kind not in EntryKind.values:
        raise InvalidInput(details={"kind": [_("Not a journal entry kind.")]})
    if not new.idempotency_key or len(new.idempotency_key) > 255:
        raise InvalidInput(details={"idempotency_key": [_("Give a key of 1 to 255 characters.")]})
    for name, limit in TEXT_LIMITS.items():
        if len(getattr(new, name)) > limit:
            raise InvalidInput(details={name: [_("At most %d characters.") % limit]})
    lines = [(account, money) for account, money in new.lines if money.amount_minor != 0]
    _lines_check(lines)
    fingerprint = _fingerprint(new.kind, new.reference, new.memo, lines)
    row = JournalEntry(
        kind=new.kind,
        status=EntryStatus.POSTED,  # what it is once _entries_write returns
        reference=new.reference,
        memo=new.memo,
        idempotency_key=new.idempotency_key,
        fingerprint=fingerprint,
        created_at=created_at,
    )
    entry_id = db_uuid(row.pk)
    return _Checked(
        entry=new,
        lines=lines,
        fingerprint=fingerprint,
        row=row,
        entry_values=(
            entry_id,
            new.kind,
            EntryStatus.OPEN.value,
            new.reference,
            new.memo,
            new.idempotency_key,
            fingerprint,
            db_time(created_at),
        ),
        posting_values=[
            (entry_id, db_uuid(account.pk), money.amount_minor, money.currency) for account, money in lines
        ],
    )


def entry_post(
    *,
    kind: str,
    reference: str = "",
    memo: str = "",
    lines: Sequence[Line],
    idempotency_key: str,
) -> JournalEntry:
    """Post one balanced entry: `(account, amount)` lines, debit positive, credit negative.

    Zero lines are dropped. The same `idempotency_key` returns the entry it first made; with
    different content it raises `idempotency_key_reused`. The database checks the balance again
    when the entry turns from open to posted.
    """
    new = NewEntry(kind=kind, lines=lines, idempotency_key=idempotency_key, reference=reference, memo=memo)
    return entries_post([new])[0]


def entries_post(entries: Sequence[NewEntry]) -> list[JournalEntry]:
    """Post several balanced entries in one database transaction: all of them, or none.

    The batch form of `entry_post`, with the same rules per entry (a replayed key returns the
    entry it first made; a reused key with other content refuses the whole batch; a member's
    available balance never goes below zero, counting every entry of the batch). Batch work
    such as imports and end-of-day settlement posts hundreds of entries for the price of a few
    statements and one commit (see docs/performance.md). Returns the entries in order.

    Checks and rows are made first; the transaction then only reads what it must (earlier
    entries with these keys, the balances debited) and writes.
    """
    created_at = now()
    checked = [_checked(new, created_at) for new in entries]
    by_key: dict[str, _Checked] = {}
    for item in checked:
        first = by_key.setdefault(item.entry.idempotency_key, item)
        if first.fingerprint != item.fingerprint:
            raise IdempotencyKeyReused(details={"idempotency_key": item.entry.idempotency_key})
    with transaction.atomic():
        for attempt in (1, 2):
            found = _entries_by_key(list(by_key))
            for key, entry in found.items():
                if entry.fingerprint != by_key[key].fingerprint:
                    raise IdempotencyKeyReused(details={"entry": str(entry.pk)})
            fresh = [item for key, item in by_key.items() if key not in found]
            _funds_check([line for item in fresh for line in item.lines])
            try:
                with transaction.atomic():
                    _entries_write(fresh)
                break
            except IntegrityError:  # a concurrent post with one of these keys won: read it
                if attempt == 2:
                    raise
        found.update((item.entry.idempotency_key, item.row) for item in fresh)
    return [found[item.entry.idempotency_key] for item in checked]


def _entries_by_key(keys: list[str]) -> dict[str, JournalEntry]:
    found: dict[str, JournalEntry] = {}
    for start in range(0, len(keys), 500):
        for entry in JournalEntry.objects.filter(idempotency_key__in=keys[start : start + 500]):
            found[entry.idempotency_key] = entry
    return found


def _entries_write(fresh: list[_Checked]) -> None:
    """Insert the entries open, their postings, then mark them posted (the database checks each
    posting's entry is open on insert, and each entry's sum when it turns posted)."""
    if not fresh:
        return
    _insert_rows(JournalEntry, ENTRY_COLUMNS, [item.entry_values for item in fresh])
    _insert_rows(Posting, POSTING_COLUMNS, [values for item in fresh for values in item.posting_values])
    ids = [item.entry_values[0] for item in fresh]
    table, status = JournalEntry._meta.db_table, EntryStatus.POSTED.value
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(ids) > PSYCOPG_CACHED_PARAMS:  # as _insert_rows
            sql = f"UPDATE {table} SET status = %s WHERE id = ANY(%s::uuid[])"  # noqa: S608 - our names
            cursor.execute(sql, [status, ids])
            return
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"UPDATE {table} SET status = %s WHERE id IN ({marks})",  # noqa: S608 - our names
                [status, *chunk],
            )


def _posting_watermark() -> int | None:
    """The highest posting id below which every posting is committed, or None if busy.

    On PostgreSQL a transaction may hold a lower id than one already committed; taking the
    table in SHARE mode for a moment waits for those writers, after which max(id) is safe. On
    SQLite there is only ever one writer.
    """
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL lock_timeout = '5s'")
            try:
                with transaction.atomic():
                    cursor.execute("LOCK TABLE ledger_posting IN SHARE MODE")
            except OperationalError:  # lock_timeout: writers are busy; the next run catches up
                return None
        cursor.execute("SELECT max(id) FROM ledger_posting")
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def balances_snapshot() -> int:
    """Write a snapshot of every account with postings since the last run, and the run's totals
    per currency and account kind; return how many account snapshots.

    Every snapshot of a run takes the run's watermark, so that an account's balance is its
    latest snapshot plus the postings above it, and the trial balance is the run's totals plus
    the postings above its watermark.
    """
    watermark = _posting_watermark()
    if watermark is None:
        return 0
    try:
        return _snapshot_run(watermark)
    except IntegrityError:  # a concurrent run took the same watermark and committed first
        return 0


def _snapshot_run(watermark: int) -> int:
    with transaction.atomic(durable=True):
        previous = snapshot_watermark()
        if watermark <= previous:
            return 0
        totals = {
            (row.currency, row.kind): row.balance_minor
            for row in SnapshotTotal.objects.filter(up_to_posting_id=totals_watermark())
        }
        changed = dict(
            Posting.objects.filter(id__gt=previous, id__lte=watermark, entry__status=EntryStatus.POSTED)
            .values("account_id")
            .annotate(total=Sum("amount_minor"))
            .values_list("account_id", "total")
        )
        ids = sorted(changed)
        written = 0
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            newest = (
                BalanceSnapshot.objects.filter(account_id=OuterRef("pk"), up_to_posting_id__lte=previous)
                .order_by("-up_to_posting_id")
                .values("balance_minor")[:1]
            )
            rows = Account.objects.filter(pk__in=chunk).annotate(base=Subquery(newest))
            snapshots = []
            for account in rows:
                delta = int(changed[account.pk])
                key = (account.currency, account.kind)
                totals[key] = totals.get(key, 0) + delta
                snapshots.append(
                    BalanceSnapshot(
                        account_id=account.pk,
                        currency=account.currency,
                        up_to_posting_id=watermark,
                        balance_minor=int(account.base or 0) + delta,
                    )
                )
            written += len(BalanceSnapshot.objects.bulk_create(snapshots))
        SnapshotTotal.objects.bulk_create(
            SnapshotTotal(up_to_posting_id=watermark, currency=currency, kind=kind, balance_minor=total)
            for (currency, kind), total in sorted(totals.items())
        )
    return written
