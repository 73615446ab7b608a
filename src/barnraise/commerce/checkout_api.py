"""The payment element's checkouts: a payment the customer confirms in the browser.

`POST /transactions/checkout` (a deal about to open) and `POST /transactions/{id}/checkout`
(a deal's paying step, e.g. accepting a paid offer) price the deal on the server and answer a
checkout: its `id`, the `client_secret` Stripe.js (or the sandbox's shim of it) confirms with,
and the amount. The deal then opens, or the step runs, with `payment_method` set to that id;
the step checks with the provider that the money is held. Nothing here changes a deal.
"""

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from barnraise.api.auth import caller
from barnraise.api.schemas import ErrorOut, InputSchema, MoneyOut, StrictInt
from barnraise.commerce import services
from barnraise.ids import uuid7

router = Router(tags=["transactions"])


class CheckoutIn(InputSchema):
    listing_id: UUID
    process: str | None = Field(None, max_length=40, description="As for POST /transactions.")
    transition: str | None = Field(None, max_length=40)
    quantity: StrictInt | None = Field(None, ge=1, le=10_000)
    start: str | None = Field(None, max_length=40)
    end: str | None = Field(None, max_length=40)
    seats: StrictInt | None = Field(None, ge=1, le=1000)
    message: str | None = Field(None, max_length=5000)


class StepCheckoutIn(InputSchema):
    name: str = Field(max_length=40, description="The paying step, e.g. `accept_offer`.")
    params: dict[str, Any] = Field(default_factory=dict)


class CheckoutOut(Schema):
    id: str = Field(description="Send it as `payment_method` once the customer confirmed it.")
    client_secret: str = Field(
        description="For Stripe.js `elements({clientSecret})`; show it to no one else."
    )
    amount: MoneyOut = Field(description="The deal's total, priced by the server.")


def _key(request: HttpRequest) -> str:
    key = request.headers.get("Idempotency-Key")
    return key[:200] if key else uuid7().hex


def checkout_out(checkout: dict[str, Any]) -> dict[str, Any]:
    return {**checkout, "amount": checkout["amount"].as_json()}


@router.post(
    "/checkout",
    response={201: CheckoutOut, 402: ErrorOut, 409: ErrorOut},
    summary="A checkout for the deal these fields would open (the payment element)",
)
def transaction_checkout(request: HttpRequest, data: CheckoutIn) -> Status[Any]:
    """The same fields as POST /transactions (no `payment_method`). 422 when the step takes
    no payment or the fields do not price; the same `Idempotency-Key` answers the same one."""
    params = data.dict(exclude_unset=True, exclude={"listing_id", "process", "transition"})
    checkout = services.transaction_checkout(
        actor=caller(request),
        listing_id=data.listing_id,
        process=data.process,
        transition=data.transition,
        params=params,
        idempotency_key=_key(request),
    )
    return Status(201, checkout_out(checkout))


@router.post(
    "/{transaction_id}/checkout",
    response={201: CheckoutOut, 402: ErrorOut, 403: ErrorOut, 409: ErrorOut},
    summary="A checkout for a deal's paying step (the payment element)",
)
def transaction_step_checkout(
    request: HttpRequest, transaction_id: UUID, data: StepCheckoutIn
) -> Status[Any]:
    """404 for a deal the caller is not a party to, 403 for anyone but its customer (who pays);
    409 when the step cannot be taken now, 422 when it takes no payment."""
    checkout = services.transaction_step_checkout(
        actor=caller(request),
        transaction_id=transaction_id,
        name=data.name,
        params=data.params,
        idempotency_key=_key(request),
    )
    return Status(201, checkout_out(checkout))
