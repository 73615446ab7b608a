"""The events of a deal's money, written by the escrow steps in the transaction that moves it:
what the customer paid, what came back, and what the provider earned. The deal page's timeline
and the money notifications (`ledger.money_notify`) read them; an operator's refund outside a
dispute writes its own `ledger:payment:refunded` (barnraise.ledger.refunds).
"""

from barnraise.eventlog.models import Event, EventType
from barnraise.eventlog.services import Subject, record
from barnraise.ledger.models import Payment


def deal_id_of(payment: Payment) -> str:
    return payment.reference.removeprefix("transaction:")


def _record(payment: Payment, type: EventType, amount_minor: int, *, to_provider: bool) -> Event | None:
    if amount_minor <= 0:
        return None
    member_id = payment.payee_id if to_provider else payment.payer_id
    return record(
        Subject("payment", str(payment.pk), member_id=member_id),
        type,
        actor=None,  # the deal's step moved it; the step's own event names who took it
        # the amount as {amount_minor, currency}: the events feed answers it in the money shape
        payload={
            "deal": deal_id_of(payment),
            "amount": {"amount_minor": amount_minor, "currency": payment.currency},
        },
    )


def captured(payment: Payment) -> None:
    """The customer's card was charged; the money waits in the deal's escrow."""
    _record(payment, EventType.PAYMENT_CAPTURED, payment.amount_minor, to_provider=False)


def hold_released(payment: Payment) -> None:
    """Nothing was taken: the hold on the customer's card was let go."""
    _record(payment, EventType.PAYMENT_HOLD_RELEASED, payment.amount_minor, to_provider=False)


def returned(payment: Payment, amount_minor: int) -> None:
    """`amount_minor` went back to the customer by the deal's terms (a cancellation's policy,
    a dispute's resolution)."""
    _record(payment, EventType.PAYMENT_RETURNED, amount_minor, to_provider=False)


def earned(payment: Payment, amount_minor: int) -> None:
    """The provider's share of the deal was credited to their balance."""
    _record(payment, EventType.PAYMENT_EARNED, amount_minor, to_provider=True)
