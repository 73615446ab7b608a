"""Payment providers: one Protocol, the value types it returns, and the one chosen in settings.

`settings.PAYMENT_PROVIDER` names the implementation; `provider()` returns it. Every method is
keyword-only and takes an `idempotency_key`: the same key replays the first answer (errors
included), and the same key with a different request raises `ProviderRefused` with reason
`idempotency_key_reused`.

Outcomes of a well-formed request come back as values (a decline, a failed capture, a dispute,
a payout to an account that is not ready). Requests the provider refuses (an unknown id, a
refund above what is left, a reused key) raise `ProviderRefused`, which is final. Anything else
raised (`ProviderUnavailable`, a network error) is transient: retry with the same key.

Never call a provider inside a database transaction or while holding a lock; see
`barnraise.ledger.payments` for the outbox (`ProviderCall`) that does it after commit.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from barnraise.errors import DomainError
from barnraise.money import Money

# name -> dotted path of the class. A contract test runs every one of them.
IMPLEMENTATIONS: dict[str, str] = {
    "sandbox": "barnraise.ledger.providers.sandbox.SandboxProvider",
    "stripe": "barnraise.ledger.providers.stripe.StripeProvider",
}
# Names the setting accepts that have no adapter yet.
PLANNED: frozenset[str] = frozenset()


class ProviderError(DomainError):
    code = "provider_error"
    status = 502
    default_message = _("The payment provider could not process the request.")


class ProviderUnavailable(ProviderError):
    """Transient: the provider did not answer. Retry with the same idempotency key."""

    code = "provider_unavailable"
    status = 503
    default_message = _("The payment provider is not answering; try again shortly.")


class ProviderRefused(ProviderError):
    """Final: the provider refused the request itself; `reason` is its code for why."""

    code = "provider_refused"
    status = 422
    default_message = _("The payment provider refused the request.")

    def __init__(self, reason: str, message: str | None = None, *, details: Any = None) -> None:
        super().__init__(message, details={"reason": reason, **(details or {})})
        self.reason = reason


class AuthenticationRequired(ProviderRefused):
    """Final for this attempt: an off-session payment with a saved card that the bank wants the
    customer to authenticate. Ask the customer to pay on-session (with the same card or another);
    `details.authorization_id` is the provider's declined attempt, where it has one."""

    def __init__(self, message: str | None = None, *, authorization_id: str = "") -> None:
        super().__init__(
            "authentication_required",
            message or str(_("The bank wants the customer to confirm this payment.")),
            details={"authorization_id": authorization_id},
        )
        self.authorization_id = authorization_id


def refusal(reason: str, message: str | None = None, *, details: Any = None) -> ProviderRefused:
    """The refusal for `reason`: `AuthenticationRequired` for `authentication_required`."""
    if reason == "authentication_required":
        return AuthenticationRequired(
            message, authorization_id=str((details or {}).get("authorization_id", ""))
        )
    return ProviderRefused(reason, message, details=details)


class CardDeclined(DomainError):
    """A declined first authorization: nothing is written; `details.decline_code` says why."""

    code = "card_declined"
    status = 402
    default_message = _("The card was declined.")


class AuthorizationStatus(StrEnum):
    AUTHORIZED = "authorized"
    REQUIRES_ACTION = "requires_action"
    DECLINED = "declined"


class CaptureStatus(StrEnum):
    CAPTURED = "captured"
    FAILED = "failed"
    DISPUTED = "disputed"  # captured, then a chargeback was reported


class RefundStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PayoutStatus(StrEnum):
    PAID = "paid"
    FAILED = "failed"


def money_json(amount: Money) -> dict[str, Any]:
    return {"amount_minor": amount.amount_minor, "currency": amount.currency}


def money_from(data: dict[str, Any]) -> Money:
    return Money(int(data["amount_minor"]), str(data["currency"]))


@dataclass(frozen=True, slots=True)
class Authorization:
    id: str
    status: AuthorizationStatus
    amount: Money
    expires_at: datetime | None  # when the hold lapses; None when declined
    decline_code: str = ""
    # requires_action: where the customer completes the bank's challenge, when it is a page
    action_url: str = ""
    # the card the provider charged, when it says (its brand, e.g. "visa", and last 4 digits)
    card_brand: str = ""
    card_last4: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": str(self.status),
            "amount": money_json(self.amount),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "decline_code": self.decline_code,
            "action_url": self.action_url,
            "card_brand": self.card_brand,
            "card_last4": self.card_last4,
        }

    def card_label(self) -> str:
        """The card as a payment records it ("visa:…4242"), or "" when the provider did not say."""
        return f"{self.card_brand or 'card'}:…{self.card_last4}" if self.card_last4 else ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Authorization":
        expires = data.get("expires_at")
        return cls(
            id=data["id"],
            status=AuthorizationStatus(data["status"]),
            amount=money_from(data["amount"]),
            expires_at=datetime.fromisoformat(expires) if expires else None,
            decline_code=data.get("decline_code", ""),
            action_url=data.get("action_url", ""),
            card_brand=data.get("card_brand", ""),
            card_last4=data.get("card_last4", ""),
        )


@dataclass(frozen=True, slots=True)
class Checkout:
    """A payment the customer confirms in the browser (Stripe's PaymentIntent with manual
    capture). `client_secret` goes to the customer's page only; once confirmed there, `id` is
    the authorization's id (`authorization_get` tells whether the money is held)."""

    id: str
    client_secret: str
    amount: Money

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "client_secret": self.client_secret, "amount": money_json(self.amount)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Checkout":
        return cls(id=data["id"], client_secret=data["client_secret"], amount=money_from(data["amount"]))


@dataclass(frozen=True, slots=True)
class Capture:
    id: str
    authorization_id: str
    status: CaptureStatus
    amount: Money
    failure_code: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "authorization_id": self.authorization_id,
            "status": str(self.status),
            "amount": money_json(self.amount),
            "failure_code": self.failure_code,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Capture":
        return cls(
            id=data["id"],
            authorization_id=data["authorization_id"],
            status=CaptureStatus(data["status"]),
            amount=money_from(data["amount"]),
            failure_code=data.get("failure_code", ""),
        )


@dataclass(frozen=True, slots=True)
class Void:
    authorization_id: str
    status: str = "voided"

    def as_json(self) -> dict[str, Any]:
        return {"authorization_id": self.authorization_id, "status": self.status}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Void":
        return cls(authorization_id=data["authorization_id"], status=data.get("status", "voided"))


@dataclass(frozen=True, slots=True)
class Refund:
    id: str
    capture_id: str
    status: RefundStatus
    amount: Money
    failure_code: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "capture_id": self.capture_id,
            "status": str(self.status),
            "amount": money_json(self.amount),
            "failure_code": self.failure_code,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Refund":
        return cls(
            id=data["id"],
            capture_id=data["capture_id"],
            status=RefundStatus(data["status"]),
            amount=money_from(data["amount"]),
            failure_code=data.get("failure_code", ""),
        )


@dataclass(frozen=True, slots=True)
class PayoutAccount:
    """A payout account as the provider has it. `ready`: payouts may be sent; otherwise the
    owner finishes onboarding first. `currently_due` and `past_due` are the provider's names of
    what it still needs (Stripe's requirement names, e.g. `individual.dob.day`,
    `external_account`); `disabled_reason` says why the account is switched off, if it is."""

    id: str
    ready: bool
    onboarding_url: str = ""
    currently_due: tuple[str, ...] = ()
    past_due: tuple[str, ...] = ()
    disabled_reason: str = ""
    charges_enabled: bool = False
    payouts_enabled: bool = False
    details_submitted: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ready": self.ready,
            "onboarding_url": self.onboarding_url,
            "currently_due": list(self.currently_due),
            "past_due": list(self.past_due),
            "disabled_reason": self.disabled_reason,
            "charges_enabled": self.charges_enabled,
            "payouts_enabled": self.payouts_enabled,
            "details_submitted": self.details_submitted,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "PayoutAccount":
        ready = bool(data["ready"])
        return cls(
            id=data["id"],
            ready=ready,
            onboarding_url=data.get("onboarding_url", ""),
            currently_due=tuple(data.get("currently_due") or ()),
            past_due=tuple(data.get("past_due") or ()),
            disabled_reason=data.get("disabled_reason") or "",
            # Answers stored before these fields were kept: what `ready` implies.
            charges_enabled=bool(data.get("charges_enabled", ready)),
            payouts_enabled=bool(data.get("payouts_enabled", ready)),
            details_submitted=bool(data.get("details_submitted", ready)),
        )


@dataclass(frozen=True, slots=True)
class Payout:
    id: str
    account_id: str
    status: PayoutStatus
    amount: Money
    failure_code: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account_id": self.account_id,
            "status": str(self.status),
            "amount": money_json(self.amount),
            "failure_code": self.failure_code,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Payout":
        return cls(
            id=data["id"],
            account_id=data["account_id"],
            status=PayoutStatus(data["status"]),
            amount=money_from(data["amount"]),
            failure_code=data.get("failure_code", ""),
        )


@dataclass(frozen=True, slots=True)
class SetupStart:
    """A started setup of a card to save: the customer's page confirms it with `client_secret`."""

    id: str
    client_secret: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "client_secret": self.client_secret}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "SetupStart":
        return cls(id=data["id"], client_secret=data["client_secret"])


@dataclass(frozen=True, slots=True)
class SavedMethod:
    """A card saved at the provider for a customer; never its number."""

    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "brand": self.brand,
            "last4": self.last4,
            "exp_month": self.exp_month,
            "exp_year": self.exp_year,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "SavedMethod":
        return cls(
            id=data["id"],
            brand=data["brand"],
            last4=data["last4"],
            exp_month=int(data["exp_month"]),
            exp_year=int(data["exp_year"]),
        )


class PaymentProvider(Protocol):
    """What every payment provider does. All amounts are `Money`; ids are the provider's."""

    name: ClassVar[str]

    def authorization_window(self) -> timedelta:
        """How long an authorization holds the money (Stripe: 7 days for most cards). A deal
        that starts further out saves the card and is authorized nearer the date."""
        ...

    def authorize(self, *, amount: Money, payment_method: str, idempotency_key: str) -> Authorization:
        """Hold `amount` on the payment method (a card number in the sandbox)."""
        ...

    def authorization_get(self, *, authorization_id: str) -> Authorization:
        """The authorization as it stands now: one that required action is `authorized` once
        the customer completed the bank's challenge. A checkout the customer has not confirmed
        (yet) is `declined` with decline code `requires_payment_method`."""
        ...

    def checkout_create(self, *, amount: Money, idempotency_key: str, customer_id: str = "") -> Checkout:
        """A payment of `amount` with manual capture, for the customer to confirm in the browser
        with the provider's client-side script (Stripe.js, or Barnraise's shim of it). With the
        payer's `customer_id` (`create_customer`) the page may confirm it with a saved card."""
        ...

    def capture(self, *, authorization_id: str, amount: Money, idempotency_key: str) -> Capture:
        """Take up to the authorized amount; fails once the hold has expired."""
        ...

    def void(self, *, authorization_id: str, idempotency_key: str) -> Void:
        """Release an authorization that was not captured."""
        ...

    def refund(self, *, capture_id: str, amount: Money, idempotency_key: str) -> Refund:
        """Send back part or all of a capture; never more than is left of it."""
        ...

    def create_payout_account(self, *, owner_reference: str, idempotency_key: str) -> PayoutAccount:
        """An account the owner (e.g. "member:<id>") is paid out to, with its onboarding."""
        ...

    def payout_account_get(self, *, account_id: str) -> PayoutAccount:
        """The payout account as the provider has it now (after onboarding), with what it
        still needs. `onboarding_url` is empty: make a fresh link with `onboarding_link`."""
        ...

    def onboarding_link(self, *, account_id: str, idempotency_key: str) -> str:
        """A new link where the owner continues onboarding (links expire: make one per visit).
        The provider sends the owner back to `/payouts/onboarding/<account_id>/return`, or to
        `…/refresh` when the link expired."""
        ...

    def payout(self, *, account_id: str, amount: Money, idempotency_key: str) -> Payout:
        """Send `amount` to a ready payout account."""
        ...

    # Saved payment methods. A member's cards are saved on a customer at the provider.

    def create_customer(self, *, owner_reference: str, idempotency_key: str) -> str:
        """A customer at the provider for the owner (e.g. "member:<id>"); answers its id."""
        ...

    def setup_start(self, *, customer_id: str, idempotency_key: str) -> SetupStart:
        """Start saving a card for later (a SetupIntent): the customer's page confirms it with
        the client secret, authenticating the card once where the bank asks."""
        ...

    def saved_methods(self, *, customer_id: str) -> list[SavedMethod]:
        """The customer's saved cards, newest first."""
        ...

    def saved_method_remove(self, *, customer_id: str, method_id: str, idempotency_key: str) -> None:
        """Forget a saved card; `no_such_payment_method` if it is not this customer's."""
        ...

    def authorize_saved(
        self, *, amount: Money, customer_id: str, method_id: str, off_session: bool, idempotency_key: str
    ) -> Authorization:
        """Hold `amount` on a saved card of the customer. On-session (the customer is there) a
        bank's challenge is `requires_action`; off-session it raises `AuthenticationRequired`."""
        ...


def implementations() -> list[str]:
    return sorted(IMPLEMENTATIONS)


@cache
def _load(name: str) -> PaymentProvider:
    if name in PLANNED and name not in IMPLEMENTATIONS:
        raise ImproperlyConfigured(f"PAYMENT_PROVIDER={name!r} is not available yet; use 'sandbox'.")
    if name not in IMPLEMENTATIONS:
        raise ImproperlyConfigured(f"PAYMENT_PROVIDER={name!r} is not a payment provider.")
    implementation: PaymentProvider = import_string(IMPLEMENTATIONS[name])()
    return implementation


def provider(name: str | None = None) -> PaymentProvider:
    """The implementation named by `settings.PAYMENT_PROVIDER` (or `name`)."""
    return _load(name or settings.PAYMENT_PROVIDER)
