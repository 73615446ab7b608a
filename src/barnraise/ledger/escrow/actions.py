"""The money steps the processes name: a guard and the actions commerce's engine runs.

They run inside the engine's transaction, so money moves exactly when the transition commits.
They touch only the database: a provider call is a `ProviderCall` row that the worker makes
after commit (barnraise.ledger.payments), and its answer comes back through
`escrow.answers`. Each reads the deal through `deals.Step`/`deals.Deal`.
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from barnraise.accounts import operators
from barnraise.errors import Conflict, InvalidInput, PermissionDenied
from barnraise.ledger import deals, journal, money_events, paperwork, payments
from barnraise.ledger.authorization import abandon, authorize, prepare, release
from barnraise.ledger.errors import PayoutAccountRequired
from barnraise.ledger.escrow import lapse, scheduled
from barnraise.ledger.escrow.settlement import (
    account,
    claw_back,
    close_out,
    money,
    payment_of,
    payment_save,
    settle,
)
from barnraise.ledger.models import (
    AccountKind,
    EntryKind,
    Payment,
    PaymentStatus,
    PayoutAccount,
    ProviderCall,
    ProviderOperation,
)
from barnraise.ledger.providers import Authorization
from barnraise.money import Money

# --- Guards -------------------------------------------------------------------------------------


def guard_provider_can_be_paid(ctx: deals.Step) -> None:
    """A paid deal is taken only by a provider whose payout account finished onboarding."""
    if not PayoutAccount.objects.filter(owner_id=ctx.tx.provider_id, ready=True).exists():
        raise PayoutAccountRequired()


# --- Actions ------------------------------------------------------------------------------------


def hold_payment(ctx: deals.Step) -> None:
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
            reference=deals.reference_of(tx),
            payer_id=tx.customer_id,
            payee_id=tx.provider_id,
            currency=tx.currency,
            amount_minor=tx.total_amount_minor,
            provider_share_minor=tx.provider_payout_minor,
            tax_minor=tx.tax_payable_minor,
            tax_jurisdiction=tx.tax_jurisdiction,
            payment_method=ctx.notes.get("payment_method", ""),
            authorization_id=authorization.id,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
    )


def request_capture(ctx: deals.Step) -> None:
    """Ask the provider to capture the hold; the worker reports through a system transition.
    A hold made again after one lapsed (escrow.lapse) is captured under a numbered key."""
    payment = payment_of(ctx.tx)
    if ctx.dry_run or payment is None:
        return
    made = ProviderCall.objects.filter(
        reference=payment.reference, operation=ProviderOperation.CAPTURE
    ).count()
    payments.provider_call_create(
        operation=ProviderOperation.CAPTURE,
        reference=payment.reference,
        idempotency_key=f"{payment.reference}:capture" + (f":{made}" if made else ""),
        amount=money(payment, payment.amount_minor),
        authorization_id=payment.authorization_id,
    )
    payment_save(payment, ctx.now, status=PaymentStatus.CAPTURE_PENDING)


def record_capture(ctx: deals.Step) -> None:
    """The capture succeeded: the customer's money enters the deal's escrow account."""
    payment = payment_of(ctx.tx)
    if ctx.dry_run or payment is None:
        return
    amount = money(payment, payment.amount_minor)
    journal.entry_post(
        kind=EntryKind.CAPTURE,
        reference=payment.reference,
        lines=[
            (account(AccountKind.EXTERNAL_FUNDING, payment.currency), amount),
            (account(AccountKind.ESCROW, payment.currency, reference=payment.reference), -amount),
        ],
        idempotency_key=f"{payment.reference}:capture",
    )
    payment_save(payment, ctx.now, status=PaymentStatus.CAPTURED, capture_id=ctx.notes.get("capture_id", ""))
    paperwork.payment_receipts_issue(payment, now=ctx.now)
    money_events.captured(payment)


def void_payment(ctx: deals.Step) -> None:
    """Give the customer everything back: release a hold, or refund a capture in full."""
    _give_back(ctx, Decimal(100), by_policy=False)


def refund_by_policy(ctx: deals.Step) -> None:
    """The customer cancels: refund the share the snapshotted cancellation policy gives."""
    _give_back(ctx, deals.refund_percent(ctx.tx, cancelled_at=ctx.now), by_policy=True)


def release_to_provider(ctx: deals.Step) -> None:
    """At completion: escrow goes to the provider's pending balance, fees to the platform."""
    payment = payment_of(ctx.tx)
    if ctx.dry_run or payment is None or payment.status != PaymentStatus.CAPTURED:
        return
    money_events.earned(
        payment, close_out(payment, refund_minor=0, now=ctx.now, key=f"{payment.reference}:release")
    )


def freeze_payout(ctx: deals.Step) -> None:
    """A dispute is open: the provider's pending share waits for the operator."""
    payment = payment_of(ctx.tx)
    if not ctx.dry_run and payment is not None:
        payment_save(payment, ctx.now, frozen=True)


def record_chargeback(ctx: deals.Step) -> None:
    """The card issuer took the money back: the platform is out of it until the dispute is
    resolved (what the operator then gives the customer is recovered from the deal)."""
    payment = payment_of(ctx.tx)
    if ctx.dry_run or payment is None or payment.chargeback_minor:
        return
    amount = money(payment, payment.amount_minor - payment.refunded_minor)
    if amount.amount_minor <= 0:
        return
    journal.entry_post(
        kind=EntryKind.CHARGEBACK,
        reference=payment.reference,
        lines=[
            (account(AccountKind.CHARGEBACKS, payment.currency), amount),
            (account(AccountKind.EXTERNAL_FUNDING, payment.currency), -amount),
        ],
        idempotency_key=f"{payment.reference}:chargeback",
    )
    payment_save(payment, ctx.now, chargeback_minor=amount.amount_minor)


def resolve_dispute(ctx: deals.Step) -> None:
    """The operator's decision: `refund` ({amount_minor, currency}, default none) goes back to
    the customer; the rest of the deal is paid out at once, in the usual shares."""
    payment = payment_of(ctx.tx)
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
    if refund["amount_minor"] > 0 and not operators.operator_in(ctx.actor, operators.FINANCE):
        # Money actions need finance (docs/safety.md): support resolves with no refund, or
        # leaves the dispute to a finance operator.
        raise PermissionDenied(_("Only a finance operator can resolve a dispute with a refund."))
    if ctx.dry_run or payment is None:
        return
    key = f"{payment.reference}:resolve"
    if payment.status == PaymentStatus.CAPTURED:  # still in escrow (a chargeback before completion)
        money_events.earned(
            payment, close_out(payment, refund_minor=refund["amount_minor"], now=ctx.now, key=key)
        )
    else:
        claw_back(payment, refund_minor=refund["amount_minor"], now=ctx.now, key=key)
    money_events.returned(payment, refund["amount_minor"])
    payment.refresh_from_db()
    payment_save(payment, ctx.now, frozen=False)
    settle(payment, now=ctx.now)


def give_back_plan(payment: Payment, percent: Decimal) -> tuple[bool, int]:
    """What giving back `percent` of the payment does, as the give-back steps then do it (and
    their dry runs preview it): (True, the hold) when nothing was taken yet, so the whole hold
    is released whatever the policy says; (False, the refund) of a capture still in escrow;
    (False, 0) when nothing is left to give back here (or a saved card was never charged)."""
    if payment.status in (
        PaymentStatus.AUTHORIZED,
        PaymentStatus.CAPTURE_PENDING,
        PaymentStatus.CAPTURE_FAILED,
    ):
        return True, payment.amount_minor
    if payment.status == PaymentStatus.CAPTURED:
        return False, money(payment, payment.amount_minor).percent(percent).amount_minor
    return False, 0


def _give_back(ctx: deals.Step, percent: Decimal, *, by_policy: bool) -> None:
    payment = payment_of(ctx.tx)
    if payment is None:
        return
    voids, amount_minor = give_back_plan(payment, percent)
    ctx.effects["refund"] = {
        "amount_minor": amount_minor,
        "paid_minor": payment.amount_minor - payment.refunded_minor,
        "currency": payment.currency,
        "hold_released": voids,
        "by_policy": by_policy and not voids,
    }
    if ctx.dry_run:
        return
    if payment.status == PaymentStatus.SCHEDULED:  # a saved card, never charged: nothing to give back
        payment_save(payment, ctx.now, status=PaymentStatus.VOIDED)
    elif voids:
        payments.provider_call_create(
            operation=ProviderOperation.VOID,
            reference=payment.reference,
            idempotency_key=f"{payment.reference}:void",
            authorization_id=payment.authorization_id,
        )
        payment_save(payment, ctx.now, status=PaymentStatus.VOIDED)
        money_events.hold_released(payment)
    elif payment.status == PaymentStatus.CAPTURED:
        provider = close_out(
            payment, refund_minor=amount_minor, now=ctx.now, key=f"{payment.reference}:cancel"
        )
        money_events.returned(payment, amount_minor)
        money_events.earned(payment, provider)


def register() -> None:
    """Called by LedgerConfig.ready(): the actions, the guards and the payment hooks."""
    ahead = scheduled.register()
    actions: dict[str, deals.StepFn] = {
        **ahead["actions"],
        **lapse.register(),
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
    deals.register_with_commerce(
        actions=actions,
        # hold_payment only hands its row to the engine: it need not wait for the booking's
        hand_over_only={"hold_payment", "schedule_payment"},
        records_payment={"hold_payment", "hold_scheduled_payment"},
        guards={"provider_can_be_paid": guard_provider_can_be_paid, **ahead["guards"]},
        authorize=authorize,
        abandon=abandon,
        prepare=prepare,
        release=release,
        defer=scheduled.defer,
        authorization_lead=scheduled.authorization_lead,
    )
