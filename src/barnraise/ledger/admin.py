"""The ledger in the admin: read-only, for the finance and admin groups (their view permission).

Money moves through services only; nothing here adds, changes or deletes a row.
"""

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from barnraise.ledger.models import (
    Account,
    BalanceSnapshot,
    JournalEntry,
    Posting,
    ProviderCall,
    SandboxRecord,
)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]


class PostingInline(admin.TabularInline[Posting, JournalEntry]):
    model = Posting
    extra = 0
    fields = ("id", "account", "amount_minor", "currency")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "owner", "reference", "currency", "created_at")
    list_filter = ("kind", "currency")
    search_fields = ("=id", "=reference", "=owner__id")
    raw_id_fields = ("owner",)


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "status", "reference", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("=id", "=reference", "=idempotency_key")
    inlines = (PostingInline,)


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    list_display = ("id", "entry", "account", "amount_minor", "currency")
    list_filter = ("currency",)
    search_fields = ("=entry__id", "=account__id")
    list_select_related = ("entry", "account")


@admin.register(BalanceSnapshot)
class BalanceSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "up_to_posting_id", "balance_minor", "currency", "created_at")
    list_filter = ("currency",)
    search_fields = ("=account__id",)
    list_select_related = ("account",)


@admin.register(ProviderCall)
class ProviderCallAdmin(ReadOnlyAdmin):
    list_display = ("id", "operation", "status", "reference", "attempts", "created_at", "finished_at")
    list_filter = ("operation", "status")
    search_fields = ("=id", "=reference", "=idempotency_key")


@admin.register(SandboxRecord)
class SandboxRecordAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "external_id", "parent_id", "amount_minor", "currency", "created_at")
    list_filter = ("kind", "scenario")
    search_fields = ("=external_id", "=parent_id", "=idempotency_key")
