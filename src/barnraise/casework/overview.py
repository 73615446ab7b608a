"""Reads for the console's member and deal pages: everything an operator needs on one page,
from each app's own tables. Balances and ledger rows are for finance (`may_see_money`)."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from barnraise.accounts import operators
from barnraise.accounts.models import User
from barnraise.catalog.models import Listing
from barnraise.commerce.models import Dispute, Transaction, TransactionEvent
from barnraise.eventlog.models import Event
from barnraise.ledger import selectors as ledger_selectors
from barnraise.ledger.models import JournalEntry, Payment, Posting
from barnraise.ledger.refunds import refundable_minor
from barnraise.money import Money
from barnraise.reputation.models import Review
from barnraise.trust import selectors as trust_selectors
from barnraise.trust.models import Report, Strike, Suspension

LIMIT = 50


def may_see_money(viewer: User) -> bool:
    return operators.operator_in(viewer, operators.FINANCE)


@dataclass
class MemberOverview:
    member: User
    suspension: Suspension | None
    deals: list[Transaction]
    listings: list[Listing]
    reports_about: list[Report]
    reports_by: list[Report]
    strikes: list[Strike]
    balances: list[ledger_selectors.MemberBalance] = field(default_factory=list)


def member_overview(*, viewer: User, member: User) -> MemberOverview:
    deals = (
        Transaction.objects.filter(Q(customer=member) | Q(provider=member))
        .select_related("listing", "customer", "provider")
        .order_by("-created_at")[:LIMIT]
    )
    return MemberOverview(
        member=member,
        suspension=trust_selectors.suspension_active(member=member),
        deals=list(deals),
        listings=list(Listing.objects.filter(author=member).order_by("-updated_at")[:LIMIT]),
        reports_about=list(Report.objects.filter(member=member).order_by("-created_at")[:LIMIT]),
        reports_by=list(Report.objects.filter(reporter=member).order_by("-created_at")[:LIMIT]),
        strikes=list(Strike.objects.filter(member=member).order_by("-id")[:LIMIT]),
        balances=ledger_selectors.member_balances(member=member) if may_see_money(viewer) else [],
    )


@dataclass(frozen=True)
class LedgerRow:
    entry: JournalEntry
    account: str
    amount: Money

    @property
    def debit(self) -> Money | None:
        return self.amount if self.amount.amount_minor > 0 else None

    @property
    def credit(self) -> Money | None:
        return -self.amount if self.amount.amount_minor < 0 else None


@dataclass
class DealOverview:
    deal: Transaction
    events: list[TransactionEvent]
    log: list[Event]
    disputes: list[Dispute]
    reviews: list[Review]
    payment: Payment | None = None
    ledger: list[LedgerRow] = field(default_factory=list)
    refundable: Money | None = None
    payouts: list[ledger_selectors.DealPayout] = field(default_factory=list)


def _account_label(posting: Posting) -> str:
    account = posting.account
    label = str(account.get_kind_display()).capitalize()
    return f"{label} · {account.owner.name}" if account.owner is not None else label


def deal_overview(*, viewer: User, deal: Transaction) -> DealOverview:
    """The deal's steps (its own events), the log's events about its payment, its disputes and
    reviews; for finance, its payment and ledger rows in the deal's currency."""
    payment = Payment.objects.filter(reference=f"transaction:{deal.pk}").first()
    log: list[Event] = []
    if payment is not None:
        log = list(Event.objects.filter(subject_type="payment", subject_id=str(payment.pk)).order_by("id"))
    overview = DealOverview(
        deal=deal,
        events=list(TransactionEvent.objects.filter(transaction=deal).select_related("actor").order_by("id")),
        log=log,
        disputes=list(Dispute.objects.filter(transaction=deal).order_by("created_at")),
        reviews=list(
            Review.objects.filter(transaction=deal).select_related("author", "subject").order_by("id")
        ),
    )
    if may_see_money(viewer) and payment is not None:
        postings = (
            Posting.objects.filter(entry__reference=payment.reference)
            .select_related("entry", "account__owner")
            .order_by("entry__created_at", "id")
        )
        overview.payment = payment
        overview.ledger = [
            LedgerRow(p.entry, _account_label(p), Money(p.amount_minor, p.currency)) for p in postings
        ]
        overview.refundable = Money(refundable_minor(payment), payment.currency)
        overview.payouts = ledger_selectors.deal_payouts(deal_id=deal.pk)
    return overview


def member_by_id(member_id: Any) -> User | None:
    return User.objects.filter(pk=member_id).first()


def deal_by_id(deal_id: Any) -> Transaction | None:
    return Transaction.objects.select_related("listing", "customer", "provider").filter(pk=deal_id).first()
