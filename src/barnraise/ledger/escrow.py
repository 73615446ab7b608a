"""Escrow: the money steps the processes name, and the provider answers that move deals on.

A deal's payment (`Payment`, one per transaction) goes:

    authorized ──request_capture──▶ capture_pending ──▶ captured ──release──▶ released
        │                                 │                 └──refund (all)──▶ refunded
        └──void──▶ voided                 └──▶ capture_failed (then voided)

The actions below run inside the engine's transaction, so money moves exactly when the
transition commits. They touch only the database: a provider call is a `ProviderCall` row
that the worker makes after commit (barnraise.ledger.payments), and its answer comes back as
a `system` transition (`payment_captured`, `payment_failed`, `chargeback`). The entries they
post are described, with a worked example, in docs/money.md.

The provider's share of a finished deal goes to their *pending* balance; a timer moves it to
*available* when the dispute window closes, unless a dispute froze it.
"""

import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts.models import User
from barnraise.errors import Conflict, DomainError, InvalidInput
from barnraise.ledger import payments, selectors, services, webhooks
from barnraise.ledger.errors import PayoutAccountRequired
from barnraise.ledger.models import (
    AccountKind,
    EntryKind,
    Payment,
    PaymentStatus,
    PayoutAccount,
    ProviderCall,
    ProviderCallStatus,
    ProviderOperation,
)
from barnraise.ledger.providers import (
    Authorization,
    CaptureStatus,
)
from barnraise.money import Money, round_minor

logger = logging.getLogger(__name__)

SETTLE_HANDLER = "ledger.settle_payment"


def reference_of(tx: Any) -> str:
    return f"transaction:{tx.pk}"


def _payment(tx: Any) -> Payment | None:
    return Payment.objects.filter(reference=reference_of(tx)).first()


def _account(kind: str, currency: str, owner_id: Any = None, reference: str = "") -> Any:
    owner = User(pk=owner_id) if owner_id is not None else None
    return services.account_for(kind, owner=owner, reference=reference, currency=currency)


def _money(payment: Payment, amount_minor: int) -> Money:
    return Money(amount_minor, payment.currency)


# --- Guards -------------------------------------------------------------------------------------


def guard_provider_can_be_paid(ctx: Any) -> None:
    """A paid deal is taken only by a provider whose payout account finished onboarding."""
    if not PayoutAccount.objects.filter(owner_id=ctx.tx.provider_id, ready=True).exists():
        raise PayoutAccountRequired()


# --- Actions ------------------------------------------------------------------------------------


def hold_payment(ctx: Any) -> None:
    """Record the authorization the service made before this transition."""
    tx = ctx.tx
    if ctx.dry_run or tx.total_amount_minor <= 0:
        return
    held = ctx.notes.get("authorization")
    if not held:
        raise InvalidInput(details={"payment_method": [_("This step takes a payment method.")]})
    authorization = Authorization.from_json(held)
    if authorization.amount != Money(tx.total_amount_minor, tx.currency):
        raise Conflict(_("The price changed while the card was being authorized; try again."))
    ctx.insert(
        Payment(
            reference=reference_of(tx),
            payer_id=tx.customer_id,
            payee_id=tx.provider_id,
            currency=tx.currency,
            amount_minor=tx.total_amount_minor,
            provider_share_minor=tx.provider_payout_minor,
            payment_method=ctx.notes.get("payment_method", ""),
            authorization_id=authorization.id,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
    )


def request_capture(ctx: Any) -> None:
    """Ask the provider to capture the hold; the worker reports through a system transition."""
    payment = _payment(ctx.tx)
    if ctx.dry_run or payment is None:
        return
    payments.provider_call_create(
        operation=ProviderOperation.CAPTURE,
        reference=payment.reference,
        idempotency_key=f"{payment.reference}:capture",
        amount=_money(payment, payment.amount_minor),
        authorization_id=payment.authorization_id,
    )
    _save(payment, ctx.now, status=PaymentStatus.CAPTURE_PENDING)


def record_capture(ctx: Any) -> None:
    """The capture succeeded: the customer's money enters the deal's escrow account."""
    payment = _payment(ctx.tx)
    if ctx.dry_run or payment is None:
        return
    amount = _money(payment, payment.amount_minor)
    services.entry_post(
        kind=EntryKind.CAPTURE,
        reference=payment.reference,
        lines=[
            (_account(AccountKind.EXTERNAL_FUNDING, payment.currency), amount),
            (_account(AccountKind.ESCROW, payment.currency, reference=payment.reference), -amount),
        ],
        idempotency_key=f"{payment.reference}:capture",
    )
    _save(payment, ctx.now, status=PaymentStatus.CAPTURED, capture_id=ctx.notes.get("capture_id", ""))


def void_payment(ctx: Any) -> None:
    """Give the customer everything back: release a hold, or refund a capture in full."""
    _give_back(ctx, Decimal(100))


def refund_by_policy(ctx: Any) -> None:
    """The customer cancels: refund the share the snapshotted cancellation policy gives."""
    from barnraise.commerce.cancellation import refund_percent  # a pure function of the snapshot

    _give_back(ctx, refund_percent(ctx.tx.cancellation_policy, ctx.tx.start, ctx.now))


def release_to_provider(ctx: Any) -> None:
    """At completion: escrow goes to the provider's pending balance, fees to the platform."""
    payment = _payment(ctx.tx)
    if ctx.dry_run or payment is None or payment.status != PaymentStatus.CAPTURED:
        return
    _close_out(payment, refund_minor=0, now=ctx.now, key=f"{payment.reference}:release")


def freeze_payout(ctx: Any) -> None:
    """A dispute is open: the provider's pending share waits for the operator."""
    payment = _payment(ctx.tx)
    if not ctx.dry_run and payment is not None:
        _save(payment, ctx.now, frozen=True)


def record_chargeback(ctx: Any) -> None:
    """The card issuer took the money back: the platform is out of it until the dispute is
    resolved (what the operator then gives the customer is recovered from the deal)."""
    payment = _payment(ctx.tx)
    if ctx.dry_run or payment is None or payment.chargeback_minor:
        return
    amount = _money(payment, payment.amount_minor - payment.refunded_minor)
    if amount.amount_minor <= 0:
        return
    services.entry_post(
        kind=EntryKind.CHARGEBACK,
        reference=payment.reference,
        lines=[
            (_account(AccountKind.CHARGEBACKS, payment.currency), amount),
            (_account(AccountKind.EXTERNAL_FUNDING, payment.currency), -amount),
        ],
        idempotency_key=f"{payment.reference}:chargeback",
    )
    _save(payment, ctx.now, chargeback_minor=amount.amount_minor)


def resolve_dispute(ctx: Any) -> None:
    """The operator's decision: `refund` ({amount_minor, currency}, default none) goes back to
    the customer; the rest of the deal is paid out at once, in the usual shares."""
    payment = _payment(ctx.tx)
    refund = ctx.params.get("refund") or {"amount_minor": 0, "currency": ctx.tx.currency}
    left = (payment.amount_minor - payment.refunded_minor) if payment else 0
    if (
        not isinstance(refund, dict)
        or type(refund.get("amount_minor")) is not int
        or refund.get("currency") != ctx.tx.currency
        or not 0 <= refund["amount_minor"] <= left
    ):
        raise InvalidInput(
            details={
                "params.refund": [
                    _("Give {amount_minor, currency} in %(currency)s, from 0 to %(left)d.")
                    % {"currency": ctx.tx.currency, "left": left}
                ]
            }
        )
    if ctx.dry_run or payment is None:
        return
    key = f"{payment.reference}:resolve"
    if payment.status == PaymentStatus.CAPTURED:  # still in escrow (a chargeback before completion)
        _close_out(payment, refund_minor=refund["amount_minor"], now=ctx.now, key=key)
    else:
        _claw_back(payment, refund_minor=refund["amount_minor"], now=ctx.now, key=key)
    payment.refresh_from_db()
    _save(payment, ctx.now, frozen=False)
    settle(payment, now=ctx.now)


# --- The arithmetic and the entries -------------------------------------------------------------


def shares(payment: Payment, *, kept_minor: int) -> tuple[int, int]:
    """How `kept_minor` of the payment (what the customer does not get back) is shared:
    the provider keeps their share of the price in proportion, the platform the rest."""
    if payment.amount_minor <= 0:
        return 0, 0
    provider = round_minor(Decimal(payment.provider_share_minor) * kept_minor / payment.amount_minor)
    return provider, kept_minor - provider


def _give_back(ctx: Any, percent: Decimal) -> None:
    payment = _payment(ctx.tx)
    if ctx.dry_run or payment is None:
        return
    if payment.status in (
        PaymentStatus.AUTHORIZED,
        PaymentStatus.CAPTURE_PENDING,
        PaymentStatus.CAPTURE_FAILED,
    ):
        # Nothing was taken: the whole hold is released whatever the policy says.
        payments.provider_call_create(
            operation=ProviderOperation.VOID,
            reference=payment.reference,
            idempotency_key=f"{payment.reference}:void",
            authorization_id=payment.authorization_id,
        )
        _save(payment, ctx.now, status=PaymentStatus.VOIDED)
    elif payment.status == PaymentStatus.CAPTURED:
        refund = _money(payment, payment.amount_minor).percent(percent).amount_minor
        _close_out(payment, refund_minor=refund, now=ctx.now, key=f"{payment.reference}:cancel")


def _refund_call(payment: Payment, amount_minor: int, key: str) -> None:
    if amount_minor > 0 and not payment.chargeback_minor:  # a chargeback has paid the card already
        payments.provider_call_create(
            operation=ProviderOperation.REFUND,
            reference=payment.reference,
            idempotency_key=f"{key}:refund",
            amount=_money(payment, amount_minor),
            capture_id=payment.capture_id,
        )


def _refund_account(payment: Payment) -> Any:
    """Where a refund is credited: the refunds account, or, after a chargeback, the chargebacks
    account (the issuer already returned the money; the deal now makes good the platform)."""
    kind = AccountKind.CHARGEBACKS if payment.chargeback_minor else AccountKind.REFUNDS
    return _account(kind, payment.currency)


def _close_out(payment: Payment, *, refund_minor: int, now: Any, key: str) -> None:
    """Empty the deal's escrow: `refund_minor` back to the customer, the rest shared between
    the provider's pending balance and the platform's revenue."""
    escrow = _account(AccountKind.ESCROW, payment.currency, reference=payment.reference)
    held = payment.amount_minor - payment.refunded_minor
    provider, platform = shares(payment, kept_minor=held - refund_minor)
    services.entry_post(
        kind=EntryKind.REFUND if refund_minor else EntryKind.RELEASE,
        reference=payment.reference,
        lines=[
            (escrow, _money(payment, held)),
            (_refund_account(payment), _money(payment, -refund_minor)),
            (
                _account(AccountKind.MEMBER_PENDING, payment.currency, owner_id=payment.payee_id),
                _money(payment, -provider),
            ),
            (_account(AccountKind.PLATFORM_REVENUE, payment.currency), _money(payment, -platform)),
        ],
        idempotency_key=key,
    )
    _refund_call(payment, refund_minor, key)
    status = PaymentStatus.REFUNDED if refund_minor == held else PaymentStatus.RELEASED
    _save(
        payment,
        now,
        status=status,
        refunded_minor=payment.refunded_minor + refund_minor,
        pending_minor=payment.pending_minor + provider,
    )
    if provider > 0:
        _schedule_settle(payment, now)


def _claw_back(payment: Payment, *, refund_minor: int, now: Any, key: str) -> None:
    """A refund after release: the provider gives back their share of it (from pending, then
    available, then as a receivable later earnings settle), the platform its fees."""
    if refund_minor <= 0:
        return
    released = payment.amount_minor - payment.refunded_minor
    provider_before, _platform_before = shares(payment, kept_minor=released)
    provider_after, _platform_after = shares(payment, kept_minor=released - refund_minor)
    from_provider = provider_before - provider_after
    from_platform = refund_minor - from_provider
    pending = _account(AccountKind.MEMBER_PENDING, payment.currency, owner_id=payment.payee_id)
    available = _account(AccountKind.MEMBER_AVAILABLE, payment.currency, owner_id=payment.payee_id)
    from_pending = min(from_provider, payment.pending_minor)
    from_available = min(from_provider - from_pending, max(0, selectors.balance_of(available).amount_minor))
    owed = from_provider - from_pending - from_available
    services.entry_post(
        kind=EntryKind.REFUND,
        reference=payment.reference,
        lines=[
            (pending, _money(payment, from_pending)),
            (available, _money(payment, from_available)),
            (
                _account(AccountKind.PROVIDER_RECEIVABLE, payment.currency, owner_id=payment.payee_id),
                _money(payment, owed),
            ),
            (_account(AccountKind.PLATFORM_REVENUE, payment.currency), _money(payment, from_platform)),
            (_refund_account(payment), _money(payment, -refund_minor)),
        ],
        idempotency_key=key,
    )
    _refund_call(payment, refund_minor, key)
    _save(
        payment,
        now,
        status=PaymentStatus.REFUNDED if refund_minor == released else payment.status,
        refunded_minor=payment.refunded_minor + refund_minor,
        pending_minor=payment.pending_minor - from_pending,
    )


def _schedule_settle(payment: Payment, now: Any) -> None:
    from barnraise.commerce import timers  # generic timers; no commerce model is touched
    from barnraise.commerce.actions import policy

    timers.cancel_pending(target=f"payment:{payment.pk}", handler=SETTLE_HANDLER)
    timers.schedule(
        handler=SETTLE_HANDLER,
        target=f"payment:{payment.pk}",
        due_at=now + timedelta(days=policy().dispute_window_days),
        payload={"payment": str(payment.pk)},
    )


def settle(payment: Payment, *, now: Any) -> None:
    """Move the payment's pending share to the provider's available balance, paying off any
    receivable first. Skipped while a dispute froze it; safe to call twice."""
    settle_many([payment.pk], now=now)


def settle_many(payment_ids: list[Any], *, now: Any) -> int:
    """`settle` for many payments, as one batch of entries (`entries_post`); how many settled.

    A provider with several payments in the batch pays off a receivable once: each entry
    counts what the ones before it paid off.
    """
    payments = list(
        Payment.objects.select_for_update()
        .filter(pk__in=payment_ids, frozen=False, pending_minor__gt=0)
        .order_by("pk")
    )
    if not payments:
        return 0
    # Per provider and currency: their three accounts and what they still owe, read once.
    books: dict[tuple[Any, str], tuple[Any, Any, Any]] = {}
    owed: dict[tuple[Any, str], int] = {}
    entries = []
    for payment in payments:
        key = (payment.payee_id, payment.currency)
        if key not in books:
            books[key] = tuple(
                _account(kind, payment.currency, owner_id=payment.payee_id)
                for kind in (
                    AccountKind.MEMBER_PENDING,
                    AccountKind.PROVIDER_RECEIVABLE,
                    AccountKind.MEMBER_AVAILABLE,
                )
            )
            owed[key] = max(0, selectors.balance_of(books[key][1]).amount_minor)
        pending, receivable, available = books[key]
        amount = payment.pending_minor
        pay_off = min(owed[key], amount)
        owed[key] -= pay_off
        entries.append(
            services.NewEntry(
                kind=EntryKind.SETTLE,
                reference=payment.reference,
                lines=[
                    (pending, _money(payment, amount)),
                    (receivable, _money(payment, -pay_off)),
                    (available, _money(payment, pay_off - amount)),
                ],
                idempotency_key=f"{payment.reference}:settle:{payment.refunded_minor}:{amount}",
            )
        )
    services.entries_post(entries)
    Payment.objects.filter(pk__in=[p.pk for p in payments]).update(
        pending_minor=0, settled=True, updated_at=now
    )
    return len(payments)


def settle_due(timer: Any) -> None:
    """Timer handler: the dispute window of a finished deal closed."""
    settle_due_many([timer])


def settle_due_many(due: list[Any]) -> None:
    """Timer handler for many: the settlements whose dispute windows closed, in one batch."""
    settle_many([timer.payload["payment"] for timer in due], now=timezone.now())


def _save(payment: Payment, now: Any, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(payment, name, value)
    payment.updated_at = now
    payment.save(update_fields=[*fields, "updated_at"])


# --- Provider answers ---------------------------------------------------------------------------


def _report(call: ProviderCall, name: str, notes: dict[str, Any], suffix: str = "") -> None:
    """Move the deal by a system transition; a deal that moved on already is left alone."""
    from barnraise.commerce import engine
    from barnraise.commerce import selectors as commerce_selectors

    tx = commerce_selectors.transaction_by_reference(call.reference)
    if tx is None:
        return
    try:
        engine.transition(
            tx, name, actor=None, idempotency_key=f"provider_call:{call.pk}{suffix}", notes=notes
        )
    except DomainError as refused:
        logger.warning(
            "provider call %s: %s not taken on %s: %s", call.pk, name, call.reference, refused.code
        )


def on_capture(call: ProviderCall) -> None:
    result = call.result
    captured = call.status == ProviderCallStatus.SUCCEEDED and result.get("status") in (
        CaptureStatus.CAPTURED,
        CaptureStatus.DISPUTED,
    )
    if not captured:
        _report(call, "payment_failed", {"failure": result.get("failure_code") or result.get("error", {})})
        return
    _report(call, "payment_captured", {"capture_id": result["id"]})
    if result.get("status") == CaptureStatus.DISPUTED:
        _report(call, "chargeback", {}, suffix=":chargeback")


def on_dispute_webhook(event: Any) -> None:
    """A card dispute reported by the provider's webhook (Stripe's `charge.dispute.created`):
    the deal whose capture it names goes to `disputed`, once per event."""
    charge = (event.payload.get("data") or {}).get("object", {}).get("charge")
    payment = Payment.objects.filter(capture_id=charge).first() if charge else None
    if payment is None:
        logger.warning("dispute webhook %s names no known capture", event.event_id)
        return
    call = ProviderCall(pk=None, reference=payment.reference)
    _report(call, "chargeback", {}, suffix="")


def register() -> None:
    """Called by LedgerConfig.ready(): the actions, the guard, the hooks and the handlers."""
    from barnraise.commerce import registry, timers
    from barnraise.ledger.authorization import abandon, authorize

    actions = {
        "hold_payment": hold_payment,
        "request_capture": request_capture,
        "record_capture": record_capture,
        "void_payment": void_payment,
        "refund_payment": void_payment,
        "refund_by_policy": refund_by_policy,
        "release_to_provider": release_to_provider,
        "freeze_payout": freeze_payout,
        "record_chargeback": record_chargeback,
        "resolve_dispute": resolve_dispute,
    }
    for name, action in actions.items():
        # hold_payment only hands its row to the engine: it need not wait for the booking's
        registry.register_action(
            name,
            action,
            dry_run_writes=name != "hold_payment",
            sees_new_rows=name != "hold_payment",
            records_payment=name == "hold_payment",
        )
    registry.register_guard("provider_can_be_paid", guard_provider_can_be_paid)
    registry.register_payment_hooks(authorize=authorize, abandon=abandon)
    timers.register_handler(SETTLE_HANDLER, settle_due, batch=settle_due_many)
    payments.register_result_handler(ProviderOperation.CAPTURE, on_capture)
    webhooks.register_webhook_handler("charge.dispute.created", on_dispute_webhook)
