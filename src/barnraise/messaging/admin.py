"""Conversations for operators to read (a report about a message links here); nothing is edited."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from barnraise.messaging.models import Conversation, Message


class MessageInline(admin.TabularInline[Message, Conversation]):
    model = Message
    extra = 0
    fields = ("created_at", "sender", "body", "masked", "masked_kinds", "removed_at")
    readonly_fields = fields
    ordering = ("id",)
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin[Conversation]):
    list_display = ("transaction", "created_at", "last_message_at")
    search_fields = ("transaction__id",)
    readonly_fields = ("transaction", "created_at", "last_message_at")
    inlines = (MessageInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Conversation | None = None) -> bool:
        return False
