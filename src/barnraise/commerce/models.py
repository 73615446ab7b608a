from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from barnraise import private_files
from barnraise.catalog.models import Calendar, Category, Listing
from barnraise.ids import uuid7
from barnraise.money import known_currencies
from barnraise.places import gazetteer

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise


class CommercePolicy(models.Model):
    """Marketplace policy for deals, edited by operators in the admin. One row."""

    review_window_days = models.PositiveSmallIntegerField(default=14)
    dispute_window_days = models.PositiveSmallIntegerField(default=7)
    marketplace_facilitator = models.BooleanField(
        default=False,
        help_text=_(
            "On: the marketplace collects and remits the tax on providers' prices (it posts to the "
            "tax payable account). Off: that tax is the provider's, paid to them with their price."
        ),
    )

    class Meta:
        verbose_name = verbose_name_plural = _("commerce policy")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class CancellationPolicy(models.Model):
    """A schedule of refund shares by notice given; see barnraise.commerce.cancellation."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    schedule = models.JSONField(help_text=_('[{"hours_before": 120, "refund_percent": 100}, …]'))

    class Meta:
        verbose_name_plural = _("cancellation policies")

    def __str__(self) -> str:
        return self.name


class TaxRate(models.Model):
    """A tax the marketplace applies, edited by operators in the admin; see barnraise.commerce.taxes.

    A deal's jurisdiction is the listing's place (its country and, where the gazetteer knows it,
    its region). The rate of a jurisdiction is the most specific active row: region over country,
    category (or its nearest ancestor) over no category. A row applies to the provider's price,
    to the marketplace's fees, or to both.
    """

    label = models.CharField(max_length=40, help_text=_('What the line says, e.g. "VAT" or "Sales tax".'))
    country = models.CharField(max_length=2, help_text=_('ISO 3166 country code, e.g. "FR".'))
    region = models.CharField(
        max_length=10,
        blank=True,
        help_text=_(
            'Empty: the whole country. Else one of its regions, by name ("Ontario", "California"): '
            "the state, province or first-level region the place search names."
        ),
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: every category. A rate covers the category's subcategories too."),
    )
    percent = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("The rate, e.g. 20 for 20%."),
    )
    inclusive = models.BooleanField(
        default=False,
        help_text=_("On: the amounts already include the tax. Off: the tax is added on top."),
    )
    applies_to_price = models.BooleanField(default=True, help_text=_("Tax the provider's price."))
    applies_to_fees = models.BooleanField(default=True, help_text=_("Tax the marketplace's fees."))
    reverse_charge = models.BooleanField(
        default=False,
        help_text=_(
            "On: a payer who gave a tax number accounts for the tax themselves (reverse charge); "
            "the line shows it and charges nothing."
        ),
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ("country", "region", "label")

    def __str__(self) -> str:
        return f"{self.label} {self.percent.normalize()}% ({self.place})"

    @property
    def jurisdiction(self) -> str:
        """ "FR", "US-VT", "CA-08": as tax lines, deals and the ledger write it."""
        return f"{self.country}-{self.region}" if self.region else self.country

    @property
    def place(self) -> str:
        """ "Ontario, Canada": the jurisdiction in words."""
        return gazetteer.jurisdiction_name(self.jurisdiction)

    def clean(self) -> None:
        self.country = (self.country or "").strip().upper()
        if len(self.country) != 2 or not self.country.isalpha():
            raise ValidationError({"country": _("Give a two-letter country code.")})
        self.region = region_checked(self.country, self.region or "")
        if not (self.applies_to_price or self.applies_to_fees):
            raise ValidationError(_("A rate applies to the price, to the fees, or to both."))
        if self.active:
            twins = TaxRate.objects.filter(
                active=True, country=self.country, region=self.region, category=self.category
            ).exclude(pk=self.pk)
            if twins.exists():
                raise ValidationError(_("An active rate for this place and category exists already."))


def region_checked(country: str, region: str) -> str:
    """The code of `country`'s region given by name or code ("Ontario" or "08" in CA → "08"),
    "" for none; a ValidationError on the region where the country has no such region."""
    region = region.strip()
    if not region:
        return ""
    code = gazetteer.region_code(country, region)
    if code is not None:
        return code
    names = [name for _code, name in gazetteer.regions(country)]
    if not names:
        message = _("The place search names no regions in %(country)s: leave the region empty.")
    elif len(names) > 12:
        message = _("%(country)s has no region called “%(region)s”. Give its name, e.g. %(names)s.")
    else:
        message = _("%(country)s has no region called “%(region)s”. Choose one of: %(names)s.")
    shown = ", ".join(names[:12]) + ("…" if len(names) > 12 else "")
    params = {"country": gazetteer.country_name(country), "region": region, "names": shown}
    raise ValidationError({"region": message % params})


def percent_field(help_text: "str | _StrPromise") -> "models.DecimalField[Decimal, Decimal]":
    return models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=help_text,
    )


class FeeRule(models.Model):
    """What the marketplace charges on a deal, edited by operators in the admin.

    A listing's rule is the active one of its category or of the nearest ancestor, else the
    default (no category). The percentages hold in every currency; fixed amounts, minimums and
    maximums are set per currency in FeeAmount. See barnraise.commerce.pricing.
    """

    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: the marketplace default. A rule covers the category's subcategories too."),
    )
    customer_fee_percent = percent_field(_("The service fee the customer pays, as % of the price."))
    provider_commission_percent = percent_field(_("The commission the provider pays, as % of the price."))
    active = models.BooleanField(default=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["category"], condition=models.Q(active=True), name="feerule_one_per_category"
            ),
            models.UniqueConstraint(
                fields=["active"],
                condition=models.Q(active=True, category__isnull=True),
                name="feerule_one_default",
            ),
            models.CheckConstraint(
                condition=models.Q(customer_fee_percent__gte=0, customer_fee_percent__lte=100)
                & models.Q(provider_commission_percent__gte=0, provider_commission_percent__lte=100),
                name="feerule_percent_range",
            ),
        ]

    def __str__(self) -> str:
        where = self.category.name if self.category else _("Marketplace default")
        return f"{where}: {self.customer_fee_percent}% + {self.provider_commission_percent}%"


class FeeAmount(models.Model):
    """A rule's fixed fee, minimum and maximum in one currency, in its minor units."""

    rule = models.ForeignKey(FeeRule, on_delete=models.CASCADE, related_name="amounts")
    currency = models.CharField(max_length=3)
    customer_fixed_minor = models.BigIntegerField(default=0)
    customer_min_minor = models.BigIntegerField(default=0)
    customer_max_minor = models.BigIntegerField(null=True, blank=True, help_text=_("Empty: no maximum."))

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["rule", "currency"], name="feeamount_rule_currency"),
            models.CheckConstraint(
                condition=models.Q(customer_fixed_minor__gte=0, customer_min_minor__gte=0)
                & (
                    models.Q(customer_max_minor__isnull=True)
                    | models.Q(customer_max_minor__gte=models.F("customer_min_minor"))
                ),
                name="feeamount_min_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} ({self.currency})"

    def clean(self) -> None:
        self.currency = self.currency.upper()
        if self.currency not in known_currencies():
            raise ValidationError({"currency": _("Not an ISO 4217 currency code.")})


# The states of a request's offer that the provider may still change or withdraw.
OPEN_OFFER_STATES = ("offered", "countered")


class Transaction(models.Model):
    """One deal: a customer, a provider and a listing, moving through a versioned process.

    The state changes only through barnraise.commerce.engine.transition().
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    process = models.CharField(max_length=40)
    process_version = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=40)
    # No single-column indexes: the composite ones below lead with each of these keys (one index
    # fewer to write per deal, each).
    listing = models.ForeignKey(
        Listing, on_delete=models.PROTECT, related_name="transactions", db_index=False
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="purchases", db_index=False
    )
    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales", db_index=False
    )
    quantity = models.PositiveIntegerField(default=1)
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    seats = models.PositiveSmallIntegerField(default=1)
    # Priced when computed and never recomputed for history.
    line_items = models.JSONField(default=list)
    total_amount_minor = models.BigIntegerField(default=0, help_text=_("What the customer pays."))
    provider_payout_minor = models.BigIntegerField(default=0, help_text=_("The price less commission."))
    platform_fee_minor = models.BigIntegerField(
        default=0, help_text=_("Service fee plus commission, less the tax on them.")
    )
    tax_payable_minor = models.BigIntegerField(
        default=0, help_text=_("The tax the marketplace collects and remits on this deal.")
    )
    tax_jurisdiction = models.CharField(
        max_length=13, blank=True, help_text=_('Where the deal is taxed: "FR", "US-CA"; empty: untaxed.')
    )
    currency = models.CharField(max_length=3)
    cancellation_policy = models.JSONField(default=dict, blank=True)
    contact_revealed_at = models.DateTimeField(null=True, blank=True)
    reviews_open_until = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    entered_state_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["customer", "-id"]),
            models.Index(fields=["provider", "-id"]),
            models.Index(fields=["listing", "state"]),
        ]
        constraints: ClassVar = [
            # A key is the opener's: the customer's for a booking or purchase, the provider's
            # for an offer on a request. Both parties name it, so two providers' offers on one
            # request may carry the same key (each client picks its own).
            models.UniqueConstraint(
                fields=["customer", "provider", "idempotency_key"],
                name="tx_parties_idempotency_key",
                condition=models.Q(idempotency_key__isnull=False),
            ),
            # A provider has at most one open offer on a request (offer_create answers 409).
            models.UniqueConstraint(
                fields=["listing", "provider"],
                name="tx_one_open_offer",
                condition=models.Q(process="request", state__in=OPEN_OFFER_STATES),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.process} {self.id} ({self.state})"


class TransactionEvent(models.Model):
    """An immutable record of one transition. `sequence` is global and gap-free, given after
    commit by the sequencer, so readers following `?after=N` never miss a late commit."""

    id = models.BigAutoField(primary_key=True)
    # Indexed by (transaction, id) below.
    transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    sequence = models.BigIntegerField(null=True, blank=True, unique=True)
    name = models.CharField(max_length=40)
    actor_role = models.CharField(max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_state = models.CharField(max_length=40)
    to_state = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["transaction", "id"]),
            models.Index(fields=["id"], condition=models.Q(sequence=None), name="event_unsequenced_idx"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["transaction", "idempotency_key"],
                name="event_tx_idempotency_key",
                condition=models.Q(idempotency_key__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.from_state} → {self.to_state}"


class Booking(models.Model):
    """Seats held on a calendar for [start, end); `blocked_until` adds the listing's buffer."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        CANCELLED = "cancelled", _("cancelled")

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # Indexed by (calendar, start) below.
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="bookings", db_index=False)
    transaction = models.OneToOneField(Transaction, on_delete=models.PROTECT, related_name="booking")
    start = models.DateTimeField()
    end = models.DateTimeField()
    blocked_until = models.DateTimeField()
    seats = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["calendar", "start"])]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M} × {self.seats} ({self.status})"


class StockReservation(models.Model):
    class Status(models.TextChoices):
        HELD = "held", _("held")
        RELEASED = "released", _("released")

    transaction = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, related_name="stock_reservation"
    )
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)

    def __str__(self) -> str:
        return f"{self.quantity} of {self.listing_id} ({self.status})"


def _private_storage() -> Any:
    """Dispute evidence is read only through the authorized views (barnraise.private_files)."""
    return private_files.private_storage()


class Dispute(models.Model):
    """A dispute on a deal: opened by a party (or a chargeback), resolved by an operator.

    Written by the actions of the dispute transitions (barnraise.commerce.disputes), so it
    exists exactly when the deal is, or was, `disputed`.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="disputes")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_as = models.CharField(max_length=10, help_text=_("customer, provider, or system (a chargeback)."))
    reason = models.TextField(max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.TextField(max_length=2000, blank=True)
    refund_minor = models.BigIntegerField(null=True, blank=True, help_text=_("What the operator refunded."))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"dispute on {self.transaction_id} ({self.status})"


class DisputeEvidence(models.Model):
    """What a party or an operator adds to a dispute: a note, a photo or a PDF (private)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="evidence")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=5000, blank=True)
    file = models.FileField(storage=_private_storage, upload_to="disputes/%Y/%m/", blank=True)
    content_type = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name_plural = _("dispute evidence")

    def __str__(self) -> str:
        return f"evidence {self.id} on {self.dispute_id}"


class EvidencePage(models.Model):
    """A page of a PDF given as evidence, rendered to a JPEG by the worker (barnraise.pdfs):
    what the other party and operators look at; the PDF is only downloaded on request."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    evidence = models.ForeignKey(DisputeEvidence, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveSmallIntegerField(help_text=_("From 1."))
    image = models.FileField(storage=_private_storage, upload_to="disputes/pages/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["evidence", "number"], name="evidence_page_unique")
        ]

    def __str__(self) -> str:
        return f"page {self.number} of {self.evidence_id}"


class DealEmailText(models.Model):
    """An operator's wording for the email one step of a process sends to one party in one
    language, in place of the default (`barnraise.commerce.emails`). Empty fields keep the
    default. Saved only through `emails.email_text_save`, which checks the placeholders and
    writes an event."""

    process = models.CharField(max_length=40)
    transition = models.CharField(max_length=40)
    audience = models.CharField(max_length=10, help_text=_("customer or provider: who reads it."))
    language = models.CharField(
        max_length=15, help_text=_("A code of settings.LANGUAGES: who reads it in it.")
    )
    subject = models.CharField(max_length=200, blank=True)
    text = models.TextField(max_length=5000, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["process", "transition", "audience", "language"],
                name="deal_email_text_once_a_language",
            )
        ]

    def __str__(self) -> str:
        return f"{self.process}.{self.transition} → {self.audience} ({self.language})"
