"""Ledger writes: accounts, balanced entries and balance snapshots.

`entry_post` is what the escrow, fee, refund and payout actions call. It uses a plain
`transaction.atomic()`, not a durable one, so that it joins the engine's transaction: the money
moves exactly when the transition commits, and not at all if it rolls back.
"""

import hashlib
import json
from collections.abc import Sequence
from uuid import UUID

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import OuterRef, Subquery, Sum
from django.utils.translation import gettext as _

from barnraise.accounts.models import User
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
)
from barnraise.ledger.selectors import raw_balance_minor, snapshot_watermark
from barnraise.money import Money, check_currency

Line = tuple[Account, Money]


def account_for(kind: str, *, owner: User | None = None, reference: str = "", currency: str) -> Account:
    """The one account of this kind, owner, reference and currency, created on first use.

    Race-safe: two callers at once get the same row (the unique constraints decide, and the
    loser reads the winner's row).
    """
    if kind not in AccountKind.values:
        raise InvalidInput(details={"kind": [_("Not a ledger account kind.")]})
    member_owned = kind in AccountKind.member_owned()
    if member_owned != (owner is not None):
        message = _("This kind of account belongs to a member.") if member_owned else _("No owner here.")
        raise InvalidInput(details={"owner": [message]})
    if kind == AccountKind.ESCROW and not reference:
        raise InvalidInput(details={"reference": [_("Escrow is kept per transaction.")]})
    account, _created = Account.objects.get_or_create(
        kind=kind, owner=owner, reference=reference, currency=check_currency(currency)
    )
    return account


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
    if kind not in EntryKind.values:
        raise InvalidInput(details={"kind": [_("Not a journal entry kind.")]})
    if not idempotency_key or len(idempotency_key) > 255:
        raise InvalidInput(details={"idempotency_key": [_("Give a key of 1 to 255 characters.")]})
    lines = [(account, money) for account, money in lines if money.amount_minor != 0]
    _lines_check(lines)
    fingerprint = _fingerprint(kind, reference, memo, lines)
    with transaction.atomic():
        existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            _funds_check(lines)
            try:
                with transaction.atomic():
                    entry = JournalEntry.objects.create(
                        kind=kind,
                        reference=reference,
                        memo=memo,
                        idempotency_key=idempotency_key,
                        fingerprint=fingerprint,
                    )
            except IntegrityError:  # a concurrent post with the same key won
                existing = JournalEntry.objects.get(idempotency_key=idempotency_key)
        if existing is not None:
            if existing.fingerprint != fingerprint:
                raise IdempotencyKeyReused(details={"entry": str(existing.pk)})
            return existing
        Posting.objects.bulk_create(
            Posting(entry=entry, account=account, amount_minor=money.amount_minor, currency=money.currency)
            for account, money in lines
        )
        JournalEntry.objects.filter(pk=entry.pk).update(status=EntryStatus.POSTED)
        entry.status = EntryStatus.POSTED
    return entry


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
    """Write a snapshot of every account with postings since the last run; return how many.

    Every snapshot of a run takes the run's watermark, so that the trial balance is the latest
    snapshot of every account plus the postings above the highest watermark.
    """
    watermark = _posting_watermark()
    if watermark is None:
        return 0
    with transaction.atomic(durable=True):
        previous = snapshot_watermark()
        if watermark <= previous:
            return 0
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
            snapshots = [
                BalanceSnapshot(
                    account_id=account.pk,
                    currency=account.currency,
                    up_to_posting_id=watermark,
                    balance_minor=int(account.base or 0) + int(changed[account.pk]),
                )
                for account in rows
            ]
            written += len(BalanceSnapshot.objects.bulk_create(snapshots, ignore_conflicts=True))
    return written
