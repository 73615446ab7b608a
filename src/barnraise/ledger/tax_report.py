"""The tax report: what the marketplace owes in tax, per period and jurisdiction, read from the
`tax_payable` accounts (docs/taxes.md). Finance only.

A deal's tax is credited to `tax_payable` (reference `tax:<jurisdiction>`) when its escrow is
emptied (completion, or a cancellation that keeps part of the price), and debited back when
part of it is refunded. A period's report sums those postings by the day their entry was
posted, in UTC: `collected` the credits, `refunded` the debits, `net` what is owed for it.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Q, Sum

from barnraise.accounts import operators
from barnraise.accounts.models import User
from barnraise.ledger.models import AccountKind, EntryStatus, Posting
from barnraise.money import Money
from barnraise.places import gazetteer

PREFIX = "tax:"
LONGEST_PERIOD_DAYS = 3 * 366


@dataclass(frozen=True)
class TaxRow:
    jurisdiction: str  # "BE", "US-CA", "CA-08"; "" for tax posted without one
    place: str  # the jurisdiction in words: "Belgium", "California, United States", "Ontario, Canada"
    currency: str
    collected: Money
    refunded: Money
    net: Money
    entries: int


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time.min, UTC), datetime.combine(end + timedelta(days=1), time.min, UTC)


def tax_report(*, actor: User, start: date, end: date) -> list[TaxRow]:
    """The tax posted from `start` to `end` (both days included, UTC), by jurisdiction and
    currency, in that order."""
    operators.require_operator(actor, operators.FINANCE)
    since, until = _bounds(start, end)
    rows = (
        Posting.objects.filter(
            account__kind=AccountKind.TAX_PAYABLE,
            entry__status=EntryStatus.POSTED,
            entry__created_at__gte=since,
            entry__created_at__lt=until,
        )
        .values("account__reference", "currency")
        .annotate(
            credits=Sum("amount_minor", filter=Q(amount_minor__lt=0)),
            debits=Sum("amount_minor", filter=Q(amount_minor__gt=0)),
            entries=Count("entry", distinct=True),
        )
        .order_by("account__reference", "currency")
    )
    report = []
    for row in rows:
        currency = row["currency"]
        collected, refunded = -(row["credits"] or 0), row["debits"] or 0
        reference = row["account__reference"]
        jurisdiction = reference.removeprefix(PREFIX) if reference.startswith(PREFIX) else ""
        report.append(
            TaxRow(
                jurisdiction=jurisdiction,
                place=gazetteer.jurisdiction_name(jurisdiction),
                currency=currency,
                collected=Money(collected, currency),
                refunded=Money(refunded, currency),
                net=Money(collected - refunded, currency),
                entries=row["entries"],
            )
        )
    return report
