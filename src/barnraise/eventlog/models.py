"""The one sequenced event log: what changed, on which object, by whom.

Every door that changes an object (a listing's status, a payout, a deal's transition) writes
its event in the same database transaction as the change. Events are written unnumbered; the
sequencer numbers them after commit, in one gap-free sequence shared by every source of the
log (this table, and the deals' own `commerce.TransactionEvent`). See docs/architecture.md.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    """`source:subject:action`. Never renamed, never reused: integrations key on them.
    (A deal's events are `commerce:deal:<transition>`, named by its process.)"""

    LISTING_CREATED = "catalog:listing:created", _("listing created")
    LISTING_PUBLISHED = "catalog:listing:published", _("listing published")
    LISTING_SUBMITTED = "catalog:listing:submitted", _("listing sent for approval")
    LISTING_UNPUBLISHED = "catalog:listing:unpublished", _("listing taken back to draft")
    LISTING_CLOSED = "catalog:listing:closed", _("listing closed")
    PAYOUT_REQUESTED = "ledger:payout:requested", _("payout requested")
    PAYOUT_PAID = "ledger:payout:paid", _("payout paid")
    PAYOUT_FAILED = "ledger:payout:failed", _("payout failed")
    PAYOUT_ACCOUNT_OPENED = "ledger:payout_account:opened", _("payout account opened")
    PAYOUT_ACCOUNT_UPDATED = "ledger:payout_account:updated", _("payout account updated by the provider")
    PAYOUT_SCHEDULE_CHOSEN = "ledger:payout_account:schedule_chosen", _("payout schedule chosen")
    PAYOUT_HOLD_PLACED = "ledger:payout_hold:placed", _("payouts held")
    PAYOUT_HOLD_RELEASED = "ledger:payout_hold:released", _("payout hold released")
    PAYMENT_CUSTOMER_CREATED = (
        "ledger:payment_customer:created",
        _("customer created at the payment provider"),
    )
    SAVED_CARD_REMOVED = "ledger:saved_card:removed", _("saved card removed")
    PAYMENT_REFUNDED = "ledger:payment:refunded", _("refund given by an operator")
    DOCUMENT_ISSUED = "ledger:document:issued", _("receipt or invoice issued")
    REVIEW_HIDDEN = "reputation:review:hidden", _("review hidden")
    LISTING_APPROVAL_SWITCHED = "catalog:policy:approval_switched", _("listing approval switched")
    DOCUMENT_APPROVED = "accounts:document:approved", _("document approved")
    DOCUMENT_REJECTED = "accounts:document:rejected", _("document rejected")
    CASE_TAKEN = "casework:case:taken", _("taken by an operator")
    CASE_RELEASED = "casework:case:released", _("given back to the queue")
    DEAL_EMAIL_TEXT_SAVED = "commerce:deal_email:saved", _("a deal email's wording saved")
    PAYMENT_CAPTURED = "ledger:payment:captured", _("payment taken")
    PAYMENT_HOLD_RELEASED = "ledger:payment:hold_released", _("hold on the card released")
    PAYMENT_RETURNED = "ledger:payment:returned", _("refund given by the deal's terms")
    PAYMENT_EARNED = "ledger:payment:earned", _("provider's share credited")
    TAX_RATE_CREATED = "commerce:tax_rate:created", _("tax rate added")
    TAX_RATE_CHANGED = "commerce:tax_rate:changed", _("tax rate changed")
    TAX_RATE_DEACTIVATED = "commerce:tax_rate:deactivated", _("tax rate switched off")


class Event(models.Model):
    """One change of one object. Immutable once written; `sequence` is given after commit."""

    id = models.BigAutoField(primary_key=True)
    sequence = models.BigIntegerField(null=True, blank=True, unique=True)
    type = models.CharField(max_length=64, choices=EventType.choices)
    subject_type = models.CharField(max_length=32, help_text=_("listing, payout, payout_hold…"))
    subject_id = models.CharField(max_length=64, help_text=_("The object's public id, as text."))
    # Whom the object concerns (a listing's author, a payout's payee): they see the event.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who made the change; none when the system did. Ids only: no personal data in the log.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["subject_type", "subject_id", "id"], name="eventlog_subject_idx"),
            models.Index(fields=["member", "sequence"], name="eventlog_member_idx"),
            models.Index(fields=["id"], condition=models.Q(sequence=None), name="eventlog_unsequenced_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.subject_type}:{self.subject_id}"


class EventConsumer(models.Model):
    """A reader of the event log after commit, with its own position (at-least-once)."""

    name = models.CharField(max_length=80, primary_key=True)
    position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} @ {self.position}"
