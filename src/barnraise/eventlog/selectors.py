"""Reads of the event log: who sees which events."""

from django.db.models import Q, QuerySet

from barnraise.accounts import operators
from barnraise.accounts.models import User
from barnraise.eventlog.models import Event

# Which operator groups read which subjects' events in the feed (besides the member each
# event concerns). Payouts, holds and receipts and invoices are money: finance only.
OPERATOR_READERS: dict[str, tuple[str, ...]] = {
    "listing": (operators.SUPPORT, operators.FINANCE),
    "payout": (operators.FINANCE,),
    "payout_hold": (operators.FINANCE,),
    "payout_account": (operators.FINANCE,),
    "document": (operators.FINANCE,),
    "tax_rate": (operators.FINANCE,),
}


def events_visible(*, viewer: User, after: int, limit: int) -> list[Event]:
    """Numbered events past `after` that concern `viewer`, or that their operator groups read."""
    readable = [kind for kind, groups in OPERATOR_READERS.items() if operators.operator_in(viewer, *groups)]
    rows: QuerySet[Event] = Event.objects.filter(sequence__gt=after).filter(
        Q(member=viewer) | Q(subject_type__in=readable)
    )
    return list(rows.order_by("sequence")[:limit])


def events_of(*, subject_type: str, subject_id: str) -> list[Event]:
    """One object's history, oldest first (numbered or not yet)."""
    return list(Event.objects.filter(subject_type=subject_type, subject_id=subject_id).order_by("id"))
