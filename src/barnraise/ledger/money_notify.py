"""Tell members about their deals' money: an event-log consumer of the money events the escrow
steps write (`ledger.money_events`), run after commit.

Each is a kind of its own (its own email switch): `payment_taken` (the customer's card was
charged), `refund_received` (money back, or the hold let go), `earnings_received` (the
provider's share credited). An operator's refund is told by `ledger.refunds` itself.
"""

from barnraise.accounts.models import User
from barnraise.eventlog.models import Event, EventType
from barnraise.ledger import deals, selectors
from barnraise.notifications.services import notification_send

KINDS = {
    EventType.PAYMENT_CAPTURED: "payment_taken",
    EventType.PAYMENT_RETURNED: "refund_received",
    EventType.PAYMENT_HOLD_RELEASED: "refund_received",
    EventType.PAYMENT_EARNED: "earnings_received",
}


def on_event(event: Event) -> None:
    kind = KINDS.get(EventType(event.type)) if event.type in EventType.values else None
    if kind is None or event.member_id is None:
        return
    deal = str(event.payload.get("deal", ""))
    title = deals.deal_title(f"transaction:{deal}")
    if title is None:
        return
    amount = selectors.event_amount(event)
    notification_send(
        recipient=User.objects.get(pk=event.member_id),
        kind=kind,
        context={
            "amount": amount.format(),
            "listing": title,
            "hold_released": event.type == EventType.PAYMENT_HOLD_RELEASED,
        },
        url=f"/transactions/{deal}/",
    )
