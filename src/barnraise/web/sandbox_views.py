"""The sandbox's client-side API, in Stripe's shapes, for the Stripe.js shim (docs/money.md).

`/sandbox/v1/payment_intents/<id>` (GET) and `/confirm` (POST, form-encoded as Stripe.js
sends it, with a card or a saved card's `payment_method`), and `/sandbox/v1/setup_intents/<id>/confirm`
(saving a card) take the publishable key and the client secret, as Stripe's do; the challenge page
`/sandbox/v1/3ds/<id>` stands in for the bank's 3-D Secure step, shown in the shim's modal
(so it may be framed by this site, and by no other). Only while the sandbox is the provider.
"""

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from barnraise.ledger.providers.sandbox_checkout import (
    PUBLISHABLE_KEY,
    CheckoutRefused,
    challenge_amount,
    checkout_authenticate,
    checkout_confirm,
    checkout_get,
    setup_confirm,
)
from barnraise.web.middleware import policy


def _sandbox_only() -> None:
    if settings.PAYMENT_PROVIDER != "sandbox":
        raise Http404(_("The sandbox is not the payment provider here."))


def _site(request: HttpRequest) -> str:
    """The origin the browser called (the challenge page is shown on it)."""
    return request.build_absolute_uri("/").rstrip("/")


def _answer(request: HttpRequest, call: Any) -> JsonResponse:
    key = request.POST.get("key") if request.method == "POST" else request.GET.get("key")
    if key != PUBLISHABLE_KEY:  # 404 as for a wrong secret (Stripe says 401): it names nothing that exists
        error = {"type": "invalid_request_error", "code": "api_key_invalid", "message": _("Invalid API key.")}
        return JsonResponse({"error": error}, status=404)
    try:
        return JsonResponse(call())
    except CheckoutRefused as refused:
        return JsonResponse({"error": refused.error}, status=refused.status)


@csrf_exempt  # as Stripe's API: the client secret and the publishable key authorize it, not a cookie
@require_GET
def payment_intent(request: HttpRequest, checkout_id: str) -> JsonResponse:
    _sandbox_only()
    return _answer(
        request,
        lambda: checkout_get(
            checkout_id=checkout_id, secret=request.GET.get("client_secret", ""), site=_site(request)
        ),
    )


@csrf_exempt
@require_POST
def payment_intent_confirm(request: HttpRequest, checkout_id: str) -> JsonResponse:
    _sandbox_only()
    return _answer(
        request,
        lambda: checkout_confirm(
            checkout_id=checkout_id,
            secret=request.POST.get("client_secret", ""),
            card_number=request.POST.get("payment_method_data[card][number]", "")[:40],
            return_url=request.POST.get("return_url", "")[:2000],
            site=_site(request),
            method_id=request.POST.get("payment_method", "")[:255],
        ),
    )


@csrf_exempt
@require_POST
def setup_intent_confirm(request: HttpRequest, setup_id: str) -> JsonResponse:
    """Saving a card (the saved-cards page): the sandbox's SetupIntent confirmation."""
    _sandbox_only()
    return _answer(
        request,
        lambda: setup_confirm(
            setup_id=setup_id,
            secret=request.POST.get("client_secret", ""),
            card_number=request.POST.get("payment_method_data[card][number]", "")[:40],
        ),
    )


@csrf_exempt  # reached by its token, in a frame; it changes only this one test payment
@xframe_options_sameorigin
@require_http_methods(["GET", "POST"])
def challenge(request: HttpRequest, checkout_id: str) -> HttpResponse:
    """The bank's 3-D Secure page, in the sandbox: Complete or Fail the payment."""
    _sandbox_only()
    token = request.GET.get("token", "")
    amount = challenge_amount(checkout_id, token)
    if amount is None:
        raise Http404(_("No such payment."))
    context: dict[str, Any] = {"amount": amount, "token": token}
    if request.method == "POST":
        intent = checkout_authenticate(
            checkout_id=checkout_id, token=token, succeed=request.POST.get("outcome") == "complete"
        )
        back = request.GET.get("return_url", "")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return HttpResponseRedirect(back)
        context["answered"] = intent["status"]
    response = render(request, "web/wallet/sandbox_challenge.html", context)
    # The site's policy, but the site itself may frame this page (the shim's modal).
    response["Content-Security-Policy"] = policy(frame_ancestors="'self'")
    return response
