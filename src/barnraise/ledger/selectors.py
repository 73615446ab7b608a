"""Ledger reads: balances from snapshots plus the postings since, the trial balance, histories.

Only postings of posted entries count. A balance is the latest snapshot of the account plus its
postings after the snapshot's watermark, so reads stay cheap however long the ledger grows, and
no account has a running-balance row that every entry must update.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, QuerySet, Subquery, Sum
from django.utils import dateformat
from django.utils.translation import gettext as _

from barnraise.accounts import operators
from barnraise.accounts.models import User
from barnraise.errors import NotFound
from barnraise.eventlog.models import Event, EventType
from barnraise.eventlog.selectors import events_of
from barnraise.ledger import deals
from barnraise.ledger.models import (
    Account,
    AccountKind,
    BalanceSnapshot,
    EntryStatus,
    JournalEntry,
    Payment,
    PaymentStatus,
    Payout,
    PayoutItem,
    Posting,
    SnapshotTotal,
)
from barnraise.money import Money


def normal_sign(kind: str) -> int:
    """+1 for a debit-normal account, -1 for a credit-normal one (see models.AccountKind)."""
    return -1 if kind in AccountKind.credit_normal() else 1


def raw_balance_minor(account_id: UUID) -> int:
    """The sum of the account's posted postings (debit positive): snapshot plus postings since."""
    snapshot = (
        BalanceSnapshot.objects.filter(account_id=account_id)
        .order_by("-up_to_posting_id")
        .values_list("up_to_posting_id", "balance_minor")
        .first()
    )
    since, base = snapshot or (0, 0)
    recent = Posting.objects.filter(
        account_id=account_id, id__gt=since, entry__status=EntryStatus.POSTED
    ).aggregate(total=Sum("amount_minor"))["total"]
    return int(base) + int(recent or 0)


def balance_of(account: Account) -> Money:
    """The account's balance on its normal side: a member's available balance reads positive."""
    return Money(normal_sign(account.kind) * raw_balance_minor(account.pk), account.currency)


def snapshot_watermark() -> int:
    """The posting id up to which the latest snapshot run counted (0 before the first run)."""
    value = BalanceSnapshot.objects.aggregate(top=Max("up_to_posting_id"))["top"]
    return int(value or 0)


def latest_snapshots(watermark: int) -> "QuerySet[BalanceSnapshot]":
    """Each account's newest snapshot at or below `watermark`."""
    newest = (
        BalanceSnapshot.objects.filter(account_id=OuterRef("account_id"), up_to_posting_id__lte=watermark)
        .order_by("-up_to_posting_id")
        .values("up_to_posting_id")[:1]
    )
    return BalanceSnapshot.objects.filter(up_to_posting_id__lte=watermark, up_to_posting_id=Subquery(newest))


@dataclass(frozen=True)
class TrialBalance:
    totals: dict[str, int]  # currency -> sum of every account's raw balance; always 0
    by_kind: dict[str, dict[str, int]]  # currency -> account kind -> balance on its normal side
    accounts: dict[str, int]  # currency -> accounts counted
    postings_since_snapshot: int
    watermark: int


def totals_watermark() -> int:
    """The watermark of the latest snapshot run's totals (0 before the first run)."""
    value = SnapshotTotal.objects.aggregate(top=Max("up_to_posting_id"))["top"]
    return int(value or 0)


def totals_from_snapshots(watermark: int) -> dict[tuple[str, str], int]:
    """(currency, kind) -> the sum of every account's latest snapshot at or below `watermark`:
    what the run's `SnapshotTotal` rows must say. A full read of the snapshots; for checks."""
    return {
        (row["currency"], row["account__kind"]): int(row["total"])
        for row in latest_snapshots(watermark)
        .values("currency", "account__kind")
        .annotate(total=Sum("balance_minor"))
        .order_by()
    }


def _trial_totals() -> tuple[dict[tuple[str, str], int], int, int]:
    """(currency, kind) -> raw balance: the latest run's totals plus the posted postings above
    its watermark; also how many postings that is, and the watermark.

    A handful of total rows and the postings since the last run: the cost does not grow with the
    number of accounts or of postings before the run (see docs/performance.md).
    """
    watermark = totals_watermark()
    totals = {
        (row.currency, row.kind): row.balance_minor
        for row in SnapshotTotal.objects.filter(up_to_posting_id=watermark)
    }
    # EXISTS and a scalar subquery, not joins: the postings since (a primary-key range) drive
    # the query, each probing its entry and its account. With a join to the entries SQLite's
    # planner walked every entry; with one to the accounts it walked every account (1.2M at
    # 10M postings: 1.3 s against 0.2 s; PostgreSQL 0.37 against 0.22 s).
    posted = JournalEntry.objects.filter(pk=OuterRef("entry_id"), status=EntryStatus.POSTED)
    kind = Account.objects.filter(pk=OuterRef("account_id")).values("kind")[:1]
    since = Posting.objects.filter(Exists(posted), id__gt=watermark).annotate(kind=Subquery(kind))
    count = 0
    for row in since.values("currency", "kind").annotate(s=Sum("amount_minor"), n=Count("id")).order_by():
        key = (row["currency"], row["kind"])
        totals[key] = totals.get(key, 0) + int(row["s"])
        count += int(row["n"])
    return totals, count, watermark


def _by_currency(totals: dict[tuple[str, str], int]) -> dict[str, int]:
    summed: dict[str, int] = {}
    for (currency, _kind), total in totals.items():
        summed[currency] = summed.get(currency, 0) + total
    return summed


def trial_balance_report() -> TrialBalance:
    totals, count, watermark = _trial_totals()
    by_kind: dict[str, dict[str, int]] = {}
    for (currency, kind), total in sorted(totals.items()):
        by_kind.setdefault(currency, {})[kind] = normal_sign(kind) * total
    accounts = {
        currency: int(n)
        for currency, n in Account.objects.values_list("currency").annotate(n=Count("id")).order_by()
    }
    return TrialBalance(
        totals=_by_currency(totals),
        by_kind=by_kind,
        accounts=accounts,
        postings_since_snapshot=count,
        watermark=watermark,
    )


def trial_balance() -> dict[str, int]:
    """Per currency, the sum of all account balances (the latest run's totals + the postings
    since): zero."""
    return _by_currency(_trial_totals()[0])


@dataclass(frozen=True)
class MemberBalance:
    currency: str
    pending: Money
    available: Money


def member_balances(*, member: User) -> list[MemberBalance]:
    """Pending and available balances per currency the member has an account in."""
    by_currency: dict[str, dict[str, Money]] = {}
    kinds = (AccountKind.MEMBER_PENDING, AccountKind.MEMBER_AVAILABLE)
    for account in Account.objects.filter(owner=member, kind__in=kinds).order_by("currency", "kind"):
        by_currency.setdefault(account.currency, {})[account.kind] = balance_of(account)
    return [
        MemberBalance(
            currency=currency,
            pending=found.get(AccountKind.MEMBER_PENDING, Money.zero(currency)),
            available=found.get(AccountKind.MEMBER_AVAILABLE, Money.zero(currency)),
        )
        for currency, found in sorted(by_currency.items())
    ]


def member_postings(*, member: User) -> "QuerySet[Posting]":
    """The member's postings (on the accounts they own), newest first."""
    return (
        Posting.objects.filter(account__owner=member, entry__status=EntryStatus.POSTED)
        .select_related("entry", "account")
        .order_by("-id")
    )


def payment_visible(*, actor: User, deal_id: UUID) -> Payment:
    """A deal's payment, for its parties and operators; NotFound for anyone else, and for a deal
    that takes no money."""
    deal = deals.deal_visible(actor=actor, deal_id=deal_id)
    payment = Payment.objects.filter(reference=deals.reference_of(deal)).first()
    if payment is None:
        raise NotFound()
    return payment


def payment_scheduled(*, deal: deals.Deal) -> bool:
    """Whether the deal's card is saved to be charged nearer the date (booking v3): nothing is
    held yet. The caller has checked that the viewer may see the deal."""
    return Payment.objects.filter(reference=deals.reference_of(deal), status=PaymentStatus.SCHEDULED).exists()


def may_see_ledger(user: User) -> bool:
    """Finance operators (and the admin group, superusers)."""
    return operators.operator_in(user, operators.FINANCE)


# The event types that tell of a deal's money (`ledger.money_events`, `ledger.refunds`).
MONEY_EVENT_TYPES = (
    EventType.PAYMENT_CAPTURED,
    EventType.PAYMENT_HOLD_RELEASED,
    EventType.PAYMENT_RETURNED,
    EventType.PAYMENT_REFUNDED,
    EventType.PAYMENT_EARNED,
)


def event_amount(event: Event) -> Money:
    """The amount a money event tells: `amount` ({amount_minor, currency}), or an operator's
    refund's `amount_minor` and `currency` beside each other."""
    amount = event.payload.get("amount") or event.payload
    return Money(int(amount["amount_minor"]), str(amount["currency"]))


def deal_money_events(*, deal_id: UUID) -> list[Event]:
    """The money events of one deal's payment, oldest first (none if it took no payment).
    Who may read them is the caller's check: the deal page shows them to its parties."""
    payment_id = (
        Payment.objects.filter(reference=f"transaction:{deal_id}").values_list("pk", flat=True).first()
    )
    if payment_id is None:
        return []
    return [
        event
        for event in events_of(subject_type="payment", subject_id=str(payment_id))
        if event.type in MONEY_EVENT_TYPES
    ]


@dataclass
class PaidRow:
    """One deal a member paid for: what was paid, what came back, and what it cost in the end."""

    deal_id: str
    title: str
    created_at: datetime
    held: bool  # the card is only held: nothing is taken yet
    scheduled: bool  # a saved card, to be charged nearer the deal's start: nothing held yet
    paid: Money
    back: Money
    net: Money


TAKEN = (PaymentStatus.CAPTURED, PaymentStatus.RELEASED, PaymentStatus.REFUNDED)
HELD = (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURE_PENDING)


def paid_rows(*, member: User, limit: int = 50) -> list[PaidRow]:
    """The member's payments as a customer, newest first: a held card counts as nothing paid
    yet, a hold let go as nothing at all; after a chargeback the bank gave it all back."""
    payments = list(Payment.objects.filter(payer=member).order_by("-created_at")[:limit])
    titles = deals.deal_titles([p.reference for p in payments])
    rows = []
    for payment in payments:
        paid = payment.amount_minor if payment.status in TAKEN else 0
        back = paid if payment.chargeback_minor else min(payment.refunded_minor, paid)
        rows.append(
            PaidRow(
                deal_id=payment.reference.removeprefix("transaction:"),
                title=titles.get(payment.reference, ""),
                created_at=payment.created_at,
                held=payment.status in HELD,
                scheduled=payment.status == PaymentStatus.SCHEDULED,
                paid=Money(paid, payment.currency),
                back=Money(back, payment.currency),
                net=Money(paid - back, payment.currency),
            )
        )
    return rows


@dataclass(frozen=True)
class DealPayout:
    """A payout that paid out (part of) one deal's credit: `part` of this deal in a payout of
    `whole` that covered `deals` credits in all."""

    payout_id: UUID
    status: str  # pending, paid, failed (a failed payout's money is back in the balance)
    part: Money
    whole: Money
    deals: int
    created_at: datetime
    finished_at: datetime | None

    @property
    def when(self) -> datetime:
        return self.finished_at or self.created_at


def deal_payouts(*, deal_id: UUID | str) -> list[DealPayout]:
    """The payouts of the provider's credit from one deal, oldest first (`PayoutItem`). Who may
    read them is the caller's check: the provider and finance operators."""
    items = list(
        PayoutItem.objects.filter(reference=f"transaction:{deal_id}")
        .select_related("payout")
        .annotate(covers=Count("payout__items"))
        .order_by("payout__created_at", "id")
    )
    return [
        DealPayout(
            payout_id=item.payout_id,
            status=item.payout.status,
            part=Money(item.amount_minor, item.currency),
            whole=Money(item.payout.amount_minor, item.payout.currency),
            deals=int(item.covers),
            created_at=item.payout.created_at,
            finished_at=item.payout.finished_at,
        )
        for item in items
    ]


def payout_deals(payouts: list[Payout]) -> dict[UUID, list[tuple[str, Money]]]:
    """Per payout, the credits it pays out: (reference, amount), oldest first, in one query."""
    found: dict[UUID, list[tuple[str, Money]]] = {p.pk: [] for p in payouts}
    for item in PayoutItem.objects.filter(payout__in=payouts).order_by("id"):
        found[item.payout_id].append((item.reference, Money(item.amount_minor, item.currency)))
    return found


def payout_summary(payout: DealPayout, *, day: str | None = None, to_provider: bool = True) -> str:
    """A deal's payout in a sentence, for its provider ("your") or an operator ("the
    provider's"): paid (on `day`, where the sentence stands alone: a timeline row carries its
    own time), on its way, or failed and back in the balance; and, when the payout paid out
    more than this deal's part, that it was part of a bigger one."""
    amounts = {"part": payout.part.format(), "whole": payout.whole.format(), "day": day}
    if payout.status == Payout.Status.PAID and day is None:
        said = (
            _("Paid out %(part)s to your bank account.")
            if to_provider
            else _("Paid out %(part)s to the provider's bank account.")
        )
    elif payout.status == Payout.Status.PAID:
        said = (
            _("Paid out %(part)s to your bank account on %(day)s.")
            if to_provider
            else _("Paid out %(part)s to the provider's bank account on %(day)s.")
        )
    elif payout.status == Payout.Status.PENDING:
        said = (
            _("Payout on its way: %(part)s to your bank account.")
            if to_provider
            else _("Payout on its way: %(part)s to the provider's bank account.")
        )
    else:
        said = (
            _("Payout of %(part)s failed, the money is back in your balance.")
            if to_provider
            else _("Payout of %(part)s failed, the money is back in the provider's balance.")
        )
    if payout.part != payout.whole:
        said += " " + _("It was part of a payout of %(whole)s.")
    return said % amounts


def deal_payouts_detail(tx: Any, viewer: User) -> dict[str, Any]:
    """The deal API detail's `payouts` (registered with commerce): the payouts of the provider's
    share, to the provider only, the day in the provider's time zone."""
    if viewer.pk != tx.provider_id:
        return {"payouts": []}
    zone = ZoneInfo(getattr(viewer, "time_zone", "") or settings.MARKETPLACE_TIME_ZONE)
    return {
        "payouts": [
            {
                "id": p.payout_id,
                "status": p.status,
                "amount": p.part.as_json(),
                "payout_amount": p.whole.as_json(),
                "created_at": p.created_at,
                "finished_at": p.finished_at,
                "summary": payout_summary(p, day=dateformat.format(p.when.astimezone(zone), "j F")),
            }
            for p in deal_payouts(deal_id=tx.pk)
        ]
    }
