"""Deals that start beyond the authorization window: a saved card, authorized nearer the date.

A card authorization holds for the provider's window (`authorization_window()`: Stripe's 7
days). A booking that starts further out and is paid with one of the customer's saved cards
holds nothing when it opens (booking v3's `request_ahead` and `book_ahead`):

    scheduled ──timer at payment_due──▶ (off-session authorization, after commit)
        ├── held ──▶ `payment_authorized`: recorded, capture asked (as an accepted booking's)
        └── the bank wants the customer, or a decline ──▶ `payment_needs_customer`: the
            customer confirms on-session (`confirm_payment`) before a deadline, else the
            booking is cancelled (`payment_not_confirmed`)

`payment_due` is the start less `authorization_lead()`: the window less a margin, so the hold
is made while the customer can still be asked. The provider's acceptance of such a request
(`accept_ahead`) commits them only once the money is held: the deal shows the contact
details at `payment_captured`, as every paid booking does.
"""

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.errors import Conflict, InvalidInput
from barnraise.ledger import deals, payments
from barnraise.ledger.escrow.answers import report
from barnraise.ledger.escrow.settlement import money, payment_of, payment_save
from barnraise.ledger.models import (
    Payment,
    PaymentCustomer,
    PaymentStatus,
    ProviderCall,
    ProviderCallStatus,
    ProviderOperation,
)
from barnraise.ledger.providers import Authorization, AuthorizationStatus, provider
from barnraise.money import Money

MARGIN = timedelta(days=1)
# What a saved card's id looks like at each provider (Stripe's PaymentMethod, the sandbox's).
SAVED_CARD_PREFIXES = ("pm_", "sbx_pm_")


def authorization_lead() -> timedelta:
    """How long before the start a deferred payment is authorized: the provider's window less
    a day's margin (half the window when it is two days or less, as in tests)."""
    window = provider().authorization_window()
    return max(window - MARGIN, window / 2)


def charge_date(*, start: datetime | None, amount_minor: int) -> datetime | None:
    """When a booking starting at `start` is charged if it is paid with a saved card: the start
    less the lead, for a paid booking that starts beyond the lead; else None (held at once).
    The deal pages say it before the customer pays and while the deal waits."""
    if amount_minor <= 0 or start is None:
        return None
    lead = authorization_lead()
    return start - lead if start - timezone.now() > lead else None


def customer_of(payer_id: Any) -> PaymentCustomer | None:
    return PaymentCustomer.objects.filter(member_id=payer_id, provider=provider().name).first()


def defer(
    *, amount: Money, payment_method: Any, payer_id: Any, start: datetime | None
) -> dict[str, Any] | None:
    """The payment hook for a step with an `ahead` alternative: the notes of a saved card to
    authorize nearer the date, when the deal starts beyond the lead and `payment_method` is one
    of the payer's saved cards; else None (the step authorizes now, as before). Outside any
    transaction: it asks the provider for the payer's cards."""
    if charge_date(start=start, amount_minor=amount.amount_minor) is None:
        return None
    if not isinstance(payment_method, str) or not payment_method.strip().startswith(SAVED_CARD_PREFIXES):
        return None
    method_id = payment_method.strip()
    customer = customer_of(payer_id)
    if customer is None:
        return None
    cards = provider().saved_methods(customer_id=customer.external_id)
    card = next((c for c in cards if c.id == method_id), None)
    if card is None:
        return None
    return {"saved_card": {"method_id": card.id, "label": f"{card.brand} …{card.last4}"}}


# --- Guards -------------------------------------------------------------------------------------


def guard_payment_scheduled(ctx: deals.Step) -> None:
    """The deal's card is saved for later (a request beyond the window): `accept_ahead`."""
    payment = payment_of(ctx.tx)
    if payment is None or payment.status != PaymentStatus.SCHEDULED:
        raise Conflict(_("The payment for this deal is held already."))


def guard_payment_not_scheduled(ctx: deals.Step) -> None:
    """The deal's money is held now (or it costs nothing): `accept`."""
    payment = payment_of(ctx.tx)
    if payment is not None and payment.status == PaymentStatus.SCHEDULED:
        raise Conflict(_("This booking is paid nearer the date: accept it with accept_ahead."))


# --- Actions ------------------------------------------------------------------------------------


def schedule_payment(ctx: deals.Step) -> None:
    """Record the saved card the deal is paid with nearer the date (nothing is held yet)."""
    tx = ctx.tx
    if ctx.dry_run or tx.total_amount_minor <= 0:
        return
    saved = ctx.notes.get("saved_card")
    if not saved:
        raise InvalidInput(details={"payment_method": [_("This step takes a saved card.")]})
    ctx.insert(
        Payment(
            reference=deals.reference_of(tx),
            payer_id=tx.customer_id,
            payee_id=tx.provider_id,
            currency=tx.currency,
            amount_minor=tx.total_amount_minor,
            provider_share_minor=tx.provider_payout_minor,
            tax_minor=tx.tax_payable_minor,
            tax_jurisdiction=tx.tax_jurisdiction,
            payment_method=saved["method_id"][:64],
            authorization_id="",
            status=PaymentStatus.SCHEDULED,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
    )


def request_saved_authorization(ctx: deals.Step) -> None:
    """The payment is due: ask the provider to hold it on the saved card, off-session (the
    worker makes the call after commit; its answer moves the deal on). A hold made again after
    one lapsed (escrow.lapse) has a key of its own, numbered, so the provider does not replay
    the lapsed one."""
    payment = payment_of(ctx.tx)
    if ctx.dry_run or payment is None or payment.status != PaymentStatus.SCHEDULED:
        return
    customer = customer_of(payment.payer_id)
    made = ProviderCall.objects.filter(
        reference=payment.reference, operation=ProviderOperation.AUTHORIZE_SAVED
    ).count()
    key = f"{payment.reference}:authorize_saved" + (f":{made}" if made else "")
    payments.provider_call_create(
        operation=ProviderOperation.AUTHORIZE_SAVED,
        reference=payment.reference,
        idempotency_key=key,
        amount=money(payment, payment.amount_minor),
        saved_card=(customer.external_id if customer else "", payment.payment_method),
    )


def _hold(payment: Payment, held: dict[str, Any] | None, now: datetime, **fields: Any) -> None:
    if not held:
        raise InvalidInput(details={"payment_method": [_("This step takes a payment method.")]})
    authorization = Authorization.from_json(held)
    if authorization.amount != money(payment, payment.amount_minor):
        raise Conflict(_("The amount held is not the deal's total."))
    payment_save(payment, now, status=PaymentStatus.AUTHORIZED, authorization_id=authorization.id, **fields)


def record_saved_hold(ctx: deals.Step) -> None:
    """The off-session authorization held the money: the payment is authorized."""
    payment = payment_of(ctx.tx)
    if ctx.dry_run or payment is None or payment.status != PaymentStatus.SCHEDULED:
        return
    _hold(payment, ctx.notes.get("authorization"), ctx.now)


def hold_scheduled_payment(ctx: deals.Step) -> None:
    """The customer confirmed the payment on-session (after the bank asked for them): record
    the authorization the service made before this step on the deal's payment."""
    payment = payment_of(ctx.tx)
    if ctx.dry_run or payment is None:
        return
    if payment.status != PaymentStatus.SCHEDULED:
        raise Conflict(_("The payment for this deal is held already."))
    _hold(
        payment,
        ctx.notes.get("authorization"),
        ctx.now,
        payment_method=str(ctx.notes.get("payment_method", ""))[:64],
    )


# --- The provider's answer -------------------------------------------------------------------


def on_saved_authorization(call: ProviderCall) -> None:
    """The off-session authorization's answer moves the deal: held, or the customer is needed
    (the bank asked for authentication, or the card was declined)."""
    key = f"provider_call:{call.pk}"
    result = call.result
    if call.status == ProviderCallStatus.SUCCEEDED and result.get("status") == AuthorizationStatus.AUTHORIZED:
        report(call.reference, "payment_authorized", {"authorization": result}, key=key)
        return
    reason = (result.get("error") or {}).get("reason") or result.get("decline_code") or "declined"
    report(call.reference, "payment_needs_customer", {"failure": reason}, key=key)


def register() -> dict[str, Any]:
    """The actions, guards and hooks of deferred payments (escrow.actions registers them)."""
    payments.register_result_handler(ProviderOperation.AUTHORIZE_SAVED, on_saved_authorization)
    return {
        "actions": {
            "schedule_payment": schedule_payment,
            "request_saved_authorization": request_saved_authorization,
            "record_saved_hold": record_saved_hold,
            "hold_scheduled_payment": hold_scheduled_payment,
        },
        "guards": {
            "payment_scheduled": guard_payment_scheduled,
            "payment_not_scheduled": guard_payment_not_scheduled,
        },
    }
