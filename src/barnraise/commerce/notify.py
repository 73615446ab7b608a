"""Tell the other party about a transition: an event-log consumer, run after commit."""

from barnraise.commerce.models import TransactionEvent
from barnraise.notifications.services import notification_send

# Who hears about which transition (besides the one who took it).
AUDIENCE = {
    "inquire": "provider",
    "request": "provider",
    "book": "provider",
    "offer": "customer",
    "update_offer": "customer",
    "counter": "provider",
    "accept": "customer",
    "accept_offer": "provider",
    "accept_counter": "customer",
    "decline": "customer",
    "reject": "provider",
    "close": "provider",
    "expire": "customer",
    "cancel_by_customer": "provider",
    "cancel_by_provider": "customer",
    "cancel_by_operator": "both",
    "mark_shipped": "customer",
    "deliver": "customer",
    "request_changes": "provider",
    "confirm_receipt": "provider",
    "accept_delivery": "provider",
    "complete": "both",
    "auto_complete": "both",
    "auto_accept": "both",
    "dispute": "both",
    "resolve": "both",
}


def on_event(event: TransactionEvent) -> None:
    audience = AUDIENCE.get(event.name)
    if audience is None:
        return
    tx = event.transaction
    recipients = {
        "customer": [tx.customer],
        "provider": [tx.provider],
        "both": [tx.customer, tx.provider],
    }[audience]
    for recipient in recipients:
        notification_send(
            recipient=recipient,
            kind="transaction_update",
            context={"event": event.name, "listing": tx.listing.title, "state": event.to_state},
            url=f"/transactions/{tx.id}/",
        )
