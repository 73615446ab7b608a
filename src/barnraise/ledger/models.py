"""The double-entry ledger: accounts, journal entries and their postings, balance snapshots.

Sign convention: `Posting.amount_minor` is positive for a debit and negative for a credit, so
the postings of every entry sum to zero per currency. An account's balance is reported on its
normal side (see `AccountKind.credit_normal`): what the platform owes or has earned is
credit-normal and reads positive when the postings sum below zero.

Rows hold ids, amounts and codes only, never personal data: a member is an `owner` id.
The database refuses unbalanced entries and any change to a posting or a posted entry
(triggers in migration 0002); see docs/money.md.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from barnraise.ids import uuid7


class AccountKind(models.TextChoices):
    """The chart of accounts, one list for the whole code base. Values are never renamed."""

    EXTERNAL_FUNDING = "external_funding", _("external funding")
    ESCROW = "escrow", _("escrow")
    MEMBER_PENDING = "member_pending", _("member pending")
    MEMBER_AVAILABLE = "member_available", _("member available")
    PROVIDER_RECEIVABLE = "provider_receivable", _("provider receivable")
    PLATFORM_REVENUE = "platform_revenue", _("platform revenue")
    PROCESSOR_FEES = "processor_fees", _("processor fees")
    CHARGEBACKS = "chargebacks", _("chargebacks")
    EXTERNAL_PAYOUTS = "external_payouts", _("external payouts")
    REFUNDS = "refunds", _("refunds")
    TAX_PAYABLE = "tax_payable", _("tax payable")

    @classmethod
    def credit_normal(cls) -> frozenset[str]:
        """Kinds whose balance is the negated sum of their postings (owed, earned or paid out)."""
        return frozenset(
            {
                cls.ESCROW,
                cls.MEMBER_PENDING,
                cls.MEMBER_AVAILABLE,
                cls.PLATFORM_REVENUE,
                cls.EXTERNAL_PAYOUTS,
                cls.REFUNDS,
                cls.TAX_PAYABLE,
            }
        )

    @classmethod
    def member_owned(cls) -> frozenset[str]:
        return frozenset({cls.MEMBER_PENDING, cls.MEMBER_AVAILABLE, cls.PROVIDER_RECEIVABLE})


class EntryKind(models.TextChoices):
    CAPTURE = "capture", _("capture")
    RELEASE = "release", _("release")
    FEE = "fee", _("fee")
    SETTLE = "settle", _("pending to available")
    REFUND = "refund", _("refund")
    CHARGEBACK = "chargeback", _("chargeback")
    PAYOUT = "payout", _("payout")
    TRANSFER = "transfer", _("transfer")
    CORRECTION = "correction", _("correction")


class EntryStatus(models.TextChoices):
    OPEN = "open", _("open")  # only while its postings are being written, inside one transaction
    POSTED = "posted", _("posted")


class Account(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    reference = models.CharField(max_length=80, blank=True, help_text=_('e.g. "transaction:<uuid>"'))
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints: ClassVar = [
            # Two partial constraints, because NULL owners are distinct in a plain one.
            models.UniqueConstraint(
                fields=["kind", "owner", "reference", "currency"],
                name="ledger_account_unique_owned",
                condition=models.Q(owner__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["kind", "reference", "currency"],
                name="ledger_account_unique_unowned",
                condition=models.Q(owner__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        who = f" owner={self.owner_id}" if self.owner_id else ""
        ref = f" {self.reference}" if self.reference else ""
        return f"{self.kind}{who}{ref} {self.currency}"


class JournalEntry(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    kind = models.CharField(max_length=32, choices=EntryKind.choices)
    status = models.CharField(max_length=8, choices=EntryStatus.choices, default=EntryStatus.OPEN)
    reference = models.CharField(max_length=80, blank=True)
    memo = models.CharField(max_length=200, blank=True, help_text=_("Ids and codes only."))
    idempotency_key = models.CharField(max_length=255, unique=True)
    # sha256 of the entry's content, to tell a replay from a reused key.
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name_plural = _("journal entries")
        indexes: ClassVar = [models.Index(fields=["reference"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} ({self.id})"


class Posting(models.Model):
    """One line of an entry: debit positive, credit negative, in the account's currency."""

    id = models.BigAutoField(primary_key=True)
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount_minor = models.BigIntegerField(help_text=_("Debit positive, credit negative."))
    currency = models.CharField(max_length=3)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["account", "id"])]
        constraints: ClassVar = [
            models.CheckConstraint(condition=~models.Q(amount_minor=0), name="ledger_posting_nonzero")
        ]

    def __str__(self) -> str:
        return f"{self.amount_minor:+d} {self.currency} on {self.account_id}"


class BalanceSnapshot(models.Model):
    """An account's raw balance (sum of its postings) over postings with id <= up_to_posting_id.

    Written by `balances_snapshot()`; every snapshot of one run has the run's watermark as its
    `up_to_posting_id`. Append-only; `ledger_verify()` checks each one against the postings.
    """

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="snapshots")
    currency = models.CharField(max_length=3)
    up_to_posting_id = models.BigIntegerField()
    balance_minor = models.BigIntegerField(help_text=_("Sum of postings: debit positive."))
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["account", "up_to_posting_id"], name="ledger_snapshot_once")
        ]
        indexes: ClassVar = [models.Index(fields=["up_to_posting_id"])]

    def __str__(self) -> str:
        return f"{self.account_id} @{self.up_to_posting_id}: {self.balance_minor}"


class SnapshotTotal(models.Model):
    """Per snapshot run, currency and account kind: the sum of the raw balances of every account
    of that kind at the run's watermark (`up_to_posting_id`).

    Written by `balances_snapshot()` in the same transaction as the run's account snapshots, so
    the trial balance reads a few of these rows plus the postings since, however many accounts
    there are. Append-only; `ledger_verify()` checks the latest run against the snapshots.
    """

    id = models.BigAutoField(primary_key=True)
    up_to_posting_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    balance_minor = models.BigIntegerField(help_text=_("Sum of postings: debit positive."))
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["up_to_posting_id", "currency", "kind"], name="ledger_snapshot_total_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.currency} @{self.up_to_posting_id}: {self.balance_minor}"


class ProviderOperation(models.TextChoices):
    AUTHORIZE = "authorize", _("authorize")
    # an off-session authorization on a saved card (a deal booked beyond the hold's window)
    AUTHORIZE_SAVED = "authorize_saved", _("authorize a saved card")
    CAPTURE = "capture", _("capture")
    VOID = "void", _("void")
    REFUND = "refund", _("refund")
    PAYOUT = "payout", _("payout")


class ProviderCallStatus(models.TextChoices):
    PENDING = "pending", _("pending")  # not answered yet; the worker (and the sweeper) make it
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")  # a decline, a failed capture or payout, or a refused request


class ProviderCall(models.Model):
    """The outbox of payment-provider calls (see `barnraise.ledger.payments`).

    An action writes the row in its transaction; the worker makes the call after commit,
    outside any lock, with the row's idempotency key, so a retry never charges twice. The
    payload holds ids and amounts only: a card number is kept as its last four digits.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    operation = models.CharField(max_length=16, choices=ProviderOperation.choices)
    reference = models.CharField(max_length=80, help_text=_('e.g. "transaction:<uuid>"'))
    payload = models.JSONField(default=dict)
    idempotency_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(
        max_length=16, choices=ProviderCallStatus.choices, default=ProviderCallStatus.PENDING
    )
    result = models.JSONField(default=dict, blank=True)
    # The provider's id of what the call made (an authorization's), to find the call by it.
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the registered result handlers ran; finished calls without it are reported again.
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["reference"]),
            models.Index(fields=["status", "updated_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.reference} {self.status} ({self.id})"


class SandboxRecord(models.Model):
    """The sandbox provider's own books: one row per answered request, append-only.

    `response` is what the sandbox answered (replayed for the same idempotency key);
    `fingerprint` is a keyed hash of the request, so a card number is never stored.
    """

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=24)
    external_id = models.CharField(max_length=64, blank=True, db_index=True)
    parent_id = models.CharField(max_length=64, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    fingerprint = models.CharField(max_length=64)
    amount_minor = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    scenario = models.CharField(max_length=24, blank=True)
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id or self.idempotency_key}"


class PaymentStatus(models.TextChoices):
    # a saved card, to be authorized off-session nearer the deal's start (nothing is held yet)
    SCHEDULED = "scheduled", _("scheduled")
    AUTHORIZED = "authorized", _("authorized")
    CAPTURE_PENDING = "capture_pending", _("capture pending")
    CAPTURED = "captured", _("captured")
    CAPTURE_FAILED = "capture_failed", _("capture failed")
    VOIDED = "voided", _("voided")
    RELEASED = "released", _("released")  # out of escrow: the deal is settled, maybe after refunds
    REFUNDED = "refunded", _("refunded")  # all of it went back to the customer


class Payment(models.Model):
    """A deal's card payment, from authorization to settlement (see barnraise.ledger.escrow).

    One per transaction (`reference` = "transaction:<uuid>"). The amounts are copied from the
    deal when it was priced: `amount_minor` is what the customer pays, `provider_share_minor`
    what the provider earns before any refund, `tax_minor` the tax the marketplace remits (to
    the `tax_payable` account of `tax_jurisdiction`); the rest is the platform's fees.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    reference = models.CharField(max_length=80, unique=True)
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    payee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    provider_share_minor = models.BigIntegerField()
    tax_minor = models.BigIntegerField(default=0)
    tax_jurisdiction = models.CharField(max_length=13, blank=True)
    payment_method = models.CharField(max_length=64, help_text=_("Masked: a card's last four digits."))
    authorization_id = models.CharField(max_length=120)
    capture_id = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.AUTHORIZED)
    refunded_minor = models.BigIntegerField(default=0)
    chargeback_minor = models.BigIntegerField(default=0)
    # The provider's share credited to pending and not yet settled to available.
    pending_minor = models.BigIntegerField(default=0)
    # Set while a dispute is open: the provider's pending share does not settle.
    frozen = models.BooleanField(default=False)
    settled = models.BooleanField(default=False, help_text=_("The provider's share became available."))
    # How many of its holds lapsed at the bank uncaptured (escrow.lapse): a saved card is held
    # again after the first only.
    lapses = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"{self.reference} {self.amount_minor} {self.currency} ({self.status})"


class PayoutSchedule(models.TextChoices):
    """When a member's available balance is paid out; the operator offers some of them
    (settings.PAYOUT_SCHEDULES) and the member picks one."""

    WEEKLY = "weekly", _("every Monday")
    MONTHLY = "monthly", _("on the first of each month")
    ON_REQUEST = "on_request", _("only when I ask")


class PayoutAccount(models.Model):
    """Where a member is paid out, at the payment provider; payouts need it `ready`.

    The provider's word on it (what it still needs, whether it may be paid out) is copied here
    by `payouts.payout_account_sync`, from the return page or an `account.updated` webhook."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_account"
    )
    provider = models.CharField(max_length=20)
    external_id = models.CharField(max_length=120, unique=True)
    ready = models.BooleanField(default=False)
    onboarding_url = models.CharField(max_length=500, blank=True)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    currently_due = models.JSONField(
        default=list, blank=True, help_text=_("The provider's requirement names.")
    )
    past_due = models.JSONField(default=list, blank=True, help_text=_("Requirements now overdue."))
    disabled_reason = models.CharField(max_length=80, blank=True)
    schedule = models.CharField(
        max_length=16,
        choices=PayoutSchedule.choices,
        blank=True,
        help_text=_("The member's choice; blank: the operator's default."),
    )
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"{self.provider} {self.external_id} ({'ready' if self.ready else 'onboarding'})"


class PaymentCustomer(models.Model):
    """A member as a customer at the payment provider: where their saved cards are kept."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payment_customers"
    )
    provider = models.CharField(max_length=20)
    external_id = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "provider"], name="ledger_one_customer_per_provider"),
            models.UniqueConstraint(fields=["provider", "external_id"], name="ledger_customer_external_id"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.external_id}"


class Payout(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        PAID = "paid", _("paid")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    account = models.ForeignKey(PayoutAccount, on_delete=models.PROTECT, related_name="payouts")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    scheduled = models.BooleanField(default=False, help_text=_("Made by the payout schedule."))
    failure_code = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["owner", "-created_at"])]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="ledger_payout_positive")
        ]

    def __str__(self) -> str:
        return f"payout {self.amount_minor} {self.currency} ({self.status})"


class PayoutItem(models.Model):
    """The part of a payout that pays out one credit to the member's available balance: a
    deal's share (`reference` "transaction:<uuid>") or any other credit, by its journal entry's
    reference. Written with the payout by `ledger.payouts.payout_allocate`, oldest credit first;
    a payout's items sum to its amount. A failed payout's items stay as its history but no longer
    count: the money is back in the balance and a later payout allocates it again."""

    id = models.BigAutoField(primary_key=True)
    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="items")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(
        max_length=80, help_text=_('The credit\'s entry reference: "transaction:<uuid>".')
    )
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["reference"]),
            models.Index(fields=["owner", "currency"]),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="ledger_payout_item_positive"
            ),
            models.UniqueConstraint(fields=["payout", "reference"], name="ledger_payout_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.amount_minor} {self.currency} of {self.payout_id} for {self.reference}"


class PayoutHold(models.Model):
    """An operator's hold on a member's payouts; in force until released."""

    id = models.BigAutoField(primary_key=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_holds")
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"hold on {self.owner_id} ({'released' if self.released_at else 'in force'})"


class ProviderWebhookEvent(models.Model):
    """An inbound payment-provider webhook: stored first (after its signature is verified),
    then processed once; a redelivery of the same event id is recognised and not processed again."""

    id = models.BigAutoField(primary_key=True)
    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=120)
    type = models.CharField(max_length=80)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=now)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="ledger_webhook_once")
        ]
        indexes: ClassVar = [models.Index(fields=["processed_at", "received_at"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"


class PaperworkPolicy(models.Model):
    """The marketplace's paperwork, edited by operators in the admin. One row.

    The marketplace issues the receipts and its fee invoices in one series; with
    `providers_issue_invoices` each provider also issues the customer an invoice for their part
    of a deal, numbered in a series of their own (docs/paperwork.md).
    """

    issuer_name = models.CharField(max_length=200, default="Barnraise", help_text=_("On every document."))
    issuer_tax_number = models.CharField(max_length=40, blank=True)
    issuer_address = models.CharField(max_length=300, blank=True)
    number_prefix = models.CharField(
        max_length=8, default="BR", help_text=_("Before the year in the marketplace's numbers.")
    )
    providers_issue_invoices = models.BooleanField(
        default=False,
        help_text=_("Providers invoice their customers themselves, in a series of their own."),
    )

    class Meta:
        verbose_name = verbose_name_plural = _("paperwork policy")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class DocumentKind(models.TextChoices):
    RECEIPT = "receipt", _("receipt")
    REFUND_RECEIPT = "refund_receipt", _("refund receipt")
    FEE_INVOICE = "fee_invoice", _("fee invoice")
    PROVIDER_INVOICE = "provider_invoice", _("invoice")
    CREDIT_NOTE = "credit_note", _("credit note")
    PROVIDER_CREDIT_NOTE = "provider_credit_note", _("credit note")


class DocumentCounter(models.Model):
    """The last number given in a series and year: locked and bumped in the transaction of the
    document it numbers, so a rollback gives the number back and the series has no gaps."""

    id = models.BigAutoField(primary_key=True)
    series = models.CharField(max_length=64)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["series", "year"], name="ledger_document_counter_once")
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.year}: {self.last}"


class Document(models.Model):
    """A receipt, an invoice or a credit note, issued with the money movement it documents and
    never changed. A credit note names the invoice it credits (`invoice`).

    Unlike the ledger's other rows it keeps the parties' names and tax numbers as they were at
    issue (`parties`): a legal document must show them, and must not change afterwards.
    `lines` are the deal's line items it covers, each `{label, units, unit_price_minor,
    amount_minor, kind}`.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    series = models.CharField(max_length=64)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=40)
    issued_at = models.DateTimeField(default=now)
    reference = models.CharField(max_length=80, help_text=_('The deal: "transaction:<uuid>".'))
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="documents")
    # Who issued it (none: the marketplace) and to whom; both may read it.
    issuer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
        help_text=_("The invoice a credit note credits."),
    )
    parties = models.JSONField(default=dict)
    title = models.CharField(max_length=300, blank=True)
    currency = models.CharField(max_length=3)
    lines = models.JSONField(default=list)
    taxes_minor = models.BigIntegerField(default=0)
    total_minor = models.BigIntegerField()
    idempotency_key = models.CharField(max_length=255, unique=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["series", "year", "sequence"], name="ledger_document_number_once")
        ]
        indexes: ClassVar = [
            models.Index(fields=["recipient", "-issued_at"]),
            models.Index(fields=["issuer", "-issued_at"]),
            models.Index(fields=["reference"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"
