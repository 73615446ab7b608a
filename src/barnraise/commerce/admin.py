from django.contrib import admin

from barnraise.commerce.models import (
    Booking,
    CancellationPolicy,
    CommercePolicy,
    FeeAmount,
    FeeRule,
    Timer,
    Transaction,
    TransactionEvent,
)


class EventInline(admin.TabularInline[TransactionEvent, Transaction]):
    model = TransactionEvent
    extra = 0
    can_delete = False
    readonly_fields = (
        "sequence",
        "name",
        "actor_role",
        "actor",
        "from_state",
        "to_state",
        "params",
        "created_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin[Transaction]):
    """State and money are read-only here: changes go through the engine's transitions."""

    list_display = ("id", "process", "state", "listing", "customer", "provider", "created_at")
    list_filter = ("process", "state")
    search_fields = ("id", "customer__email", "provider__email", "listing__title")
    readonly_fields = [f.name for f in Transaction._meta.fields]
    inlines = [EventInline]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin[Booking]):
    list_display = ("calendar", "start", "end", "seats", "status")
    list_filter = ("status",)
    readonly_fields = [f.name for f in Booking._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(Timer)
class TimerAdmin(admin.ModelAdmin[Timer]):
    list_display = ("handler", "target", "due_at", "status", "attempts")
    list_filter = ("status", "handler")
    readonly_fields = [f.name for f in Timer._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(CancellationPolicy)
class CancellationPolicyAdmin(admin.ModelAdmin[CancellationPolicy]):
    list_display = ("name", "slug")


@admin.register(CommercePolicy)
class CommercePolicyAdmin(admin.ModelAdmin[CommercePolicy]):
    list_display = ("__str__", "review_window_days", "dispute_window_days")


class FeeAmountInline(admin.TabularInline[FeeAmount, FeeRule]):
    model = FeeAmount
    extra = 1
    fields = ("currency", "customer_fixed_minor", "customer_min_minor", "customer_max_minor")


@admin.register(FeeRule)
class FeeRuleAdmin(admin.ModelAdmin[FeeRule]):
    """Fees for deals priced from now on; a deal keeps the fees it was priced with.

    Amounts are in each currency's minor units (cents for EUR, yen for JPY, fils for KWD). A
    currency without amounts on the rule that applies gets 422 `currency_not_supported`.
    """

    list_display = ("__str__", "category", "customer_fee_percent", "provider_commission_percent", "active")
    list_filter = ("active",)
    list_select_related = ("category",)
    inlines = [FeeAmountInline]
