"""Stripe: Connect with separate charges and transfers and manual payouts, via the `stripe` library.

- `authorize` creates and confirms a PaymentIntent with `capture_method=manual`. The payment
  method is a PaymentMethod id (`pm_…`) that Stripe.js or a mobile SDK made. A card number is
  never sent: anything else is refused with `invalid_payment_method` before any request.
- `checkout_create` creates an unconfirmed PaymentIntent with manual capture, whose client
  secret the page gives to Stripe.js (the Payment Element); once the customer confirmed it
  there, its id is sent as the payment method and `authorization_get` checks the money is held.
- `capture` and `void` capture and cancel that PaymentIntent. The capture's id is the Charge
  (`ch_…`), and `refund` refunds that Charge.
- `create_payout_account` creates an Express connected account with manual payouts, and an
  account link for its onboarding (`onboarding_link` makes a fresh one: links expire). Stripe
  sends the owner back to `/payouts/onboarding/<id>/return` (or `…/refresh` for an expired
  link). The account is ready once Stripe reports `payouts_enabled` and an active `transfers`
  capability; `payout_account_get` reads it with its requirements.
- `payout` makes a Transfer from the platform to the connected account, then a Payout on that
  account (`Stripe-Account` header) to its bank. Both are idempotent, with `<key>` and
  `<key>:payout`. If the transfer is made but the payout fails, the error is transient: the
  same key then replays the transfer and retries only the payout, so money is never sent twice.

Every request carries the caller's idempotency key as Stripe's `Idempotency-Key`, so Stripe
replays the first answer. Stripe keeps keys for at least 24 hours; the outbox retries well
within that. Disputes are not in the capture's answer: they arrive as `charge.dispute.created`
webhooks (`barnraise.ledger.webhooks`), verified here by `webhook_event`.

Errors. A card error is an outcome and comes back as a value (a declined authorization, a
failed capture). An invalid request raises `ProviderRefused` with our reason where one exists,
otherwise Stripe's own error `code`. Connection, API, rate-limit and authentication errors
raise `ProviderUnavailable` and are retried with the same key.
"""

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from barnraise.db import write_unit_paused
from barnraise.ledger.providers import (
    AuthenticationRequired,
    Authorization,
    AuthorizationStatus,
    Capture,
    CaptureStatus,
    Checkout,
    Payout,
    PayoutAccount,
    PayoutStatus,
    ProviderRefused,
    ProviderUnavailable,
    Refund,
    RefundStatus,
    SavedMethod,
    SetupStart,
    Void,
)
from barnraise.ledger.webhooks import (
    InboundEvent,
    WebhookPayloadInvalid,
    WebhookSignatureInvalid,
    WebhooksNotConfigured,
)
from barnraise.money import Money, currency_decimals

logger = logging.getLogger(__name__)

PAYMENT_METHOD_ID = re.compile(r"pm_[A-Za-z0-9_]{1,250}")
# Stripe's documented hold for online card payments when a Charge gives no `capture_before`.
HOLD = timedelta(days=7)
WEBHOOK_TOLERANCE = 300  # seconds; Stripe's default for `Stripe-Signature` timestamps

# Stripe's minor units (https://docs.stripe.com/currencies, "Minor units in API amounts",
# "Zero-decimal currencies", "Three-decimal currencies" and "Special cases"):
# - these currencies are zero-decimal: the amount is in whole units;
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF"}
    | {"XOF", "XPF"}
)
# - these are three-decimal, and the last digit must be 0 (round to the nearest ten);
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
# - every other currency is two-decimal in the API, even where ISO 4217 says otherwise. ISK
#   (ISO: 0 decimals) stays two-decimal "for backwards compatibility" and is "effectively
#   zero-decimal": amounts must be multiples of 100 (Stripe support, "Deprecation of fractional
#   ISK charges and refunds", error `invalid_charge_amount_no_decimal_compatible`);
WHOLE_UNITS_ONLY = frozenset({"ISK"})
# - HUF and TWD are charged with two decimals, but Stripe treats them as zero-decimal for
#   payouts: a manual payout's amount must be evenly divisible by 100 (the docs' example pays
#   out HUF 10 of a HUF 10.45 balance as 1000).
WHOLE_UNIT_PAYOUTS = frozenset({"HUF", "TWD"})


def _ten(power: int) -> int:
    return int(10**power)


def stripe_decimals(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in THREE_DECIMAL else 2


def stripe_amount(amount: Money, *, payout: bool = False) -> int:
    """`amount` (ISO 4217 minor units, from babel) in the units Stripe's API expects.

    Refuses with `invalid_amount` an amount Stripe cannot take in that currency, naming the
    step in `details.multiple_of_minor` (our minor units): fractional ISK, HUF or TWD
    payouts of part of a unit, three-decimal amounts not ending in 0.
    """
    shift = stripe_decimals(amount.currency) - currency_decimals(amount.currency)
    if shift < 0 and amount.amount_minor % _ten(-shift):
        raise _not_payable(amount, _ten(-shift))
    value = amount.amount_minor * _ten(shift) if shift >= 0 else amount.amount_minor // _ten(-shift)
    step = 1  # in Stripe's units
    if amount.currency in THREE_DECIMAL:
        step = 10
    elif amount.currency in WHOLE_UNITS_ONLY or (payout and amount.currency in WHOLE_UNIT_PAYOUTS):
        step = 100
    if value % step:
        raise _not_payable(amount, max(1, step // _ten(shift)) if shift >= 0 else step * _ten(-shift))
    return value


def money_from_stripe(amount: int, currency: str) -> Money:
    """An amount in Stripe's units of `currency` (lower case, as Stripe sends it) as `Money`."""
    code = currency.upper()
    shift = stripe_decimals(code) - currency_decimals(code)
    if shift >= 0:
        if amount % _ten(shift):
            raise ValueError(f"{amount} {code} from Stripe is not a whole number of our minor units")
        return Money(amount // _ten(shift), code)
    return Money(amount * _ten(-shift), code)


def _not_payable(amount: Money, step: int) -> ProviderRefused:
    return ProviderRefused(
        "invalid_amount",
        f"Stripe takes {amount.currency} amounts only in steps of {step} minor units here.",
        details={"multiple_of_minor": step},
    )


class _StripeRefused(ProviderRefused):
    """A refusal that keeps Stripe's error object, for the call sites that look inside it."""

    def __init__(self, reason: str, message: str, error: dict[str, Any]) -> None:
        super().__init__(reason, message, details={"stripe_code": error.get("code") or ""})
        self.error = error


def _error_of(exc: stripe.StripeError) -> dict[str, Any]:
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    error = body.get("error")
    return error if isinstance(error, dict) else {}


@contextmanager
def _stripe_errors(missing: str) -> Iterator[None]:
    """Stripe's exceptions as ours. `missing` is the reason for a `resource_missing` error.
    Card errors pass through: each call site turns them into its value."""
    try:
        yield
    except stripe.CardError:
        raise
    except stripe.IdempotencyError as exc:
        raise ProviderRefused(
            "idempotency_key_reused", "This idempotency key was used for a different request."
        ) from exc
    except (stripe.InvalidRequestError, stripe.PermissionError) as exc:
        error = _error_of(exc)
        code = str(error.get("code") or "invalid_request")
        if isinstance(exc, stripe.PermissionError) and code != "account_invalid":
            raise ProviderUnavailable("Stripe refused the API key; check STRIPE_SECRET_KEY.") from exc
        # An unknown connected account answers 403 `account_invalid`, anything else 404.
        reason = missing if code in ("resource_missing", "account_invalid") else code
        raise _StripeRefused(reason, str(error.get("message") or exc.user_message or code), error) from exc
    except stripe.StripeError as exc:  # connection, API (5xx), rate limit, authentication
        raise ProviderUnavailable(
            f"Stripe did not answer ({type(exc).__name__}); retry with the same key."
        ) from exc


def _charge_id(intent: Mapping[str, Any]) -> str:
    charge = intent.get("latest_charge")
    if isinstance(charge, Mapping):
        return str(charge.get("id") or "")
    return str(charge or "")


def _expires_at(intent: Mapping[str, Any]) -> datetime:
    """The charge's documented `payment_method_details.card.capture_before`, else 7 days."""
    charge = intent.get("latest_charge")
    if isinstance(charge, Mapping):
        card = (charge.get("payment_method_details") or {}).get("card") or {}
        if card.get("capture_before"):
            return datetime.fromtimestamp(int(card["capture_before"]), tz=UTC)
    return datetime.fromtimestamp(int(intent["created"]), tz=UTC) + HOLD


def _card(intent: Mapping[str, Any]) -> tuple[str, str]:
    """The brand and last 4 digits of the card charged: the expanded charge's
    `payment_method_details.card`, else the expanded PaymentMethod's `card`; ("", "") unsaid."""
    charge = intent.get("latest_charge")
    card: Mapping[str, Any] = {}
    if isinstance(charge, Mapping):
        card = (charge.get("payment_method_details") or {}).get("card") or {}
    method = intent.get("payment_method")
    if not card.get("last4") and isinstance(method, Mapping):
        card = method.get("card") or {}
    return str(card.get("brand") or ""), str(card.get("last4") or "")


def _authorization(intent: Mapping[str, Any]) -> Authorization:
    """A PaymentIntent as an authorization: `requires_capture` is authorized; a challenge
    (`next_action`) requires action, with its page when Stripe gives one."""
    authorized = money_from_stripe(intent["amount"], intent["currency"])
    status = intent["status"]
    if status == "requires_capture":
        brand, last4 = _card(intent)
        return Authorization(
            intent["id"],
            AuthorizationStatus.AUTHORIZED,
            authorized,
            _expires_at(intent),
            card_brand=brand,
            card_last4=last4,
        )
    if status in ("requires_action", "requires_confirmation") or intent.get("next_action"):
        redirect = (intent.get("next_action") or {}).get("redirect_to_url") or {}
        return Authorization(
            intent["id"],
            AuthorizationStatus.REQUIRES_ACTION,
            authorized,
            None,
            action_url=redirect.get("url", ""),
        )
    if status == "requires_payment_method":
        # Never confirmed (a checkout the customer left), or its last attempt failed.
        error = intent.get("last_payment_error") or {"code": "requires_payment_method"}
        return _declined(intent, authorized, error)
    raise ProviderRefused("unexpected_state", f"The PaymentIntent is {status}, not authorized.")


def _saved(method: Mapping[str, Any]) -> SavedMethod:
    card = method.get("card") or {}
    return SavedMethod(
        id=str(method["id"]),
        brand=str(card.get("brand") or "card"),
        last4=str(card.get("last4") or ""),
        exp_month=int(card.get("exp_month") or 0),
        exp_year=int(card.get("exp_year") or 0),
    )


def _ready(account: Mapping[str, Any]) -> bool:
    capabilities = account.get("capabilities") or {}
    return bool(account.get("payouts_enabled")) and capabilities.get("transfers") == "active"


def payout_account_from_stripe(account: Mapping[str, Any]) -> PayoutAccount:
    """A Stripe Account object (from the API or an `account.updated` event) as ours."""
    requirements = account.get("requirements") or {}
    return PayoutAccount(
        id=str(account["id"]),
        ready=_ready(account),
        currently_due=tuple(str(name) for name in requirements.get("currently_due") or ()),
        past_due=tuple(str(name) for name in requirements.get("past_due") or ()),
        disabled_reason=str(requirements.get("disabled_reason") or ""),
        charges_enabled=bool(account.get("charges_enabled")),
        payouts_enabled=bool(account.get("payouts_enabled")),
        details_submitted=bool(account.get("details_submitted")),
    )


def _positive(amount: Money) -> None:
    if amount.amount_minor <= 0:
        raise ProviderRefused("invalid_amount", "The amount must be positive.")


def _within(amount: Money, limit: Money) -> None:
    if amount.currency != limit.currency:
        raise ProviderRefused("currency_mismatch", f"The amount must be in {limit.currency}.")
    if limit < amount:
        raise ProviderRefused(
            "amount_too_large",
            "The amount is more than is left.",
            details={"available_minor": limit.amount_minor},
        )


def _declined(intent: Mapping[str, Any], amount: Money, error: Mapping[str, Any]) -> Authorization:
    code = str(error.get("decline_code") or error.get("code") or "card_declined")
    return Authorization(str(intent.get("id") or ""), AuthorizationStatus.DECLINED, amount, None, code)


class StripeProvider:
    name: ClassVar[str] = "stripe"

    def authorization_window(self) -> timedelta:
        """A card PaymentIntent with manual capture holds for 7 days (Stripe's documented
        window for most cards; some networks allow longer, none shorter here)."""
        return HOLD

    def __init__(self, *, max_network_retries: int = 2) -> None:
        self.max_network_retries = max_network_retries
        self._clients: dict[tuple[str, str], stripe.StripeClient] = {}

    def _client(self) -> stripe.StripeClient:
        key, base = settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE
        if not key:
            raise ImproperlyConfigured("STRIPE_SECRET_KEY is not set.")
        if (key, base) not in self._clients:
            self._clients[(key, base)] = stripe.StripeClient(
                key,
                base_addresses={"api": base, "connect": base} if base else None,
                max_network_retries=self.max_network_retries,
            )
        return self._clients[(key, base)]

    def _call(self, request: Callable[[stripe.StripeClient], Any], *, missing: str) -> dict[str, Any]:
        # Over the network: a write unit's turn goes back meanwhile (SQLite, barnraise.db).
        with write_unit_paused(), _stripe_errors(missing):
            answer: dict[str, Any] = request(self._client()).to_dict()
        return answer

    def authorize(self, *, amount: Money, payment_method: str, idempotency_key: str) -> Authorization:
        _positive(amount)
        if not PAYMENT_METHOD_ID.fullmatch(payment_method):
            raise ProviderRefused(
                "invalid_payment_method",
                "Give a Stripe PaymentMethod id (pm_…); card numbers are never sent to the server.",
            )
        params: stripe.params.PaymentIntentCreateParams = {
            "amount": stripe_amount(amount),
            "currency": amount.currency.lower(),
            "payment_method": payment_method,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            "capture_method": "manual",
            "confirm": True,
            "expand": ["latest_charge"],
        }
        try:
            intent = self._call(
                lambda c: c.v1.payment_intents.create(params, {"idempotency_key": idempotency_key}),
                missing="no_such_payment_method",
            )
        except stripe.CardError as declined:
            error = _error_of(declined)
            return _declined(error.get("payment_intent") or {}, amount, error)
        return _authorization(intent)

    def authorization_get(self, *, authorization_id: str) -> Authorization:
        """The PaymentIntent as it stands (after the customer's authentication, if any)."""
        intent = self._call(
            lambda c: c.v1.payment_intents.retrieve(authorization_id, {"expand": ["latest_charge"]}),
            missing="no_such_authorization",
        )
        return _authorization(intent)

    def checkout_create(self, *, amount: Money, idempotency_key: str, customer_id: str = "") -> Checkout:
        """A PaymentIntent with manual capture, unconfirmed: Stripe.js confirms it in the page
        with its client secret (the Payment Element), 3-D Secure included."""
        _positive(amount)
        params: stripe.params.PaymentIntentCreateParams = {
            "amount": stripe_amount(amount),
            "currency": amount.currency.lower(),
            "capture_method": "manual",
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
        if customer_id:  # the customer's saved cards may pay it (Stripe refuses another's)
            params["customer"] = customer_id
        intent = self._call(
            lambda c: c.v1.payment_intents.create(params, {"idempotency_key": idempotency_key}),
            missing="no_such_payment_intent",
        )
        return Checkout(intent["id"], intent["client_secret"], amount)

    def capture(self, *, authorization_id: str, amount: Money, idempotency_key: str) -> Capture:
        _positive(amount)
        intent = self._call(
            lambda c: c.v1.payment_intents.retrieve(authorization_id), missing="no_such_authorization"
        )
        # Both are fixed once the intent is confirmed, so checking them cannot spoil a replay.
        _within(amount, money_from_stripe(intent["amount"], intent["currency"]))
        params: stripe.params.PaymentIntentCaptureParams = {
            "amount_to_capture": stripe_amount(amount),
            "expand": ["latest_charge"],
        }
        try:
            captured = self._call(
                lambda c: c.v1.payment_intents.capture(
                    authorization_id, params, {"idempotency_key": idempotency_key}
                ),
                missing="no_such_authorization",
            )
        except stripe.CardError as failed:
            error = _error_of(failed)
            charge_id = str(error.get("charge") or _charge_id(error.get("payment_intent") or intent))
            code = str(error.get("decline_code") or error.get("code") or "card_declined")
            return Capture(charge_id, authorization_id, CaptureStatus.FAILED, amount, code)
        except _StripeRefused as refused:
            if refused.reason == "charge_expired_for_capture":
                failed_capture = CaptureStatus.FAILED
                return Capture(
                    _charge_id(intent), authorization_id, failed_capture, amount, "authorization_expired"
                )
            if refused.reason != "payment_intent_unexpected_state":
                raise
            return self._not_captured(refused.error.get("payment_intent") or intent, amount)
        charge = captured.get("latest_charge") or {}
        status = CaptureStatus.DISPUTED if charge.get("disputed") else CaptureStatus.CAPTURED
        got = money_from_stripe(captured["amount_received"], captured["currency"])
        return Capture(_charge_id(captured), authorization_id, status, got)

    def _not_captured(self, intent: Mapping[str, Any], amount: Money) -> Capture:
        """A capture Stripe refused because of the intent's state: a value or our refusal."""
        status = intent.get("status")
        if status == "succeeded":
            raise ProviderRefused("already_captured", "This authorization was captured already.")
        if status == "canceled" and intent.get("cancellation_reason") in ("automatic", "expired"):
            expired = CaptureStatus.FAILED
            return Capture(_charge_id(intent), str(intent["id"]), expired, amount, "authorization_expired")
        if status == "canceled":
            raise ProviderRefused("authorization_voided", "This authorization was voided.")
        raise ProviderRefused("authorization_not_capturable", "This authorization cannot be captured.")

    def void(self, *, authorization_id: str, idempotency_key: str) -> Void:
        try:
            self._call(
                lambda c: c.v1.payment_intents.cancel(
                    authorization_id, {}, {"idempotency_key": idempotency_key}
                ),
                missing="no_such_authorization",
            )
        except _StripeRefused as refused:
            if refused.reason != "payment_intent_unexpected_state":
                raise
            status = (refused.error.get("payment_intent") or {}).get("status")
            if status == "succeeded":
                raise ProviderRefused(
                    "already_captured", "A captured authorization cannot be voided."
                ) from None
            if status != "canceled":  # voided (or expired) already: the void holds
                raise
        return Void(authorization_id)

    def refund(self, *, capture_id: str, amount: Money, idempotency_key: str) -> Refund:
        _positive(amount)
        charge = self._call(lambda c: c.v1.charges.retrieve(capture_id), missing="no_such_capture")
        captured = money_from_stripe(charge["amount_captured"], charge["currency"])
        if amount.currency != captured.currency:
            raise ProviderRefused("currency_mismatch", f"The amount must be in {captured.currency}.")
        if not charge.get("captured"):
            raise ProviderRefused("capture_failed", "Nothing was captured, so nothing can be refunded.")
        params: stripe.params.RefundCreateParams = {"charge": capture_id, "amount": stripe_amount(amount)}
        try:
            refund = self._call(
                lambda c: c.v1.refunds.create(params, {"idempotency_key": idempotency_key}),
                missing="no_such_capture",
            )
        except _StripeRefused as refused:
            if refused.reason not in ("amount_too_large", "charge_already_refunded"):
                raise
            left = captured - money_from_stripe(charge["amount_refunded"], charge["currency"])
            raise ProviderRefused(
                "amount_too_large",
                "The amount is more than is left.",
                details={"available_minor": left.amount_minor},
            ) from None
        status = RefundStatus.FAILED if refund["status"] in ("failed", "canceled") else RefundStatus.SUCCEEDED
        got = money_from_stripe(refund["amount"], refund["currency"])
        return Refund(refund["id"], capture_id, status, got, str(refund.get("failure_reason") or ""))

    def create_payout_account(self, *, owner_reference: str, idempotency_key: str) -> PayoutAccount:
        # card_payments is requested beside transfers: Stripe asks a platform for approval
        # before it may request transfers alone.
        params: stripe.params.AccountCreateParams = {
            "type": "express",
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
            "settings": {"payouts": {"schedule": {"interval": "manual"}}},
            "metadata": {"owner_reference": owner_reference},
        }
        account = self._call(
            lambda c: c.v1.accounts.create(params, {"idempotency_key": idempotency_key}),
            missing="no_such_account",
        )
        made = payout_account_from_stripe(account)
        url = self.onboarding_link(account_id=made.id, idempotency_key=f"{idempotency_key}:link")
        return replace(made, onboarding_url=url)

    def onboarding_link(self, *, account_id: str, idempotency_key: str) -> str:
        """An Account Link for Express onboarding; Stripe sends the owner back to our pages."""
        page = f"{settings.SITE_URL}/payouts/onboarding/{account_id}"
        params: stripe.params.AccountLinkCreateParams = {
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": f"{page}/refresh",
            "return_url": f"{page}/return",
        }
        link = self._call(
            lambda c: c.v1.account_links.create(params, {"idempotency_key": idempotency_key}),
            missing="no_such_account",
        )
        return str(link["url"])

    def payout_account_get(self, *, account_id: str) -> PayoutAccount:
        """The account as Stripe has it now (after onboarding, or `account.updated`)."""
        account = self._call(lambda c: c.v1.accounts.retrieve(account_id), missing="no_such_account")
        return payout_account_from_stripe(account)

    def payout(self, *, account_id: str, amount: Money, idempotency_key: str) -> Payout:
        _positive(amount)
        value, currency = stripe_amount(amount, payout=True), amount.currency.lower()
        account = self._call(lambda c: c.v1.accounts.retrieve(account_id), missing="no_such_account")
        if not _ready(account):  # nothing is moved for an account that cannot be paid out
            return Payout("", account_id, PayoutStatus.FAILED, amount, "account_not_ready")
        transfer: stripe.params.TransferCreateParams = {
            "amount": value,
            "currency": currency,
            "destination": account_id,
            "metadata": {"idempotency_key": idempotency_key},
        }
        try:
            self._call(
                lambda c: c.v1.transfers.create(transfer, {"idempotency_key": idempotency_key}),
                missing="no_such_account",
            )
        except _StripeRefused as refused:
            if refused.reason != "insufficient_capabilities_for_transfer":
                raise
            return Payout("", account_id, PayoutStatus.FAILED, amount, "account_not_ready")
        params: stripe.params.PayoutCreateParams = {"amount": value, "currency": currency}
        options: stripe.RequestOptions = {
            "idempotency_key": f"{idempotency_key}:payout",
            "stripe_account": account_id,
        }
        try:
            paid = self._call(lambda c: c.v1.payouts.create(params, options), missing="no_such_account")
        except ProviderRefused as refused:  # the transfer is made: retry only the payout, same key
            raise ProviderUnavailable(
                f"The payout after the transfer failed ({refused.reason}); retrying."
            ) from None
        status = PayoutStatus.FAILED if paid["status"] in ("failed", "canceled") else PayoutStatus.PAID
        got = money_from_stripe(paid["amount"], paid["currency"])
        return Payout(paid["id"], account_id, status, got, str(paid.get("failure_code") or ""))

    # -- saved cards: a Customer, SetupIntents, its PaymentMethods ---------------------------

    def create_customer(self, *, owner_reference: str, idempotency_key: str) -> str:
        params: stripe.params.CustomerCreateParams = {"metadata": {"owner_reference": owner_reference}}
        customer = self._call(
            lambda c: c.v1.customers.create(params, {"idempotency_key": idempotency_key}),
            missing="no_such_customer",
        )
        return str(customer["id"])

    def setup_start(self, *, customer_id: str, idempotency_key: str) -> SetupStart:
        """A SetupIntent for off-session use; Stripe.js confirms it with the client secret."""
        params: stripe.params.SetupIntentCreateParams = {
            "customer": customer_id,
            "usage": "off_session",
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
        setup = self._call(
            lambda c: c.v1.setup_intents.create(params, {"idempotency_key": idempotency_key}),
            missing="no_such_customer",
        )
        return SetupStart(str(setup["id"]), str(setup["client_secret"]))

    def saved_methods(self, *, customer_id: str) -> list[SavedMethod]:
        params: stripe.params.PaymentMethodListParams = {
            "customer": customer_id,
            "type": "card",
            "limit": 100,
        }
        listed = self._call(lambda c: c.v1.payment_methods.list(params), missing="no_such_customer")
        return [_saved(method) for method in listed.get("data") or []]

    def saved_method_remove(self, *, customer_id: str, method_id: str, idempotency_key: str) -> None:
        # Stripe detaches any PaymentMethod by id: check first that it is this customer's.
        if not PAYMENT_METHOD_ID.fullmatch(method_id):
            raise ProviderRefused("no_such_payment_method", "No such saved card.")
        method = self._call(
            lambda c: c.v1.payment_methods.retrieve(method_id), missing="no_such_payment_method"
        )
        if method.get("customer") != customer_id:
            raise ProviderRefused("no_such_payment_method", "No such saved card.")
        self._call(
            lambda c: c.v1.payment_methods.detach(method_id, {}, {"idempotency_key": idempotency_key}),
            missing="no_such_payment_method",
        )

    def authorize_saved(
        self, *, amount: Money, customer_id: str, method_id: str, off_session: bool, idempotency_key: str
    ) -> Authorization:
        """A manual-capture PaymentIntent on the customer's saved PaymentMethod, confirmed at once.

        Off-session, a card the bank wants authenticated is declined `authentication_required`
        by Stripe: that raises `AuthenticationRequired` with the declined intent's id."""
        _positive(amount)
        if not PAYMENT_METHOD_ID.fullmatch(method_id):
            raise ProviderRefused("no_such_payment_method", "No such saved card.")
        params: stripe.params.PaymentIntentCreateParams = {
            "amount": stripe_amount(amount),
            "currency": amount.currency.lower(),
            "customer": customer_id,
            "payment_method": method_id,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            "capture_method": "manual",
            "confirm": True,
            "expand": ["latest_charge"],
        }
        if off_session:
            params["off_session"] = True
        try:
            intent = self._call(
                lambda c: c.v1.payment_intents.create(params, {"idempotency_key": idempotency_key}),
                missing="no_such_payment_method",
            )
        except stripe.CardError as declined:
            error = _error_of(declined)
            declined_intent = error.get("payment_intent") or {}
            if off_session and "authentication_required" in (error.get("code"), error.get("decline_code")):
                raise AuthenticationRequired(authorization_id=str(declined_intent.get("id") or "")) from None
            return _declined(declined_intent, amount, error)
        except _StripeRefused as refused:
            if refused.reason == "payment_method_unexpected_state":  # another customer's card
                raise ProviderRefused("no_such_payment_method", "No such saved card.") from None
            raise
        return _authorization(intent)

    def webhook_event(self, *, body: bytes, headers: Mapping[str, str]) -> InboundEvent:
        """Verify Stripe's `Stripe-Signature` (HMAC-SHA256 of `<t>.<body>`, 5-minute tolerance)."""
        secret = settings.STRIPE_WEBHOOK_SECRET
        if not secret:
            logger.warning("STRIPE_WEBHOOK_SECRET is not set: a Stripe webhook was answered 404.")
            raise WebhooksNotConfigured()
        try:
            event = stripe.Webhook.construct_event(
                body.decode("utf-8"), headers.get("Stripe-Signature"), secret, WEBHOOK_TOLERANCE
            )
        except stripe.SignatureVerificationError as exc:
            raise WebhookSignatureInvalid() from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise WebhookPayloadInvalid() from exc
        payload = event.to_dict()
        event_id, event_type = payload.get("id"), payload.get("type")
        if not isinstance(event_id, str) or not isinstance(event_type, str):
            raise WebhookPayloadInvalid()
        if not 0 < len(event_id) <= 120 or not 0 < len(event_type) <= 80:  # the columns' sizes
            raise WebhookPayloadInvalid()
        return InboundEvent(event_id=payload["id"], type=payload["type"], payload=payload)
