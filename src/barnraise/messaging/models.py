"""Conversations: one per transaction (inquiries included), between its two parties."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from barnraise.ids import uuid7


class Conversation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    transaction = models.OneToOneField(
        "commerce.Transaction", on_delete=models.PROTECT, related_name="conversation"
    )
    created_at = models.DateTimeField(default=now)
    last_message_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"conversation on {self.transaction_id}"


class Participant(models.Model):
    """A party's place in a conversation: the inbox row, with its unread count."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unread_count = models.PositiveIntegerField(default=0)
    last_read_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(
        default=now, help_text=_("Copied, so the inbox sorts on one table.")
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["conversation", "member"], name="participant_once")
        ]
        indexes: ClassVar = [models.Index(fields=["member", "-last_message_at"])]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.conversation_id}"


class Message(models.Model):
    """One message. `body` is what the other party reads: masked when screening found contact
    details before acceptance (the original is kept, for operators, in trust's Violation)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    masked = models.BooleanField(default=False)
    masked_kinds = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=now)
    removed_at = models.DateTimeField(null=True, blank=True, help_text=_("The sender deleted their account."))

    class Meta:
        indexes: ClassVar = [models.Index(fields=["conversation", "-id"])]

    def __str__(self) -> str:
        return f"{self.sender_id}: {self.body[:40]}"
