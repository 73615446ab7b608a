"""A refund an operator gives outside a dispute: any amount of a settled deal, with a reason both
parties are told. Money needs `finance`.

The arithmetic is the claw-back's (docs/money.md, "Refunds keep the shares of the price"): the
provider gives back their share of the refund (from pending, then available, then as a
receivable), the platform its fees. A deal whose money is still in escrow is refunded by
cancelling it (its policy decides) and a disputed one by resolving the dispute; both refuse here.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts import operators
from barnraise.accounts.models import User
from barnraise.errors import Conflict, InvalidInput, NotFound
from barnraise.eventlog.models import EventType
from barnraise.eventlog.services import Subject, record
from barnraise.ids import uuid7
from barnraise.ledger import deals
from barnraise.ledger.escrow.settlement import claw_back
from barnraise.ledger.models import Payment, PaymentStatus
from barnraise.money import Money
from barnraise.notifications.services import notification_send

REASON_MAX = 2000


def refundable_minor(payment: Payment) -> int:
    """What an operator may still give back of this payment outside a dispute."""
    if payment.status != PaymentStatus.RELEASED or payment.frozen:
        return 0
    return payment.amount_minor - payment.refunded_minor


def _checked_reason(reason: str) -> str:
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput(
            details={"reason": [_("Tell the customer why, in 1 to %d characters.") % REASON_MAX]}
        )
    return reason


def refund_issue(*, actor: User, deal_id: Any, amount: Money, reason: str) -> Payment:
    """A finance operator refunds `amount` of a settled deal to its customer."""
    operators.require_operator(actor, operators.FINANCE)
    reason = _checked_reason(reason)
    deal = deals.deal_visible(actor=actor, deal_id=deal_id)
    reference = deals.reference_of(deal)
    with transaction.atomic(durable=True):
        payment = Payment.objects.select_for_update().filter(reference=reference).first()
        if payment is None:
            raise NotFound(_("This deal took no payment."))
        if payment.frozen:
            raise Conflict(_("This deal is disputed: resolve the dispute to refund it."))
        if payment.status != PaymentStatus.RELEASED:
            raise Conflict(
                _("Only a completed deal's payment can be refunded here; cancel the deal instead.")
            )
        left = refundable_minor(payment)
        if amount.currency != payment.currency or not 0 < amount.amount_minor <= left:
            raise InvalidInput(
                details={
                    "amount": [
                        _("Give an amount in %(currency)s, more than nothing and at most %(left)s.")
                        % {"currency": payment.currency, "left": Money(left, payment.currency).format()}
                    ]
                }
            )
        key = f"{payment.reference}:operator-refund:{uuid7()}"
        claw_back(payment, refund_minor=amount.amount_minor, now=timezone.now(), key=key)
        record(
            Subject("payment", str(payment.pk), member_id=payment.payer_id),
            EventType.PAYMENT_REFUNDED,
            actor=actor,
            payload={"deal": str(deal.pk), "amount_minor": amount.amount_minor, "currency": amount.currency},
        )
        for recipient, role in ((payment.payer, "customer"), (payment.payee, "provider")):
            notification_send(
                recipient=recipient,
                kind="operator_refund",
                context={"amount": amount.format(), "reason": reason, "role": role},
                url=f"/transactions/{deal.pk}/",
            )
    return payment
