from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from barnraise.accounts.models import User
from barnraise.commerce import disputes, taxes
from barnraise.commerce.models import (
    Booking,
    CancellationPolicy,
    CommercePolicy,
    Dispute,
    DisputeEvidence,
    FeeAmount,
    FeeRule,
    TaxRate,
    Transaction,
    TransactionEvent,
    region_checked,
)
from barnraise.errors import DomainError
from barnraise.eventlog.models import Event
from barnraise.money import Money
from barnraise.places import gazetteer
from barnraise.private_files import private_file_response

# The site's stylesheet for the admin's own additions (page images), which the CSP allows.
ADMIN_CSS = {"all": ("web/admin.css",)}
# Shown by the formatted fields below, never as minor units.
MONEY_FIELDS = (
    "total_amount_minor",
    "provider_payout_minor",
    "platform_fee_minor",
    "tax_payable_minor",
    "line_items",
)


def money_shown(amount_minor: int | None, currency: str) -> str:
    return "—" if amount_minor is None else Money(amount_minor, currency).format()


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
    readonly_fields = [
        *(f.name for f in Transaction._meta.fields if f.name not in MONEY_FIELDS),
        "total",
        "provider_payout",
        "platform_fee",
        "tax_payable",
        "line_items_table",
    ]
    inlines = [EventInline]

    @admin.display(description=_("total the customer pays"))
    def total(self, tx: Transaction) -> str:
        return money_shown(tx.total_amount_minor, tx.currency)

    @admin.display(description=_("provider payout"))
    def provider_payout(self, tx: Transaction) -> str:
        return money_shown(tx.provider_payout_minor, tx.currency)

    @admin.display(description=_("platform fee"))
    def platform_fee(self, tx: Transaction) -> str:
        return money_shown(tx.platform_fee_minor, tx.currency)

    @admin.display(description=_("tax the marketplace remits"))
    def tax_payable(self, tx: Transaction) -> str:
        return money_shown(tx.tax_payable_minor, tx.currency)

    @admin.display(description=_("line items"))
    def line_items_table(self, tx: Transaction) -> str:
        """The price lines as a table: what each is, units, unit price, amount, who pays it."""
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    item.get("label", ""),
                    item.get("units", ""),
                    money_shown(item.get("unit_price"), str(item.get("currency", tx.currency))),
                    money_shown(item.get("amount_minor"), str(item.get("currency", tx.currency))),
                    item.get("paid_by", "customer"),
                )
                for item in tx.line_items
                if isinstance(item, dict)
            ),
        )
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("line"),
            _("units"),
            _("unit price"),
            _("amount"),
            _("paid by"),
        )
        return format_html("<table><thead>{}</thead><tbody>{}</tbody></table>", head, rows)

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
    list_display = ("__str__", "review_window_days", "dispute_window_days", "marketplace_facilitator")


class TaxRateForm(forms.ModelForm[TaxRate]):
    """The region is typed by name ("Ontario") and checked against the country's regions."""

    region = forms.CharField(
        max_length=80, required=False, help_text=TaxRate._meta.get_field("region").help_text
    )

    class Meta:
        model = TaxRate
        fields = (
            "label",
            "country",
            "region",
            "category",
            "percent",
            "inclusive",
            "applies_to_price",
            "applies_to_fees",
            "reverse_charge",
            "active",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rate = self.instance
        if rate.pk and rate.region and not self.is_bound:  # shown by name, as it is typed
            self.initial["region"] = gazetteer.region_name(rate.country, rate.region) or rate.region

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        country = (data.get("country") or "").strip().upper()
        if country and data.get("region"):
            try:
                data["region"] = region_checked(country, data["region"])
            except ValidationError as error:
                self.add_error("region", error.message_dict["region"])
        return data


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin[TaxRate]):
    """Taxes for deals priced from now on; a deal keeps the tax lines it was priced with.

    A deal's place (its listing's country, and region where the gazetteer names one) picks the
    most specific active rate: a region's over its country's, a category's over the default.
    Every save goes through `taxes.tax_rate_save`, which records it in the event log; a rate is
    switched off, never deleted. See docs/taxes.md.
    """

    form = TaxRateForm
    readonly_fields = ("changes",)
    list_display = (
        "label",
        "country",
        "region_shown",
        "category",
        "percent",
        "inclusive",
        "applies_to_price",
        "applies_to_fees",
        "reverse_charge",
        "active",
    )
    list_filter = ("active", "country", "inclusive", "reverse_charge")
    list_select_related = ("category",)

    @admin.display(description=_("region"), ordering="region")
    def region_shown(self, rate: TaxRate) -> str:
        return gazetteer.region_name(rate.country, rate.region) or rate.region or "—"

    @admin.display(description=_("changes"))
    def changes(self, rate: TaxRate) -> str:
        """This rate's events: when, who, what."""
        events = Event.objects.filter(subject_type="tax_rate", subject_id=str(rate.pk)).select_related(
            "actor"
        )
        return (
            format_html_join(
                "",
                "<p>{}: {} ({})</p>",
                (
                    (
                        event.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                        event.get_type_display(),
                        event.actor or "—",
                    )
                    for event in events.order_by("-id")[:50]
                ),
            )
            or "—"
        )

    def save_model(self, request: HttpRequest, obj: TaxRate, form: Any, change: bool) -> None:
        taxes.tax_rate_save(actor=request.user, rate=obj)  # type: ignore[arg-type]  # staff-only page: a User

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switch a rate off instead: deals priced with it keep naming it


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
            '<a href="{0}"><img src="{0}" alt="{1}" width="{2}" class="admin-page-image"></a> ',
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
        "refund",
        "resolved_by",
        "created_at",
        "resolved_at",
    )
    fields = readonly_fields
    inlines = (EvidenceInline,)

    class Media:
        css = ADMIN_CSS

    @admin.display(description=_("refund"))
    def refund(self, dispute: Dispute) -> str:
        return money_shown(dispute.refund_minor, dispute.transaction.currency)

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
