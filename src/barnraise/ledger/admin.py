"""The ledger in the admin: read-only, for the finance and admin groups (their view permission).

Money moves through services only; nothing here adds, changes or deletes a row, except payout
holds, which finance places and releases here through the payout services.
"""

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from barnraise.ledger.models import (
    Account,
    BalanceSnapshot,
    Document,
    DocumentCounter,
    JournalEntry,
    PaperworkPolicy,
    Payment,
    Payout,
    PayoutAccount,
    PayoutHold,
    Posting,
    ProviderCall,
    ProviderWebhookEvent,
    SandboxRecord,
)
from barnraise.ledger.payouts import payout_hold_place, payout_hold_release
from barnraise.money import Money


def _shown(amount_minor: int | None, currency: str) -> str:
    """Money as people read it (€12.50), never in minor units."""
    return "—" if amount_minor is None or not currency else Money(amount_minor, currency).format()


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    # Minor-unit fields shown formatted instead, by a method of the same name without `_minor`.
    money_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        names = [f.name for f in self.model._meta.fields if f.name not in self.money_fields]
        return [*names, *(name.removesuffix("_minor") for name in self.money_fields)]


class PostingInline(admin.TabularInline[Posting, JournalEntry]):
    model = Posting
    extra = 0
    fields = ("id", "account", "amount")
    readonly_fields = fields

    @admin.display(description=_("amount (debit +, credit −)"))
    def amount(self, posting: Posting) -> str:
        return _shown(posting.amount_minor, posting.currency)

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
    list_display = ("id", "entry", "account", "amount")
    money_fields = ("amount_minor",)

    @admin.display(description=_("amount (debit +, credit −)"))
    def amount(self, posting: Posting) -> str:
        return _shown(posting.amount_minor, posting.currency)

    list_filter = ("currency",)
    search_fields = ("=entry__id", "=account__id")
    list_select_related = ("entry", "account")


@admin.register(BalanceSnapshot)
class BalanceSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "up_to_posting_id", "balance", "created_at")
    money_fields = ("balance_minor",)

    @admin.display(description=_("balance"))
    def balance(self, snapshot: BalanceSnapshot) -> str:
        return _shown(snapshot.balance_minor, snapshot.currency)

    list_filter = ("currency",)
    search_fields = ("=account__id",)
    list_select_related = ("account",)


@admin.register(ProviderCall)
class ProviderCallAdmin(ReadOnlyAdmin):
    list_display = ("id", "operation", "status", "reference", "attempts", "created_at", "finished_at")
    list_filter = ("operation", "status")
    search_fields = ("=id", "=reference", "=idempotency_key", "=external_id")


@admin.register(SandboxRecord)
class SandboxRecordAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "external_id", "parent_id", "amount", "created_at")
    money_fields = ("amount_minor",)

    @admin.display(description=_("amount"))
    def amount(self, record: SandboxRecord) -> str:
        return _shown(record.amount_minor, record.currency)

    list_filter = ("kind", "scenario")
    search_fields = ("=external_id", "=parent_id", "=idempotency_key")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("reference", "status", "amount", "refunded", "frozen", "settled")
    money_fields = (
        "amount_minor",
        "provider_share_minor",
        "refunded_minor",
        "chargeback_minor",
        "pending_minor",
    )

    @admin.display(description=_("amount"))
    def amount(self, payment: Payment) -> str:
        return _shown(payment.amount_minor, payment.currency)

    @admin.display(description=_("provider's share"))
    def provider_share(self, payment: Payment) -> str:
        return _shown(payment.provider_share_minor, payment.currency)

    @admin.display(description=_("refunded"))
    def refunded(self, payment: Payment) -> str:
        return _shown(payment.refunded_minor, payment.currency)

    @admin.display(description=_("charged back"))
    def chargeback(self, payment: Payment) -> str:
        return _shown(payment.chargeback_minor, payment.currency)

    @admin.display(description=_("provider's pending share"))
    def pending(self, payment: Payment) -> str:
        return _shown(payment.pending_minor, payment.currency)

    list_filter = ("status", "frozen", "settled", "currency")
    search_fields = ("=reference", "=authorization_id", "=capture_id")
    raw_id_fields = ("payer", "payee")


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ReadOnlyAdmin):
    list_display = ("owner", "provider", "external_id", "ready", "payouts_enabled", "schedule", "created_at")
    list_filter = ("provider", "ready", "payouts_enabled", "schedule")
    search_fields = ("=external_id", "=owner__id", "owner__email")
    raw_id_fields = ("owner",)


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ("id", "owner", "amount", "status", "scheduled", "created_at")
    money_fields = ("amount_minor",)

    @admin.display(description=_("amount"))
    def amount(self, payout: Payout) -> str:
        return _shown(payout.amount_minor, payout.currency)

    list_filter = ("status", "scheduled", "currency")
    search_fields = ("=id", "=owner__id", "owner__email")
    list_select_related = ("owner",)


@admin.register(ProviderWebhookEvent)
class ProviderWebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "provider", "type", "received_at", "processed_at", "attempts")
    list_filter = ("provider", "type")
    search_fields = ("=event_id",)


@admin.register(PayoutHold)
class PayoutHoldAdmin(admin.ModelAdmin[PayoutHold]):
    """Finance places a hold here (through the service) and releases it with the action."""

    list_display = ("owner", "reason", "created_by", "created_at", "released_at")
    list_filter = (("released_at", admin.EmptyFieldListFilter),)
    search_fields = ("=owner__id", "owner__email")
    fields = ("owner", "reason")
    raw_id_fields = ("owner",)
    actions = ("release_holds",)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: PayoutHold, form: Any, change: bool) -> None:
        placed = payout_hold_place(actor=request.user, owner=obj.owner, reason=obj.reason)  # type: ignore[arg-type]  # staff-only page: a User
        obj.pk = placed.pk

    @admin.action(description="Release the selected holds", permissions=["add"])
    def release_holds(self, request: HttpRequest, queryset: Any) -> None:
        for hold in queryset:
            payout_hold_release(actor=request.user, hold=hold)  # type: ignore[arg-type]  # staff-only page: a User


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    """Receipts, invoices and credit notes: issued by the money steps, never changed
    (docs/paperwork.md)."""

    list_display = ("number", "kind", "issued_at", "recipient", "issuer", "total")
    money_fields = ("total_minor", "taxes_minor")
    list_filter = ("kind", "year", "currency")
    search_fields = ("=number", "=id", "=reference", "recipient__email", "issuer__email")
    list_select_related = ("recipient", "issuer")

    @admin.display(description=_("total"))
    def total(self, document: Document) -> str:
        return _shown(document.total_minor, document.currency)

    @admin.display(description=_("taxes"))
    def taxes(self, document: Document) -> str:
        return _shown(document.taxes_minor, document.currency)


@admin.register(DocumentCounter)
class DocumentCounterAdmin(ReadOnlyAdmin):
    list_display = ("series", "year", "last")
    list_filter = ("year",)


@admin.register(PaperworkPolicy)
class PaperworkPolicyAdmin(admin.ModelAdmin[PaperworkPolicy]):
    """Who the marketplace is on its documents, and whether providers invoice themselves."""

    list_display = ("__str__", "issuer_name", "issuer_tax_number", "providers_issue_invoices")
