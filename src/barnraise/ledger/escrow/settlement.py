"""Settlement: how a deal's escrow is emptied (released, refunded, clawed back) and how the
provider's pending share becomes available when the dispute window closes (a timer).

The arithmetic and the entries are described, with a worked example, in docs/money.md.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.ledger import deals, journal, paperwork, payments, selectors
from barnraise.ledger.models import Account, AccountKind, EntryKind, Payment, PaymentStatus, ProviderOperation
from barnraise.money import Money, round_minor
from barnraise.timers import services as timers
from barnraise.timers.models import Timer

SETTLE_HANDLER = "ledger.settle_payment"


def payment_of(deal: deals.Deal) -> Payment | None:
    """The deal's payment, if it takes one."""
    return Payment.objects.filter(reference=deals.reference_of(deal)).first()


def account(kind: str, currency: str, owner_id: UUID | None = None, reference: str = "") -> Account:
    owner = User(pk=owner_id) if owner_id is not None else None
    return journal.account_for(kind, owner=owner, reference=reference, currency=currency)


def money(payment: Payment, amount_minor: int) -> Money:
    return Money(amount_minor, payment.currency)


def payment_save(payment: Payment, now: datetime, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(payment, name, value)
    payment.updated_at = now
    payment.save(update_fields=[*fields, "updated_at"])


def shares(payment: Payment, *, kept_minor: int) -> tuple[int, int, int]:
    """How `kept_minor` of the payment (what the customer does not get back) is shared:
    the provider keeps their share of the price in proportion, the tax payable its share in
    proportion, the platform the rest. Each share is rounded once (`round_minor`)."""
    if payment.amount_minor <= 0:
        return 0, 0, 0
    provider = round_minor(Decimal(payment.provider_share_minor) * kept_minor / payment.amount_minor)
    tax = round_minor(Decimal(payment.tax_minor) * kept_minor / payment.amount_minor)
    return provider, tax, kept_minor - provider - tax


def tax_account(payment: Payment) -> Account:
    """The `tax_payable` account of the payment's jurisdiction and currency."""
    reference = f"tax:{payment.tax_jurisdiction}" if payment.tax_jurisdiction else "tax"
    return account(AccountKind.TAX_PAYABLE, payment.currency, reference=reference)


def _refund_call(payment: Payment, amount_minor: int, key: str) -> None:
    if amount_minor > 0 and not payment.chargeback_minor:  # a chargeback has paid the card already
        payments.provider_call_create(
            operation=ProviderOperation.REFUND,
            reference=payment.reference,
            idempotency_key=f"{key}:refund",
            amount=money(payment, amount_minor),
            capture_id=payment.capture_id,
        )


def _refund_account(payment: Payment) -> Account:
    """Where a refund is credited: the refunds account, or, after a chargeback, the chargebacks
    account (the issuer already returned the money; the deal now makes good the platform)."""
    kind = AccountKind.CHARGEBACKS if payment.chargeback_minor else AccountKind.REFUNDS
    return account(kind, payment.currency)


def close_out(payment: Payment, *, refund_minor: int, now: datetime, key: str) -> int:
    """Empty the deal's escrow: `refund_minor` back to the customer, the rest shared between
    the provider's pending balance and the platform's revenue. Returns the provider's part."""
    escrow = account(AccountKind.ESCROW, payment.currency, reference=payment.reference)
    held = payment.amount_minor - payment.refunded_minor
    provider, tax, platform = shares(payment, kept_minor=held - refund_minor)
    journal.entry_post(
        kind=EntryKind.REFUND if refund_minor else EntryKind.RELEASE,
        reference=payment.reference,
        lines=[
            (escrow, money(payment, held)),
            (_refund_account(payment), money(payment, -refund_minor)),
            (
                account(AccountKind.MEMBER_PENDING, payment.currency, owner_id=payment.payee_id),
                money(payment, -provider),
            ),
            (account(AccountKind.PLATFORM_REVENUE, payment.currency), money(payment, -platform)),
            *([(tax_account(payment), money(payment, -tax))] if tax else []),
        ],
        idempotency_key=key,
    )
    _refund_call(payment, refund_minor, key)
    status = PaymentStatus.REFUNDED if refund_minor == held else PaymentStatus.RELEASED
    payment_save(
        payment,
        now,
        status=status,
        refunded_minor=payment.refunded_minor + refund_minor,
        pending_minor=payment.pending_minor + provider,
    )
    if provider > 0:
        _schedule_settle(payment, now)
    paperwork.refund_receipt_issue(payment, refund_minor=refund_minor, now=now, key=key)
    # Before the fee invoice, which covers only the part kept: nothing of it is refunded. The
    # provider's own invoice (issued at capture) is, in part.
    paperwork.credit_notes_issue(payment, refund_minor=refund_minor, now=now, key=key)
    paperwork.fee_invoice_issue(payment, kept_minor=held - refund_minor, now=now, key=key)
    return provider


def claw_back(payment: Payment, *, refund_minor: int, now: datetime, key: str) -> None:
    """A refund after release: the provider gives back their share of it (from pending, then
    available, then as a receivable later earnings settle), the tax payable its share, the
    platform its fees."""
    if refund_minor <= 0:
        return
    released = payment.amount_minor - payment.refunded_minor
    provider_before, tax_before, _platform_before = shares(payment, kept_minor=released)
    provider_after, tax_after, _platform_after = shares(payment, kept_minor=released - refund_minor)
    from_provider = provider_before - provider_after
    from_tax = tax_before - tax_after
    from_platform = refund_minor - from_provider - from_tax
    pending = account(AccountKind.MEMBER_PENDING, payment.currency, owner_id=payment.payee_id)
    available = account(AccountKind.MEMBER_AVAILABLE, payment.currency, owner_id=payment.payee_id)
    from_pending = min(from_provider, payment.pending_minor)
    from_available = min(from_provider - from_pending, max(0, selectors.balance_of(available).amount_minor))
    owed = from_provider - from_pending - from_available
    journal.entry_post(
        kind=EntryKind.REFUND,
        reference=payment.reference,
        lines=[
            (pending, money(payment, from_pending)),
            (available, money(payment, from_available)),
            (
                account(AccountKind.PROVIDER_RECEIVABLE, payment.currency, owner_id=payment.payee_id),
                money(payment, owed),
            ),
            (account(AccountKind.PLATFORM_REVENUE, payment.currency), money(payment, from_platform)),
            *([(tax_account(payment), money(payment, from_tax))] if from_tax else []),
            (_refund_account(payment), money(payment, -refund_minor)),
        ],
        idempotency_key=key,
    )
    _refund_call(payment, refund_minor, key)
    payment_save(
        payment,
        now,
        status=PaymentStatus.REFUNDED if refund_minor == released else payment.status,
        refunded_minor=payment.refunded_minor + refund_minor,
        pending_minor=payment.pending_minor - from_pending,
    )
    paperwork.refund_receipt_issue(payment, refund_minor=refund_minor, now=now, key=key)
    # The fee invoice charged the commission on what is now refunded: a credit note gives it back.
    paperwork.credit_notes_issue(payment, refund_minor=refund_minor, now=now, key=key)


def _schedule_settle(payment: Payment, now: datetime) -> None:
    timers.cancel_pending(target=f"payment:{payment.pk}", handler=SETTLE_HANDLER)
    timers.schedule(
        handler=SETTLE_HANDLER,
        target=f"payment:{payment.pk}",
        due_at=now + deals.dispute_window(),
        payload={"payment": str(payment.pk)},
    )


def settle(payment: Payment, *, now: datetime) -> None:
    """Move the payment's pending share to the provider's available balance, paying off any
    receivable first. Skipped while a dispute froze it; safe to call twice."""
    settle_many([payment.pk], now=now)


def settle_many(payment_ids: list[UUID | str], *, now: datetime) -> int:
    """`settle` for many payments, as one batch of entries (`entries_post`); how many settled.

    A provider with several payments in the batch pays off a receivable once: each entry
    counts what the ones before it paid off.
    """
    due = list(
        Payment.objects.select_for_update()
        .filter(pk__in=payment_ids, frozen=False, pending_minor__gt=0)
        .order_by("pk")
    )
    if not due:
        return 0
    # Per provider and currency: their three accounts and what they still owe, read once.
    books: dict[tuple[UUID, str], tuple[Account, Account, Account]] = {}
    owed: dict[tuple[UUID, str], int] = {}
    entries = []
    for payment in due:
        key = (payment.payee_id, payment.currency)
        if key not in books:
            books[key] = (
                account(AccountKind.MEMBER_PENDING, payment.currency, owner_id=payment.payee_id),
                account(AccountKind.PROVIDER_RECEIVABLE, payment.currency, owner_id=payment.payee_id),
                account(AccountKind.MEMBER_AVAILABLE, payment.currency, owner_id=payment.payee_id),
            )
            owed[key] = max(0, selectors.balance_of(books[key][1]).amount_minor)
        pending, receivable, available = books[key]
        amount = payment.pending_minor
        pay_off = min(owed[key], amount)
        owed[key] -= pay_off
        entries.append(
            journal.NewEntry(
                kind=EntryKind.SETTLE,
                reference=payment.reference,
                lines=[
                    (pending, money(payment, amount)),
                    (receivable, money(payment, -pay_off)),
                    (available, money(payment, pay_off - amount)),
                ],
                idempotency_key=f"{payment.reference}:settle:{payment.refunded_minor}:{amount}",
            )
        )
    journal.entries_post(entries)
    Payment.objects.filter(pk__in=[p.pk for p in due]).update(pending_minor=0, settled=True, updated_at=now)
    return len(due)


def settle_due(timer: Timer) -> None:
    """Timer handler: the dispute window of a finished deal closed."""
    settle_due_many([timer])


def settle_due_many(due: list[Timer]) -> None:
    """Timer handler for many: the settlements whose dispute windows closed, in one batch."""
    settle_many([timer.payload["payment"] for timer in due], now=timezone.now())


def register() -> None:
    """Called by LedgerConfig.ready(): the settlement timer's handlers."""
    timers.register_handler(SETTLE_HANDLER, settle_due, batch=settle_due_many)
