"""`POST /api/v1/webhooks/payments/{provider}`: where payment providers send their events.

No bearer token, no CSRF token and no `Idempotency-Key`: the provider's signature is the
authentication, and the event id makes a redelivery harmless. See `barnraise.ledger.webhooks`.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from barnraise.api.strict import own_input
from barnraise.ledger import webhooks

router = Router(tags=["webhooks"], auth=None)


class WebhookReceivedOut(Schema):
    received: bool = Field(description="Always true: the event is stored and will be processed.")
    duplicate: bool = Field(description="True when this event id was received before (a redelivery).")


@router.post(
    "/payments/{provider}",
    auth=None,
    response={200: WebhookReceivedOut},
    summary="Receive a payment provider's event",
    description=(
        "For the payment provider's servers, not for members. The body is the provider's event "
        "as it was signed (Stripe: the `Stripe-Signature` header). A bad or stale signature gets "
        "400 `webhook_signature_invalid` and nothing is stored; a provider that sends no "
        "webhooks (the sandbox) gets 404."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
        }
    },
)
@own_input  # the provider's event as it was signed: it adds fields as it likes
def payment_webhook_receive(request: HttpRequest, provider: str) -> dict[str, Any]:
    _event, created = webhooks.webhook_receive(
        provider_name=provider, body=request.body, headers=request.headers
    )
    return {"received": True, "duplicate": not created}
