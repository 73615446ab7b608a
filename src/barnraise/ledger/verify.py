"""The full scan: every entry, every posting and every snapshot checked against the postings."""

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from uuid import UUID

from django.db.models import Count, F, Q, Sum

from barnraise.ledger.models import (
    Account,
    AccountKind,
    BalanceSnapshot,
    EntryStatus,
    JournalEntry,
    Payout,
    PayoutItem,
    Posting,
    SnapshotTotal,
)
from barnraise.ledger.selectors import (
    snapshot_watermark,
    totals_from_snapshots,
    totals_watermark,
    trial_balance,
)

MAX_PROBLEMS = 100  # enough to act on; the counts say how big the damage is


@dataclass
class Verification:
    entries: int = 0
    postings: int = 0
    accounts: int = 0
    snapshots: int = 0
    totals: dict[str, int] = field(default_factory=dict)  # currency -> sum of all postings
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)


def _check_entries(result: Verification) -> None:
    posted = JournalEntry.objects.filter(status=EntryStatus.POSTED)
    result.entries = posted.count()
    for entry_id in JournalEntry.objects.filter(status=EntryStatus.OPEN).values_list("id", flat=True):
        result.problem(f"entry {entry_id} is still open")
    for entry_id in posted.annotate(n=Count("postings")).filter(n__lt=2).values_list("id", flat=True):
        result.problem(f"entry {entry_id} has fewer than two postings")
    unbalanced = (
        Posting.objects.values("entry_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .filter(~Q(total=0))
        .order_by("entry_id")
    )
    for row in unbalanced:
        result.problem(f"entry {row['entry_id']} sums to {row['total']} {row['currency']}")
    mismatched = Posting.objects.exclude(currency=F("account__currency")).values_list("id", flat=True)
    for posting_id in mismatched[:MAX_PROBLEMS]:
        result.problem(f"posting {posting_id} is not in its account's currency")


def _postings_by_account() -> Iterator[tuple[UUID, int, int, str]]:
    return (
        Posting.objects.filter(entry__status=EntryStatus.POSTED)
        .order_by("account_id", "id")
        .values_list("account_id", "id", "amount_minor", "currency")
        .iterator(chunk_size=10_000)
    )


def _check_balances(result: Verification) -> None:
    """One pass over postings in (account, id) order, merged with the snapshots in that order."""
    kinds = dict(Account.objects.values_list("id", "kind"))
    result.accounts = len(kinds)
    pending: dict[UUID, deque[tuple[int, int]]] = {}
    for account_id, up_to, balance in (
        BalanceSnapshot.objects.order_by("account_id", "up_to_posting_id")
        .values_list("account_id", "up_to_posting_id", "balance_minor")
        .iterator(chunk_size=10_000)
    ):
        pending.setdefault(account_id, deque()).append((up_to, balance))
        result.snapshots += 1
    running: dict[UUID, int] = {}

    def settle(account_id: UUID, below: int | None) -> None:
        """Check the account's snapshots whose watermark is below `below` (all if None)."""
        queue = pending.get(account_id)
        while queue and (below is None or queue[0][0] < below):
            up_to, balance = queue.popleft()
            if balance != running.get(account_id, 0):
                result.problem(
                    f"snapshot of account {account_id} at posting {up_to} says {balance}, "
                    f"postings say {running.get(account_id, 0)}"
                )

    for account_id, posting_id, amount, currency in _postings_by_account():
        settle(account_id, posting_id)
        running[account_id] = running.get(account_id, 0) + amount
        result.totals[currency] = result.totals.get(currency, 0) + amount
        result.postings += 1
    for account_id in pending:
        settle(account_id, None)
    for account_id, total in running.items():
        if kinds.get(account_id) == AccountKind.MEMBER_AVAILABLE and total > 0:
            result.problem(f"member available account {account_id} is negative: {-total}")


def _check_totals(result: Verification) -> None:
    """The latest run's totals against the sum of the accounts' latest snapshots."""
    watermark = totals_watermark()
    if watermark != snapshot_watermark():
        result.problem(
            f"the snapshot run at posting {snapshot_watermark()} has no totals (latest: {watermark})"
        )
    stored = {
        (row.currency, row.kind): row.balance_minor
        for row in SnapshotTotal.objects.filter(up_to_posting_id=watermark)
    }
    expected = totals_from_snapshots(watermark)
    for currency, kind in sorted(set(stored) | set(expected)):
        says, should = stored.get((currency, kind), 0), expected.get((currency, kind), 0)
        if says != should:
            result.problem(
                f"the snapshot total of {kind} {currency} at posting {watermark} says {says}, "
                f"the snapshots say {should}"
            )


def _check_payout_items(result: Verification) -> None:
    """Each live payout (pending or paid) is allocated exactly: its items sum to its amount
    (docs/money.md, "Payouts on a deal"). A failed payout's items no longer count."""
    sums = dict(
        PayoutItem.objects.exclude(payout__status=Payout.Status.FAILED)
        .values("payout_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("payout_id", "total")
    )
    live = Payout.objects.exclude(status=Payout.Status.FAILED).values_list("pk", "amount_minor")
    for payout_id, amount in live.iterator():
        if sums.get(payout_id, 0) != amount:
            result.problem(f"payout {payout_id} of {amount} is allocated {sums.get(payout_id, 0)}")


def ledger_verify() -> Verification:
    """Scan the whole ledger; `problems` is empty when it is sound."""
    result = Verification()
    _check_entries(result)
    _check_balances(result)
    _check_totals(result)
    _check_payout_items(result)
    for currency, total in result.totals.items():
        if total != 0:
            result.problem(f"postings in {currency} sum to {total}, not zero")
    fast = {currency: total for currency, total in trial_balance().items() if total != 0}
    if fast:
        result.problem(f"the snapshot trial balance is not zero: {fast}")
    return result
