"""Authorization, before a deal opens: the payment hooks commerce's services call.

`authorize` holds the amount on the card outside any database transaction, before the deal's
first transition runs; `abandon` voids it if that transition then fails. A card the bank wants
confirmed (3-D Secure) opens nothing: the customer confirms it (in the sandbox, on our own
page: `sandbox_authenticate`) and sends the authorization's id back as the payment method.
The deal's later money steps are in `escrow`.

A page with the payment element asks first for a checkout (`prepare`): a payment of the
deal's total, priced by the server, that the customer confirms in the browser (Stripe.js, or
the shim of it in the sandbox); the checkout's id is then sent as the payment method, and
`authorize` asks the provider whether the money is held before the deal's step runs.
"""

import logging
from typing import Any

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts.models import User
from barnraise.db import exists, insert
from barnraise.errors import InvalidInput, NotFound
from barnraise.ledger import payments
from barnraise.ledger.errors import AuthenticationRequired
from barnraise.ledger.models import (
    Payment,
    PaymentCustomer,
    ProviderCall,
    ProviderCallStatus,
    ProviderOperation,
)
from barnraise.ledger.providers import (
    Authorization,
    AuthorizationStatus,
    CardDeclined,
    Checkout,
    money_json,
    provider,
)
from barnraise.ledger.providers.sandbox import SandboxProvider, card_digits
from barnraise.money import Money

logger = logging.getLogger(__name__)


def _awaiting(authorization_id: str, payer_id: Any) -> ProviderCall | None:
    """The payer's recorded authorization with this id (one that asked for their confirmation).
    Asked of every payment method: a card number is none (the providers' authorization ids
    have a prefix: sbx_auth_, pi_) and is not looked up; anything else, through the index."""
    if card_digits(authorization_id) is not None:
        return None
    if not exists(f"SELECT 1 FROM {ProviderCall._meta.db_table} WHERE external_id = %s", [authorization_id]):  # noqa: S608 - our names
        return None
    return ProviderCall.objects.filter(
        operation=ProviderOperation.AUTHORIZE, external_id=authorization_id, payload__payer=str(payer_id)
    ).first()


def authorize(
    *, amount: Money, payment_method: Any, reference: str, idempotency_key: str, payer_id: Any
) -> dict[str, Any]:
    """Hold `amount` on the card; the notes `hold_payment` records. Outside any transaction.

    A card that asks for authentication (3-D Secure) opens nothing: the answer is 402
    `authentication_required` with the page where the customer confirms it and the
    authorization's id; sent again as `payment_method`, that id is the confirmed card.
    """
    if not isinstance(payment_method, str) or not 1 <= len(payment_method.strip()) <= 255:
        raise InvalidInput(
            details={"payment_method": [_("Give a payment method (in the sandbox, a test card number).")]}
        )
    if amount.amount_minor <= 0:
        return {}
    awaiting = _awaiting(payment_method.strip(), payer_id)
    if awaiting is not None:
        authorization = _confirmed(awaiting, amount)
        # the card the customer confirmed it with, as the provider tells it (brand, last 4)
        masked = authorization.card_label() or awaiting.payload.get("payment_method", "")
    else:
        authorization = payments.authorize_now(
            amount=amount,
            payment_method=payment_method,
            reference=reference,
            idempotency_key=idempotency_key,
            payer=str(payer_id),
        )
        masked = payments.mask_payment_method(payment_method)
    if authorization.status == AuthorizationStatus.REQUIRES_ACTION:
        raise AuthenticationRequired(
            details={"payment_method": authorization.id, "authentication_url": authorization.action_url}
        )
    return {
        "authorization": authorization.as_json(),
        "payment_method": masked,
        "reference": reference,
        "idempotency_key": idempotency_key,
    }


def prepare(*, amount: Money, payer_id: Any, reference: str, idempotency_key: str) -> dict[str, Any]:
    """A checkout of `amount` for the payer to confirm in the browser (outside any transaction).

    Recorded as the payer's authorization awaiting confirmation, so that its id, sent back
    as the payment method, is recognised as theirs and for this amount only. The same key
    answers the same checkout.
    """
    if amount.amount_minor <= 0:
        raise InvalidInput(details={"payment_method": [_("There is nothing to pay.")]})
    # The payer's customer at the provider, if they have one: their saved cards may pay it.
    customer = PaymentCustomer.objects.filter(member_id=payer_id, provider=provider().name).first()
    checkout = provider().checkout_create(
        amount=amount, idempotency_key=idempotency_key, customer_id=customer.external_id if customer else ""
    )
    finished = timezone.now()
    try:
        insert(
            ProviderCall(
                idempotency_key=idempotency_key,
                operation=ProviderOperation.AUTHORIZE,
                reference=reference,
                payload={
                    "amount": money_json(amount),
                    "payment_method": "payment element",
                    "payer": str(payer_id),
                },
                status=ProviderCallStatus.SUCCEEDED,
                result={"id": checkout.id, "amount": money_json(amount), "status": "checkout"},
                external_id=checkout.id,
                attempts=1,
                finished_at=finished,
                reported_at=finished,
            )
        )
    except IntegrityError:  # the same key again: the checkout it made
        earlier = ProviderCall.objects.get(idempotency_key=idempotency_key)
        if earlier.external_id != checkout.id or str(earlier.payload.get("payer")) != str(payer_id):
            raise InvalidInput(
                details={"idempotency_key": [_("This key was used for another payment.")]}
            ) from None
    return _checkout_json(checkout)


def _checkout_json(checkout: Checkout) -> dict[str, Any]:
    return {"id": checkout.id, "client_secret": checkout.client_secret, "amount": checkout.amount}


def sandbox_authenticate(*, actor: User, authorization_id: str) -> Authorization:
    """The sandbox's stand-in for the bank's challenge page: the payer confirms the payment."""
    awaiting = _awaiting(authorization_id, actor.pk)
    if awaiting is None or provider().name != "sandbox":
        raise NotFound()
    return SandboxProvider().authenticate(authorization_id=authorization_id)


def awaiting_authentication(*, actor: User, authorization_id: str) -> Money:
    """The amount of the payer's authorization that waits for their confirmation."""
    awaiting = _awaiting(authorization_id, actor.pk)
    if awaiting is None:
        raise NotFound()
    return Money(awaiting.payload["amount"]["amount_minor"], awaiting.payload["amount"]["currency"])


def _confirmed(awaiting: ProviderCall, amount: Money) -> Authorization:
    """An authorization that asked for authentication, as it stands now, for this deal only."""
    if Money(awaiting.payload["amount"]["amount_minor"], awaiting.payload["amount"]["currency"]) != amount:
        raise InvalidInput(details={"payment_method": [_("This card was confirmed for another amount.")]})
    if Payment.objects.filter(authorization_id=awaiting.result["id"]).exists():
        raise InvalidInput(details={"payment_method": [_("This card confirmation was used already.")]})
    authorization = provider().authorization_get(authorization_id=awaiting.result["id"])
    if (
        authorization.status == AuthorizationStatus.DECLINED
        and authorization.decline_code == "requires_payment_method"
    ):
        raise InvalidInput(details={"payment_method": [_("This payment was not confirmed with a card yet.")]})
    if authorization.status == AuthorizationStatus.DECLINED:
        raise CardDeclined(details={"decline_code": authorization.decline_code})
    return authorization


def release(*, payment_method: Any, payer_id: Any, reference: str) -> None:
    """The deal this payment method was for could not open (its dry run or the authorization
    refused it): a checkout the payer confirmed in the browser holds money nothing will
    capture, so it is voided through the provider calls (recorded, retried by the sweeper).

    Anything else is left alone: a card number or token (nothing was held), a checkout never
    confirmed or declined, one another payer made, and one a payment already uses (a second
    send of a form whose deal opened). Never raises: the deal's own refusal is what the caller
    reports; a provider that cannot be asked now leaves the hold to lapse at the bank."""
    if not isinstance(payment_method, str) or not payment_method.strip():
        return
    awaiting = _awaiting(payment_method.strip(), payer_id)
    if awaiting is None or awaiting.result.get("status") != "checkout":
        return
    checkout_id = awaiting.result["id"]
    if Payment.objects.filter(authorization_id=checkout_id).exists():
        return
    try:
        held = provider().authorization_get(authorization_id=checkout_id)
        if held.status != AuthorizationStatus.AUTHORIZED:
            return
        payments.authorization_abandon(
            authorization_id=checkout_id,
            reference=reference,
            idempotency_key=f"checkout:{checkout_id}:release",
        )
    except Exception:
        logger.warning("could not void the unused checkout %s", checkout_id, exc_info=True)


def abandon(notes: dict[str, Any]) -> None:
    """Void an authorization whose transition failed after it was made."""
    if not notes.get("authorization"):
        return
    payments.authorization_abandon(
        authorization_id=notes["authorization"]["id"],
        reference=notes["reference"],
        idempotency_key=f"{notes['idempotency_key']}:abandon",
    )
