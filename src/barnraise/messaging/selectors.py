"""Reads for messaging: a deal's messages, the inbox, unread counts."""

from typing import Any
from uuid import UUID

from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum

from barnraise.accounts.models import User
from barnraise.api.pagination import PageParams, a_moment, a_row_id, decode_cursor, encode_cursor
from barnraise.commerce.selectors import transaction_visible
from barnraise.errors import NotFound
from barnraise.messaging.models import Message, Participant
from barnraise.trust.subjects import Subject


def messages_of(*, actor: User, transaction_id: Any) -> QuerySet[Message]:
    """A deal's messages, for its parties and operators (anyone else: NotFound)."""
    tx = transaction_visible(actor=actor, transaction_id=transaction_id)
    return Message.objects.filter(conversation__transaction=tx).select_related("sender")


def unread_in(*, actor: User, transaction_id: Any) -> int:
    row = Participant.objects.filter(conversation__transaction_id=transaction_id, member=actor).first()
    return row.unread_count if row else 0


def unread_total(*, member: User) -> int:
    total = Participant.objects.filter(member=member).aggregate(total=Sum("unread_count"))["total"]
    return int(total or 0)


def inbox_of(*, member: User) -> QuerySet[Participant]:
    """The member's conversations, the most recent message first, each with its last message."""
    last = Message.objects.filter(conversation=OuterRef("conversation")).order_by("-id")
    return (
        Participant.objects.filter(member=member)
        .select_related(
            "conversation__transaction__listing",
            "conversation__transaction__customer",
            "conversation__transaction__provider",
        )
        .annotate(
            last_body=Subquery(last.values("body")[:1]),
            last_sender_id=Subquery(last.values("sender_id")[:1]),
        )
        .order_by("-last_message_at", "-id")
    )


def inbox_page(*, member: User, params: PageParams) -> tuple[list[Participant], str | None]:
    """Keyset pages over (last_message_at, id), newest first."""
    qs = inbox_of(member=member)
    if params.cursor:
        moment, pk = decode_cursor(params.cursor, a_moment, a_row_id)
        qs = qs.filter(Q(last_message_at__lt=moment) | Q(last_message_at=moment, id__lt=pk))
    rows = list(qs[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    cursor = encode_cursor([rows[-1].last_message_at.isoformat(), rows[-1].pk]) if more and rows else None
    return rows, cursor


def member_has_written(*, member: User) -> bool:
    return Message.objects.filter(sender=member).exists()


def message_subject(*, actor: User, subject_id: UUID) -> Subject:
    """trust.subjects resolver: a message the reporter can read (a party of its deal)."""
    message = (
        Message.objects.select_related("sender", "conversation")
        .filter(pk=subject_id, removed_at=None)
        .first()
    )
    if message is None:
        raise NotFound()
    tx_id = message.conversation.transaction_id
    transaction_visible(actor=actor, transaction_id=tx_id)
    return Subject(
        member=message.sender,
        subject_id=str(message.pk),
        evidence=message.body,
        url=f"/transactions/{tx_id}/",
    )


def messages_export_for(user: User) -> list[dict[str, Any]]:
    return [
        {
            "id": str(m.id),
            "transaction": str(m.conversation.transaction_id),
            "body": m.body,
            "masked": m.masked,
            "created_at": m.created_at.isoformat(),
        }
        for m in Message.objects.filter(sender=user).select_related("conversation").order_by("id")
    ]
