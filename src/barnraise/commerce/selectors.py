from functools import reduce
from operator import or_
from typing import Any
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet

from barnraise.accounts.models import User
from barnraise.accounts.operators import FINANCE, SUPPORT, operator_in
from barnraise.commerce import processes
from barnraise.commerce.models import Transaction, TransactionEvent
from barnraise.errors import NotFound
from barnraise.money import Money


def transaction_visible(*, actor: User, transaction_id: Any) -> Transaction:
    """The transaction, if `actor` is a party or an operator; anyone else gets NotFound."""
    tx = (
        Transaction.objects.select_related("listing", "customer", "provider")
        .filter(pk=transaction_id)
        .first()
    )
    if tx is None or not (
        actor.pk in (tx.customer_id, tx.provider_id) or operator_in(actor, SUPPORT, FINANCE)
    ):
        raise NotFound()
    return tx


def transaction_by_reference(reference: str) -> Transaction | None:
    """The transaction a "transaction:<uuid>" reference names (other contexts' rows use them)."""
    prefix, _sep, value = reference.partition(":")
    if prefix != "transaction":
        return None
    try:
        return Transaction.objects.filter(pk=UUID(value)).first()
    except ValueError:
        return None


def transactions_for(*, actor: User, role: str | None, state: str | None) -> QuerySet[Transaction]:
    if role == "customer":
        qs = Transaction.objects.filter(customer=actor)
    elif role == "provider":
        qs = Transaction.objects.filter(provider=actor)
    else:
        qs = Transaction.objects.filter(Q(customer=actor) | Q(provider=actor))
    if state:
        qs = qs.filter(state=state)
    events = Prefetch("events", queryset=TransactionEvent.objects.order_by("id"))
    return (
        qs.select_related("listing", "customer", "provider").prefetch_related(events).exclude(state="initial")
    )


def _awaited_steps() -> list[tuple[str, int, str, str]]:
    """(process, version, state, role) where that party has a step forward to take (each
    process's `awaits`)."""
    found = {
        (process.name, process.version, waiting.state, waiting.party)
        for process in processes.PROCESSES.values()
        for waiting in process.awaits
    }
    return sorted(found)


def transactions_awaiting(*, actor: User) -> QuerySet[Transaction]:
    """The actor's deals that wait for the actor's answer: a request to accept, a delivery to approve."""
    terms = [
        Q(process=name, process_version=version, state=state)
        & (Q(customer=actor) if role == "customer" else Q(provider=actor))
        for name, version, state, role in _awaited_steps()
    ]
    return Transaction.objects.filter(reduce(or_, terms, Q(pk__in=[])))


def events_of(tx: Transaction) -> list[TransactionEvent]:
    """In order; uses the events prefetched by transactions_for when there are some."""
    return sorted(tx.events.all(), key=lambda event: event.pk)


def events_after(*, actor: User, after: int, limit: int) -> list[TransactionEvent]:
    """Numbered deal events past `after`: the actor's own deals', or every deal's for operators."""
    rows = TransactionEvent.objects.filter(sequence__gt=after)
    if not operator_in(actor, SUPPORT, FINANCE):
        rows = rows.filter(Q(transaction__customer=actor) | Q(transaction__provider=actor))
    return list(rows.order_by("sequence")[:limit])


def deals_export_for(user: User) -> list[dict[str, Any]]:
    """The member's deals, either side, for their data export: money in the money shape."""

    def money(amount_minor: int, currency: str) -> dict[str, Any]:
        return Money(amount_minor, currency).as_json()

    deals = (
        Transaction.objects.filter(Q(customer=user) | Q(provider=user))
        .select_related("listing")
        .order_by("created_at", "id")
    )
    return [
        {
            "id": str(tx.pk),
            "role": "customer" if tx.customer_id == user.pk else "provider",
            "listing": {"id": str(tx.listing.public_id), "title": tx.listing.title},
            "process": tx.process,
            "state": tx.state,
            "quantity": tx.quantity,
            "seats": tx.seats,
            "start": tx.start.isoformat() if tx.start else None,
            "end": tx.end.isoformat() if tx.end else None,
            "line_items": [
                {
                    "label": item.get("label", ""),
                    "units": item.get("units", ""),
                    "amount": money(
                        int(item.get("amount_minor") or 0), str(item.get("currency") or tx.currency)
                    ),
                    "paid_by": item.get("paid_by", "customer"),
                }
                for item in tx.line_items or []
            ],
            "total": money(tx.total_amount_minor, tx.currency),
            "provider_payout": money(tx.provider_payout_minor, tx.currency),
            "platform_fee": money(tx.platform_fee_minor, tx.currency),
            "created_at": tx.created_at.isoformat(),
        }
        for tx in deals
    ]


def listing_titles(transaction_ids: list[UUID]) -> list[tuple[UUID, str]]:
    """Each transaction's id with its listing's title (other contexts' lists of deals)."""
    rows = Transaction.objects.filter(pk__in=transaction_ids).values_list("pk", "listing__title")
    return [(pk, str(title)) for pk, title in rows]
