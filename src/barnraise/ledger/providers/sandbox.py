"""The sandbox: a test-mode card processor, the default payment provider.

It behaves as card processors' test modes document (the table is in docs/money.md): the
payment method is a test card number, authorizations hold for 7 days, every call is
idempotent by key across processes, and payouts go to accounts that finished a simulated
onboarding. Its books are `SandboxRecord` rows, append-only; no card number is stored.
"""

import hmac
import json
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from barnraise.db import exists, insert
from barnraise.ids import uuid7
from barnraise.ledger.models import SandboxRecord
from barnraise.ledger.providers import (
    Authorization,
    AuthorizationStatus,
    Capture,
    CaptureStatus,
    Checkout,
    Payout,
    PayoutAccount,
    PayoutStatus,
    ProviderRefused,
    Refund,
    RefundStatus,
    SavedMethod,
    SetupStart,
    Void,
    money_json,
    refusal,
)
from barnraise.money import Money

HOLD = timedelta(days=7)  # the default window (SANDBOX_AUTHORIZATION_WINDOW_HOURS)

# What a new sandbox payout account still needs, in Stripe's requirement names, so the pages
# that explain them work the same with either provider.
ONBOARDING_DUE: tuple[str, ...] = (
    "individual.first_name",
    "individual.last_name",
    "individual.dob.day",
    "individual.dob.month",
    "individual.dob.year",
    "external_account",
    "tos_acceptance.date",
    "tos_acceptance.ip",
)


class Scenario(StrEnum):
    SUCCEEDS = "succeeds"
    DECLINED = "declined"
    REQUIRES_ACTION = "requires_action"
    CAPTURE_FAILS = "capture_fails"
    DISPUTED = "disputed"
    # authenticates every payment; a saved one is refused off-session (authentication_required)
    AUTHENTICATES_ALWAYS = "authenticates_always"


TEST_CARDS: dict[str, Scenario] = {
    "4242424242424242": Scenario.SUCCEEDS,
    "4000000000000002": Scenario.DECLINED,
    "4000002500003155": Scenario.REQUIRES_ACTION,
    "4000000000000341": Scenario.CAPTURE_FAILS,
    "4000000000000259": Scenario.DISPUTED,
    "4000002760003184": Scenario.AUTHENTICATES_ALWAYS,
}
CARD_BRANDS = {"4": "visa", "5": "mastercard", "3": "amex"}


class Kind(StrEnum):
    AUTHORIZATION = "authorization"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"
    PAYOUT_ACCOUNT = "payout_account"
    ONBOARDING = "onboarding"
    PAYOUT = "payout"
    AUTHENTICATION = "authentication"
    AUTHENTICATION_FAILED = "authentication_failed"
    CHECKOUT = "checkout"  # a payment the customer confirms in the browser (sandbox_checkout)
    CUSTOMER = "customer"
    SETUP = "setup"
    SAVED_METHOD = "saved_method"
    SAVED_METHOD_REMOVAL = "saved_method_removal"
    EXPIRY = "expiry"  # a hold let go before its window ended (`authorization_expire`)


def card_digits(payment_method: str) -> str | None:
    """The card number without spaces or dashes, or None if anything else is in it."""
    digits = payment_method.replace(" ", "").replace("-", "")
    return digits if digits.isascii() and digits.isdigit() else None


def client_secret(checkout_id: str) -> str:
    """The secret of a sandbox checkout, as Stripe's `<id>_secret_<random>`: a keyed hash, so
    it is checked without being stored."""
    tag = hmac.digest(settings.SECRET_KEY.encode(), f"checkout:{checkout_id}".encode(), "sha256").hex()
    return f"{checkout_id}_secret_{tag[:32]}"


def card_outcome(digits: str | None) -> tuple[Scenario | None, str]:
    """A test card's scenario, and the decline code of a card that is declined at once."""
    scenario = TEST_CARDS.get(digits or "")
    if digits is None or not luhn_valid(digits) or scenario is None:
        return scenario, "invalid_number"
    return scenario, "card_declined" if scenario == Scenario.DECLINED else ""


def luhn_valid(digits: str) -> bool:
    if not 12 <= len(digits) <= 19:
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


@dataclass
class _Made:
    response: dict[str, Any]
    external_id: str = ""
    parent_id: str = ""
    amount: Money | None = None
    scenario: str = ""


def _new_id(prefix: str) -> str:
    return f"sbx_{prefix}_{uuid7().hex}"


def _fingerprint(kind: str, request: dict[str, Any]) -> str:
    """A keyed hash, so a request holding a card number can be compared but not recovered."""
    content = json.dumps({"kind": kind, **request}, sort_keys=True).encode()
    return hmac.digest(settings.SECRET_KEY.encode(), content, "sha256").hex()


def _replay(record: SandboxRecord) -> dict[str, Any]:
    response: dict[str, Any] = record.response
    if "error" in response:
        error = response["error"]
        raise refusal(error["reason"], error["message"], details=error.get("details"))
    return response


def _made(make: Callable[[], _Made]) -> _Made:
    try:
        return make()
    except ProviderRefused as refused:  # errors are stored and replayed too
        details = {k: v for k, v in (refused.details or {}).items() if k != "reason"}
        return _Made(
            response={"error": {"reason": refused.reason, "message": refused.message, "details": details}}
        )


def _record(kind: Kind, key: str, fingerprint: str, made: _Made) -> SandboxRecord:
    return insert(
        SandboxRecord(
            kind=kind,
            external_id=made.external_id,
            parent_id=made.parent_id,
            idempotency_key=key,
            fingerprint=fingerprint,
            amount_minor=made.amount.amount_minor if made.amount else None,
            currency=made.amount.currency if made.amount else "",
            scenario=made.scenario,
            response=made.response,
        )
    )


def _once(
    kind: Kind, key: str, request: dict[str, Any], make: Callable[[], _Made], *, reads: bool = True
) -> dict[str, Any]:
    """Answer a request once per idempotency key; replay the stored answer (or error) after.

    `make` answers a new request. One that `reads` earlier records (under their lock) runs in
    a transaction with the new record, after a look for the key. One that reads nothing (a new
    authorization, a new account) is answered and its record inserted at once, on its own: a
    repeated key then fails the insert, and the stored answer is replayed.
    """
    if not key or len(key) > 255:
        raise ProviderRefused("invalid_idempotency_key", "Give an idempotency key of 1 to 255 characters.")
    fingerprint = _fingerprint(kind, request)
    table = SandboxRecord._meta.db_table
    try:
        if not reads:
            # Inside a caller's transaction, a savepoint keeps it usable if the key is taken.
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                found = _record(kind, key, fingerprint, _made(make))
        elif exists(f"SELECT 1 FROM {table} WHERE idempotency_key = %s", [key]):  # noqa: S608 - our names
            found = SandboxRecord.objects.get(idempotency_key=key)
        else:
            with transaction.atomic():
                found = _record(kind, key, fingerprint, _made(make))
    except IntegrityError:  # the key was answered before, or by a concurrent request first
        found = SandboxRecord.objects.get(idempotency_key=key)
    if found.fingerprint != fingerprint:
        raise ProviderRefused(
            "idempotency_key_reused", "This idempotency key was used for a different request."
        )
    return _replay(found)


def _locked(kind: Kind, external_id: str, reason: str) -> SandboxRecord:
    record = SandboxRecord.objects.select_for_update().filter(kind=kind, external_id=external_id).first()
    if record is None:
        raise ProviderRefused(reason, f"No such {kind}: {external_id!r}.")
    return record


def _check_amount(amount: Money, limit: Money | None = None) -> None:
    if amount.amount_minor <= 0:
        raise ProviderRefused("invalid_amount", "The amount must be positive.")
    if limit is not None:
        if amount.currency != limit.currency:
            raise ProviderRefused("currency_mismatch", f"The amount must be in {limit.currency}.")
        if limit < amount:
            raise ProviderRefused(
                "amount_too_large",
                "The amount is more than is left.",
                details={"available_minor": limit.amount_minor},
            )


def _record_money(record: SandboxRecord) -> Money:
    return Money(int(record.amount_minor or 0), record.currency)


def _children(kind: Kind, parent_id: str) -> list[dict[str, Any]]:
    rows = SandboxRecord.objects.filter(kind=kind, parent_id=parent_id).values_list("response", flat=True)
    return [row for row in rows if "error" not in row]


def _latest(kind: Kind, parent_id: str) -> dict[str, Any] | None:
    """The newest answered record of `kind` under `parent_id` (errors left out)."""
    rows = SandboxRecord.objects.filter(kind=kind, parent_id=parent_id).order_by("-pk")
    return next((row for row in rows.values_list("response", flat=True) if "error" not in row), None)


def _authorization_made(
    amount: Money, scenario: Scenario | None, decline_code: str, *, authenticated: bool = False
) -> _Made:
    """A new authorization: declined with `decline_code`, waiting for the bank's challenge
    (unless `authenticated`), or held for 7 days."""
    if decline_code:
        status, expires_at = AuthorizationStatus.DECLINED, None
    else:
        challenge = scenario in (Scenario.REQUIRES_ACTION, Scenario.AUTHENTICATES_ALWAYS)
        waiting = challenge and not authenticated
        status = AuthorizationStatus.REQUIRES_ACTION if waiting else AuthorizationStatus.AUTHORIZED
        expires_at = timezone.now() + timedelta(hours=settings.SANDBOX_AUTHORIZATION_WINDOW_HOURS)
    auth_id = _new_id("auth")
    url = f"{settings.SITE_URL}/sandbox/authenticate/{auth_id}" if status == "requires_action" else ""
    auth = Authorization(auth_id, status, amount, expires_at, decline_code, url)
    return _Made(auth.as_json(), auth.id, amount=amount, scenario=str(scenario or ""))


def _saved_method(customer_id: str, method_id: str) -> SandboxRecord:
    """The customer's saved card (locked), unless it was removed: else `no_such_payment_method`."""
    record = (
        SandboxRecord.objects.select_for_update()
        .filter(kind=Kind.SAVED_METHOD, external_id=method_id, parent_id=customer_id)
        .first()
    )
    if record is None or _children(Kind.SAVED_METHOD_REMOVAL, method_id):
        raise ProviderRefused("no_such_payment_method", f"No such saved card: {method_id!r}.")
    return record


class SandboxProvider:
    name: ClassVar[str] = "sandbox"

    def authorization_window(self) -> timedelta:
        """The hold's length: `settings.SANDBOX_AUTHORIZATION_WINDOW_HOURS` (7 days by default)."""
        return timedelta(hours=settings.SANDBOX_AUTHORIZATION_WINDOW_HOURS)

    def authorize(self, *, amount: Money, payment_method: str, idempotency_key: str) -> Authorization:
        digits = card_digits(payment_method)
        request = {"amount": money_json(amount), "payment_method": digits or payment_method}

        def make() -> _Made:
            _check_amount(amount)
            scenario = TEST_CARDS.get(digits or "")
            if digits is None or not luhn_valid(digits) or scenario is None:
                return _authorization_made(amount, None, "invalid_number")
            return _authorization_made(
                amount, scenario, "card_declined" if scenario == Scenario.DECLINED else ""
            )

        return Authorization.from_json(_once(Kind.AUTHORIZATION, idempotency_key, request, make, reads=False))

    def checkout_create(self, *, amount: Money, idempotency_key: str, customer_id: str = "") -> Checkout:
        """A payment the customer confirms with a test card in the browser, through the
        Stripe-shaped endpoints of `sandbox_checkout` (served under /sandbox/v1/); with a
        customer, also with one of their saved cards."""
        request = {"amount": money_json(amount), **({"customer_id": customer_id} if customer_id else {})}

        def make() -> _Made:
            _check_amount(amount)
            if customer_id:
                _locked(Kind.CUSTOMER, customer_id, "no_such_customer")
            checkout_id = _new_id("pi")
            made = Checkout(checkout_id, client_secret(checkout_id), amount)
            return _Made(made.as_json(), checkout_id, customer_id, amount=amount)

        return Checkout.from_json(_once(Kind.CHECKOUT, idempotency_key, request, make, reads=False))

    def authenticate(self, *, authorization_id: str) -> Authorization:
        """Sandbox only: what the customer's approval on the bank's challenge page does."""
        request = {"authorization_id": authorization_id}

        def make() -> _Made:
            auth = _locked(Kind.AUTHORIZATION, authorization_id, "no_such_authorization")
            if auth.response["status"] != AuthorizationStatus.REQUIRES_ACTION or _children(
                Kind.AUTHENTICATION_FAILED, authorization_id
            ):
                raise ProviderRefused(
                    "nothing_to_authenticate", "This authorization needs no authentication."
                )
            return _Made({"authorization_id": authorization_id}, parent_id=authorization_id)

        _once(Kind.AUTHENTICATION, f"authentication:{authorization_id}", request, make)
        return self.authorization_get(authorization_id=authorization_id)

    def authorization_get(self, *, authorization_id: str) -> Authorization:
        record = SandboxRecord.objects.filter(kind=Kind.AUTHORIZATION, external_id=authorization_id).first()
        if record is None:
            checkout = SandboxRecord.objects.filter(kind=Kind.CHECKOUT, external_id=authorization_id).first()
            if checkout is None:
                raise ProviderRefused(
                    "no_such_authorization", f"No such authorization: {authorization_id!r}."
                )
            return Authorization(
                authorization_id,
                AuthorizationStatus.DECLINED,
                _record_money(checkout),
                None,
                "requires_payment_method",
            )
        found = Authorization.from_json(record.response)
        if found.status == AuthorizationStatus.REQUIRES_ACTION:
            if _children(Kind.AUTHENTICATION, authorization_id):
                return replace(found, status=AuthorizationStatus.AUTHORIZED, action_url="")
            if _children(Kind.AUTHENTICATION_FAILED, authorization_id):
                return Authorization(
                    found.id, AuthorizationStatus.DECLINED, found.amount, None, "authentication_failed"
                )
        return found

    def capture(self, *, authorization_id: str, amount: Money, idempotency_key: str) -> Capture:
        request = {"authorization_id": authorization_id, "amount": money_json(amount)}

        def make() -> _Made:
            auth = _locked(Kind.AUTHORIZATION, authorization_id, "no_such_authorization")
            _check_amount(amount, _record_money(auth))
            authenticated = bool(_children(Kind.AUTHENTICATION, authorization_id))
            if auth.response["status"] != AuthorizationStatus.AUTHORIZED and not authenticated:
                raise ProviderRefused(
                    "authorization_not_capturable", "This authorization cannot be captured."
                )
            if _children(Kind.VOID, authorization_id):
                raise ProviderRefused("authorization_voided", "This authorization was voided.")
            if any(c["status"] != CaptureStatus.FAILED for c in _children(Kind.CAPTURE, authorization_id)):
                raise ProviderRefused("already_captured", "This authorization was captured already.")
            status, failure = CaptureStatus.CAPTURED, ""
            lapsed = timezone.now() >= datetime.fromisoformat(auth.response["expires_at"])
            if lapsed or _children(Kind.EXPIRY, authorization_id):
                status, failure = CaptureStatus.FAILED, "authorization_expired"
            elif auth.scenario == Scenario.CAPTURE_FAILS:
                status, failure = CaptureStatus.FAILED, "card_declined"
            elif auth.scenario == Scenario.DISPUTED:
                status = CaptureStatus.DISPUTED
            capture = Capture(_new_id("cap"), authorization_id, status, amount, failure)
            return _Made(capture.as_json(), capture.id, authorization_id, amount, auth.scenario)

        return Capture.from_json(_once(Kind.CAPTURE, idempotency_key, request, make))

    def authorization_expire(self, *, authorization_id: str, report: bool = True) -> None:
        """Sandbox only: the card's bank lets the hold go now, before its window ends (Stripe
        cancels such a PaymentIntent, `cancellation_reason: "automatic"`). A capture then fails
        with `authorization_expired`. With `report`, the sandbox tells the ledger at once, as
        Stripe's `payment_intent.canceled` webhook does (escrow.lapse); without, the lapse is
        found when the capture fails. Outside any transaction."""
        request = {"authorization_id": authorization_id}

        def make() -> _Made:
            _locked(Kind.AUTHORIZATION, authorization_id, "no_such_authorization")
            if _children(Kind.VOID, authorization_id) or any(
                c["status"] != CaptureStatus.FAILED for c in _children(Kind.CAPTURE, authorization_id)
            ):
                raise ProviderRefused("authorization_not_capturable", "This hold is not held any more.")
            return _Made({"authorization_id": authorization_id}, parent_id=authorization_id)

        _once(Kind.EXPIRY, f"expiry:{authorization_id}", request, make)
        if report:
            from barnraise.ledger.escrow.lapse import hold_lapsed  # the ledger, as a webhook would

            hold_lapsed(authorization_id=authorization_id, key=f"sandbox:expiry:{authorization_id}")

    def void(self, *, authorization_id: str, idempotency_key: str) -> Void:
        request = {"authorization_id": authorization_id}

        def make() -> _Made:
            _locked(Kind.AUTHORIZATION, authorization_id, "no_such_authorization")
            if any(c["status"] != CaptureStatus.FAILED for c in _children(Kind.CAPTURE, authorization_id)):
                raise ProviderRefused("already_captured", "A captured authorization cannot be voided.")
            return _Made(Void(authorization_id).as_json(), parent_id=authorization_id)

        return Void.from_json(_once(Kind.VOID, idempotency_key, request, make))

    def refund(self, *, capture_id: str, amount: Money, idempotency_key: str) -> Refund:
        request = {"capture_id": capture_id, "amount": money_json(amount)}

        def make() -> _Made:
            capture = _locked(Kind.CAPTURE, capture_id, "no_such_capture")
            if capture.response["status"] == CaptureStatus.FAILED:
                raise ProviderRefused("capture_failed", "Nothing was captured, so nothing can be refunded.")
            if capture.response["status"] == CaptureStatus.DISPUTED:
                raise ProviderRefused("charge_disputed", "A disputed capture is settled by the dispute.")
            left = _record_money(capture)
            for earlier in _children(Kind.REFUND, capture_id):
                left = left - Money(earlier["amount"]["amount_minor"], earlier["amount"]["currency"])
            _check_amount(amount, left)
            refund = Refund(_new_id("re"), capture_id, RefundStatus.SUCCEEDED, amount)
            return _Made(refund.as_json(), refund.id, capture_id, amount)

        return Refund.from_json(_once(Kind.REFUND, idempotency_key, request, make))

    def create_payout_account(self, *, owner_reference: str, idempotency_key: str) -> PayoutAccount:
        request = {"owner_reference": owner_reference}

        def make() -> _Made:
            account_id = _new_id("acct")
            url = f"{settings.SITE_URL}/sandbox/onboarding/{account_id}"
            account = PayoutAccount(
                account_id, False, url, currently_due=ONBOARDING_DUE, disabled_reason="requirements.past_due"
            )
            return _Made(account.as_json(), account_id, owner_reference)

        return PayoutAccount.from_json(
            _once(Kind.PAYOUT_ACCOUNT, idempotency_key, request, make, reads=False)
        )

    def onboarding_complete(self, *, account_id: str, leave_due: tuple[str, ...] = ()) -> PayoutAccount:
        """Sandbox only: what the owner's visit to the onboarding page does. Everything is
        given except the requirements in `leave_due` (names from `ONBOARDING_DUE`); the
        account is ready when nothing is left. Each visit is kept; the latest one counts."""
        unknown = sorted(set(leave_due) - set(ONBOARDING_DUE))
        if unknown:
            raise ProviderRefused("invalid_request", f"The sandbox asks for no {', '.join(unknown)}.")
        due = tuple(name for name in ONBOARDING_DUE if name in leave_due)
        request = {"account_id": account_id, "leave_due": list(due)}

        def make() -> _Made:
            _locked(Kind.PAYOUT_ACCOUNT, account_id, "no_such_account")
            account = PayoutAccount(
                account_id,
                not due,
                currently_due=due,
                disabled_reason="requirements.past_due" if due else "",
                charges_enabled=True,
                payouts_enabled=not due,
                details_submitted=True,
            )
            return _Made(account.as_json(), parent_id=account_id)

        return PayoutAccount.from_json(
            _once(Kind.ONBOARDING, f"onboarding:{account_id}:{uuid7()}", request, make)
        )

    def payout_account_get(self, *, account_id: str) -> PayoutAccount:
        record = SandboxRecord.objects.filter(kind=Kind.PAYOUT_ACCOUNT, external_id=account_id).first()
        if record is None or "error" in record.response:
            raise ProviderRefused("no_such_account", f"No such payout account: {account_id!r}.")
        latest = _latest(Kind.ONBOARDING, account_id)
        found = PayoutAccount.from_json(latest or record.response)
        return replace(found, onboarding_url="")

    def onboarding_link(self, *, account_id: str, idempotency_key: str) -> str:
        """The sandbox's onboarding page, which sends the owner back to the return page."""
        if not SandboxRecord.objects.filter(kind=Kind.PAYOUT_ACCOUNT, external_id=account_id).exists():
            raise ProviderRefused("no_such_account", f"No such payout account: {account_id!r}.")
        return f"{settings.SITE_URL}/sandbox/onboarding/{account_id}"

    def payout(self, *, account_id: str, amount: Money, idempotency_key: str) -> Payout:
        request = {"account_id": account_id, "amount": money_json(amount)}

        def make() -> _Made:
            _locked(Kind.PAYOUT_ACCOUNT, account_id, "no_such_account")
            _check_amount(amount)
            latest = _latest(Kind.ONBOARDING, account_id)
            ready = bool(latest and latest["ready"])
            status = PayoutStatus.PAID if ready else PayoutStatus.FAILED
            payout = Payout(_new_id("po"), account_id, status, amount, "" if ready else "account_not_ready")
            return _Made(payout.as_json(), payout.id, account_id, amount)

        return Payout.from_json(_once(Kind.PAYOUT, idempotency_key, request, make))

    # -- saved cards -----------------------------------------------------------------------

    def create_customer(self, *, owner_reference: str, idempotency_key: str) -> str:
        request = {"owner_reference": owner_reference}

        def make() -> _Made:
            customer_id = _new_id("cus")
            return _Made({"id": customer_id}, customer_id, owner_reference)

        return str(_once(Kind.CUSTOMER, idempotency_key, request, make, reads=False)["id"])

    def setup_start(self, *, customer_id: str, idempotency_key: str) -> SetupStart:
        request = {"customer_id": customer_id}

        def make() -> _Made:
            _locked(Kind.CUSTOMER, customer_id, "no_such_customer")
            setup_id = _new_id("seti")
            setup = SetupStart(setup_id, f"{setup_id}_secret_{uuid7().hex}")
            return _Made(setup.as_json(), setup_id, customer_id)

        return SetupStart.from_json(_once(Kind.SETUP, idempotency_key, request, make))

    def setup_confirm(self, *, setup_id: str, client_secret: str, card_number: str) -> SavedMethod:
        """Sandbox only: what the customer's page does with a started setup and a test card.

        The card is saved on the setup's customer (a card that asks for authentication counts as
        authenticated here, as the bank's challenge is part of saving it). Once per setup."""
        digits = card_digits(card_number)
        request = {"setup_id": setup_id, "client_secret": client_secret, "card": digits or card_number}

        def make() -> _Made:
            setup = _locked(Kind.SETUP, setup_id, "no_such_setup")
            if not hmac.compare_digest(setup.response.get("client_secret", ""), client_secret):
                raise ProviderRefused("no_such_setup", f"No such setup: {setup_id!r}.")
            scenario = TEST_CARDS.get(digits or "")
            if digits is None or not luhn_valid(digits) or scenario is None:
                raise ProviderRefused("invalid_number", "This is not a test card of the sandbox.")
            if scenario == Scenario.DECLINED:
                raise ProviderRefused("card_declined", "The card was declined.")
            year = timezone.now().year + 3
            method = SavedMethod(_new_id("pm"), CARD_BRANDS.get(digits[0], "card"), digits[-4:], 12, year)
            return _Made(method.as_json(), method.id, setup.parent_id, scenario=str(scenario))

        key = f"setup-confirm:{setup_id}"
        return SavedMethod.from_json(_once(Kind.SAVED_METHOD, key, request, make))

    def saved_methods(self, *, customer_id: str) -> list[SavedMethod]:
        rows = SandboxRecord.objects.filter(kind=Kind.SAVED_METHOD, parent_id=customer_id).order_by("-id")
        removed = set(
            SandboxRecord.objects.filter(
                kind=Kind.SAVED_METHOD_REMOVAL, parent_id__in=[r.external_id for r in rows]
            ).values_list("parent_id", flat=True)
        )
        return [
            SavedMethod.from_json(row.response)
            for row in rows
            if "error" not in row.response and row.external_id not in removed
        ]

    def saved_method_remove(self, *, customer_id: str, method_id: str, idempotency_key: str) -> None:
        request = {"customer_id": customer_id, "method_id": method_id}

        def make() -> _Made:
            _saved_method(customer_id, method_id)
            return _Made({"removed": method_id}, parent_id=method_id)

        _once(Kind.SAVED_METHOD_REMOVAL, idempotency_key, request, make)

    def authorize_saved(
        self, *, amount: Money, customer_id: str, method_id: str, off_session: bool, idempotency_key: str
    ) -> Authorization:
        request = {
            "amount": money_json(amount),
            "customer_id": customer_id,
            "method_id": method_id,
            "off_session": off_session,
        }

        def make() -> _Made:
            _check_amount(amount)
            scenario = Scenario(_saved_method(customer_id, method_id).scenario)
            if off_session and scenario == Scenario.AUTHENTICATES_ALWAYS:
                raise refusal(
                    "authentication_required", "The bank wants the customer to confirm this payment."
                )
            # a card authenticated when it was saved needs no challenge off-session
            return _authorization_made(amount, scenario, "", authenticated=off_session)

        return Authorization.from_json(_once(Kind.AUTHORIZATION, idempotency_key, request, make))
