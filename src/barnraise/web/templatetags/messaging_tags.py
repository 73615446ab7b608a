"""`{% conversation tx %}`: a deal's messages and the reply form, for its parties and operators."""

from typing import Any

from django import template

from barnraise.commerce.models import Transaction
from barnraise.messaging import selectors

register = template.Library()

SHOWN = 50


@register.inclusion_tag("web/messaging/_thread.html", takes_context=True)
def conversation(context: template.Context, tx: Transaction) -> dict[str, Any]:
    request = context["request"]
    viewer = request.user
    rows = list(selectors.messages_of(actor=viewer, transaction_id=tx.pk).order_by("-id")[:SHOWN])
    rows.reverse()
    unread = selectors.unread_in(actor=viewer, transaction_id=tx.pk)
    new: set[Any] = set()
    for message in reversed(rows):  # the last `unread` messages from the other side
        if len(new) >= unread:
            break
        if message.sender_id != viewer.pk:
            new.add(message.pk)
    return {
        "tx": tx,
        "viewer": viewer,
        "thread": [{"message": m, "mine": m.sender_id == viewer.pk, "new": m.pk in new} for m in rows],
        "unread": unread,
        "can_write": viewer.pk in (tx.customer_id, tx.provider_id),
        "screened": tx.contact_revealed_at is None,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
