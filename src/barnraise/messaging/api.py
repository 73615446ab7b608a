"""/api/v1/transactions/{id}/messages and the inbox at /api/v1/conversations."""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from barnraise.api.auth import caller
from barnraise.api.pagination import PageParams, page_by_id
from barnraise.api.schemas import InputSchema, Page
from barnraise.messaging import selectors, services
from barnraise.messaging.models import Message, Participant

router = Router(tags=["messages"])
inbox_router = Router(tags=["messages"])


class SenderOut(Schema):
    id: UUID
    name: str


class MessageOut(Schema):
    id: UUID
    sender: SenderOut
    body: str = Field(description="As the other party reads it: contact details masked before acceptance.")
    masked: bool
    removed: bool = Field(description="The sender has deleted their account.")
    created_at: datetime


class ScreeningOut(Schema):
    masked: bool
    kinds: list[str] = Field(description="What was hidden: phone, email, url, handle.")
    reasons: list[str] = Field(description="Why, in words to show the sender.")


class MessageSentOut(MessageOut):
    screening: ScreeningOut


class MessagePage(Page[MessageOut]):
    unread_count: int = Field(description="Messages to the caller not yet marked read.")


class MessageIn(InputSchema):
    body: str = Field(min_length=1, max_length=services.BODY_MAX)


class ReadOut(Schema):
    marked: int


def message_out(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "sender": {"id": message.sender.pk, "name": message.sender.name},
        "body": message.body,
        "masked": message.masked,
        "removed": message.removed_at is not None,
        "created_at": message.created_at,
    }


@router.get(
    "/{transaction_id}/messages",
    response=MessagePage,
    summary="A deal's messages, newest first (parties and operators only)",
)
def messages_list(request: HttpRequest, transaction_id: UUID, params: Query[PageParams]) -> dict[str, Any]:
    user = caller(request)
    rows, cursor = page_by_id(selectors.messages_of(actor=user, transaction_id=transaction_id), params)
    return {
        "results": [message_out(m) for m in rows],
        "next_cursor": cursor,
        "unread_count": selectors.unread_in(actor=user, transaction_id=transaction_id),
    }


@router.post(
    "/{transaction_id}/messages",
    response={201: MessageSentOut},
    summary="Send a message; before acceptance contact details are masked and you are told why",
)
def message_send(request: HttpRequest, transaction_id: UUID, data: MessageIn) -> Status[Any]:
    sent = services.message_send(actor=caller(request), transaction_id=transaction_id, body=data.body)
    screening = {"masked": bool(sent.masked_kinds), "kinds": sent.masked_kinds, "reasons": sent.reasons}
    return Status(201, {**message_out(sent.message), "screening": screening})


@router.post("/{transaction_id}/messages/read", response=ReadOut, summary="Mark a deal's messages read")
def messages_read(request: HttpRequest, transaction_id: UUID) -> dict[str, int]:
    return {"marked": services.conversation_mark_read(actor=caller(request), transaction_id=transaction_id)}


class PartyOut(Schema):
    id: UUID
    name: str


class ConversationOut(Schema):
    transaction_id: UUID
    listing_title: str
    state: str
    other_party: PartyOut
    unread_count: int
    last_message: str = Field(description="The last message as the caller reads it.")
    last_message_mine: bool
    last_message_at: datetime


class InboxPage(Page[ConversationOut]):
    unread_total: int


def conversation_out(row: Participant, viewer_id: Any) -> dict[str, Any]:
    tx = row.conversation.transaction
    other = tx.provider if tx.customer_id == viewer_id else tx.customer
    return {
        "transaction_id": tx.id,
        "listing_title": tx.listing.title,
        "state": tx.state,
        "other_party": {"id": other.pk, "name": other.name},
        "unread_count": row.unread_count,
        "last_message": getattr(row, "last_body", None) or "",
        "last_message_mine": getattr(row, "last_sender_id", None) == viewer_id,
        "last_message_at": row.last_message_at,
    }


@inbox_router.get("", response=InboxPage, summary="Your conversations, the most recent first")
def inbox(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    user = caller(request)
    rows, cursor = selectors.inbox_page(member=user, params=params)
    return {
        "results": [conversation_out(row, user.pk) for row in rows],
        "next_cursor": cursor,
        "unread_total": selectors.unread_total(member=user),
    }
