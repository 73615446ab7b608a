"""Writes for messaging: sending (screened before acceptance), marking read, deletion."""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts.models import User
from barnraise.accounts.services import user_require_verified_email
from barnraise.commerce.models import Transaction
from barnraise.commerce.selectors import transaction_visible
from barnraise.errors import InvalidInput, PermissionDenied
from barnraise.ids import uuid7
from barnraise.messaging.models import Conversation, Message, Participant
from barnraise.notifications.services import notification_send
from barnraise.ratelimits import rate_limit
from barnraise.trust import screening
from barnraise.trust.services import text_screen

BODY_MAX = 4000
EXCERPT = 140


@dataclass(frozen=True)
class Sent:
    message: Message
    masked_kinds: list[str] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return screening.reasons(self.masked_kinds)


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise InvalidInput(details={"body": [_("Write a message.")]})
    if len(body) > BODY_MAX:
        raise InvalidInput(details={"body": [_("Use at most %d characters.") % BODY_MAX]})
    if "\x00" in body:
        raise InvalidInput(details={"body": [_("Text may not contain NUL characters.")]})
    return body


def _party(tx: Transaction, actor: User) -> User:
    """The other party; operators read conversations but do not write in them."""
    if actor.pk == tx.customer_id:
        return tx.provider
    if actor.pk == tx.provider_id:
        return tx.customer
    raise PermissionDenied(_("Only the two parties write in a deal's conversation."))


def conversation_for(tx: Transaction) -> Conversation:
    """The transaction's conversation, made with its two participants on first use."""
    conversation, created = Conversation.objects.get_or_create(transaction=tx)
    if created:
        Participant.objects.bulk_create(
            [Participant(conversation=conversation, member_id=pk) for pk in (tx.customer_id, tx.provider_id)],
            ignore_conflicts=True,
        )
    return conversation


def message_send(*, actor: User, transaction_id: Any, body: str) -> Sent:
    """Send a message in a deal's conversation.

    Until the deal is accepted (contact details revealed), contact details in it are masked in
    what the other party reads, the sender is told why, and trust records a violation.
    """
    tx = transaction_visible(actor=actor, transaction_id=transaction_id)
    recipient = _party(tx, actor)
    body = _clean_body(body)
    user_require_verified_email(user=actor)  # and in good standing: a suspended member is silent
    rate_limit("message:member", str(actor.pk))
    message_id = uuid7()
    now = timezone.now()
    with transaction.atomic(durable=True):
        kinds: list[str] = []
        if tx.contact_revealed_at is None:
            result = text_screen(author=actor, text=body, where="message", subject_id=str(message_id))
            body, kinds = result.text, result.kinds
        conversation = conversation_for(tx)
        message = Message.objects.create(
            id=message_id,
            conversation=conversation,
            sender=actor,
            body=body,
            masked=bool(kinds),
            masked_kinds=kinds,
            created_at=now,
        )
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
        Participant.objects.filter(conversation=conversation).update(last_message_at=now)
        Participant.objects.filter(conversation=conversation, member=recipient).update(
            unread_count=F("unread_count") + 1
        )
        notification_send(
            recipient=recipient,
            kind="message_received",
            context={
                "sender": actor.name,
                "listing": tx.listing.title,
                "excerpt": body if len(body) <= EXCERPT else body[: EXCERPT - 1] + "…",
            },
            url=f"/messages/{tx.id}/",
        )
    return Sent(message, kinds)


def conversation_mark_read(*, actor: User, transaction_id: Any) -> int:
    """The actor has read the deal's conversation; returns how many were unread."""
    tx = transaction_visible(actor=actor, transaction_id=transaction_id)
    participant = Participant.objects.filter(conversation__transaction=tx, member=actor).first()
    if participant is None:
        return 0
    was = participant.unread_count
    Participant.objects.filter(pk=participant.pk).update(unread_count=0, last_read_at=timezone.now())
    return was


def messages_delete_for(user: User) -> None:
    """Account deletion: the member's words go; the other party keeps the thread's shape."""
    Message.objects.filter(sender=user).update(body="", masked_kinds=[], removed_at=timezone.now())
