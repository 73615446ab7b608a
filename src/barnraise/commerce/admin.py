from typing import Any

from django.contrib import admin
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from barnraise.accounts.models import User
from barnraise.commerce import disputes
from barnraise.commerce.models import (
    Booking,
    CancellationPolicy,
    CommercePolicy,
    Dispute,
    DisputeEvidence,
    FeeAmount,
    FeeRule,
    Transaction,
    TransactionEvent,
)
from barnraise.errors import DomainError
from barnraise.private_files import private_file_response


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


class EvidenceInline(admin.TabularInline[DisputeEvidence, Dispute]):
    model = DisputeEvidence
    extra = 0
    can_delete = False
    fields = ("author", "text", "file_link", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("file"))
    def file_link(self, evidence: DisputeEvidence) -> str:
        """A PDF is shown by its rendered pages; the PDF itself only by an explicit download."""
        if not evidence.file:
            return "–"
        url = reverse("admin:commerce_dispute_evidence_file", args=[evidence.pk])
        pages = sorted(evidence.pages.all(), key=lambda page: page.number)
        shown = format_html_join(
            "",
            '<a href="{0}"><img src="{0}" alt="{1}" width="{2}" style="height:auto"></a> ',
            (
                (
                    reverse("admin:commerce_dispute_evidence_page", args=[evidence.pk, page.number]),
                    _("Page %d") % page.number,
                    200,
                )
                for page in pages
            ),
        )
        return format_html(
            '{}<a href="{}" download>{}</a>', shown, url, _("Download (%s)") % evidence.content_type
        )


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin[Dispute]):
    """The operators' queue of disputes, open first, with the evidence beside each. A dispute
    is resolved on its deal's page (the `resolve` step, with the refund), never edited here."""

    list_display = ("transaction", "status", "opened_as", "created_at", "resolved_at")
    list_filter = ("status", "opened_as")
    search_fields = ("=transaction__id", "reason")
    ordering = ("-status", "created_at")  # "open" sorts after "resolved": open ones first
    readonly_fields = (
        "transaction_link",
        "opened_by",
        "opened_as",
        "reason",
        "status",
        "outcome",
        "refund_minor",
        "resolved_by",
        "created_at",
        "resolved_at",
    )
    fields = readonly_fields
    inlines = (EvidenceInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("deal"))
    def transaction_link(self, dispute: Dispute) -> str:
        url = reverse("transaction_detail", kwargs={"transaction_id": dispute.transaction_id})
        return format_html('<a href="{}">{}</a> ({})', url, dispute.transaction_id, _("resolve it there"))

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "evidence/<uuid:evidence_id>/file/",
                self.admin_site.admin_view(self.evidence_file),
                name="commerce_dispute_evidence_file",
            ),
            path(
                "evidence/<uuid:evidence_id>/pages/<int:number>/",
                self.admin_site.admin_view(self.evidence_page),
                name="commerce_dispute_evidence_page",
            ),
        ]
        return own + super().get_urls()

    def evidence_file(self, request: HttpRequest, evidence_id: Any) -> HttpResponseBase:
        if not isinstance(request.user, User):
            raise Http404
        try:
            evidence = disputes.evidence_readable(actor=request.user, evidence_id=evidence_id)
        except DomainError as exc:
            raise Http404 from exc
        # Never shown in the operator's browser: a PDF may carry scripts.
        name = f"evidence-{evidence.id}"
        return private_file_response(evidence.file, content_type=evidence.content_type, name=name)

    def evidence_page(self, request: HttpRequest, evidence_id: Any, number: int) -> HttpResponseBase:
        if not isinstance(request.user, User):
            raise Http404
        try:
            page = disputes.evidence_page_readable(actor=request.user, evidence_id=evidence_id, number=number)
        except DomainError as exc:
            raise Http404 from exc
        name = f"evidence-{evidence_id}-page-{number}"
        return private_file_response(page.image, content_type="image/jpeg", name=name, inline=True)
