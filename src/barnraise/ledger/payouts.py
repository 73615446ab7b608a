"""Payouts: a member's payout account and its onboarding, payouts on request or on the schedule
the member chose (weekly, monthly) among those the operator offers, and operator holds.

A payout takes money out of the member's *available* balance when it is requested (the entry
`member_available → external_payouts` is posted with the `Payout` row and the provider call, in
one transaction, so the same money cannot be paid out twice); the worker makes the call after
commit. A failed payout is reversed by a correction entry that puts the money back.
"""

import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts import operators
from barnraise.accounts.models import User
from barnraise.errors import Conflict, InvalidInput, NotFound
from barnraise.eventlog.models import EventType
from barnraise.eventlog.services import Subject, record
from barnraise.ids import uuid7
from barnraise.ledger import allocation, deals, journal, onboarding, payments, selectors, webhooks
from barnraise.ledger.errors import (
    InsufficientFunds,
    PayoutAccountNotReady,
    PayoutAccountRequired,
    PayoutScheduleNotOffered,
    PayoutsOnHold,
)
from barnraise.ledger.models import (
    Account,
    AccountKind,
    EntryKind,
    EntryStatus,
    Payout,
    PayoutAccount,
    PayoutHold,
    PayoutItem,
    PayoutSchedule,
    Posting,
    ProviderCall,
    ProviderCallStatus,
    ProviderOperation,
)
from barnraise.ledger.providers import PayoutAccount as ProviderAccount
from barnraise.ledger.providers import provider
from barnraise.money import Money, check_currency

logger = logging.getLogger(__name__)


def payout_account_open(*, actor: User) -> PayoutAccount:
    """The member's payout account at the payment provider, created on first call.

    Calls the provider outside any transaction (same idempotency key on a retry)."""
    existing = PayoutAccount.objects.filter(owner=actor).first()
    if existing is not None:
        return existing
    made = provider().create_payout_account(
        owner_reference=f"member:{actor.pk}", idempotency_key=f"payout-account:{actor.pk}"
    )
    try:
        with transaction.atomic():
            account = PayoutAccount.objects.create(
                owner=actor,
                provider=provider().name,
                external_id=made.id,
                onboarding_url=made.onboarding_url,
                **_provider_fields(made),
            )
            _account_record(account, EventType.PAYOUT_ACCOUNT_OPENED, actor, before="")
    except IntegrityError:  # a concurrent first call made it
        return PayoutAccount.objects.get(owner=actor)
    return account


def _provider_fields(found: ProviderAccount) -> dict[str, Any]:
    return {
        "ready": found.ready,
        "charges_enabled": found.charges_enabled,
        "payouts_enabled": found.payouts_enabled,
        "details_submitted": found.details_submitted,
        "currently_due": sorted(found.currently_due),
        "past_due": sorted(found.past_due),
        "disabled_reason": found.disabled_reason[:80],
    }


def _account_state(account: PayoutAccount) -> str:
    return "ready" if account.ready else "onboarding"


def _account_record(account: PayoutAccount, type: EventType, actor: User | None, *, before: str) -> None:
    """Requirement names are the provider's field names, not the member's data."""
    payload: dict[str, Any] = {
        "from": before,
        "to": _account_state(account),
        "currently_due": account.currently_due,
        "past_due": account.past_due,
        "disabled_reason": account.disabled_reason,
    }
    record(Subject("payout_account", str(account.pk), account.owner_id), type, actor=actor, payload=payload)


def payout_account_sync(*, external_id: str, found: ProviderAccount, actor: User | None) -> PayoutAccount:
    """The one door for the provider's word on an account (the return page, a webhook): keep
    what it still needs and whether it may be paid out; log it when anything changed."""
    with transaction.atomic():
        account = PayoutAccount.objects.select_for_update().filter(external_id=external_id).first()
        if account is None:
            raise NotFound()
        before = _account_state(account)
        fields = _provider_fields(found)
        changed = [name for name, value in fields.items() if getattr(account, name) != value]
        if changed:
            for name in changed:
                setattr(account, name, fields[name])
            account.updated_at = timezone.now()
            account.save(update_fields=[*changed, "updated_at"])
            _account_record(account, EventType.PAYOUT_ACCOUNT_UPDATED, actor, before=before)
    return account


def payout_account_fetch(*, actor: User) -> PayoutAccount:
    """Ask the provider how the member's account stands now (after onboarding), and keep it."""
    account = PayoutAccount.objects.filter(owner=actor).first()
    if account is None:
        raise NotFound(_("Set up your payout account first."))
    found = provider(account.provider).payout_account_get(account_id=account.external_id)
    return payout_account_sync(external_id=account.external_id, found=found, actor=actor)


def onboarding_link_make(*, actor: User) -> str:
    """A fresh link where the member continues onboarding at the provider (links expire)."""
    account = PayoutAccount.objects.filter(owner=actor).first()
    if account is None:
        raise NotFound(_("Set up your payout account first."))
    return provider(account.provider).onboarding_link(
        account_id=account.external_id, idempotency_key=f"onboarding-link:{account.external_id}:{uuid7()}"
    )


def onboarding_page(account: PayoutAccount) -> str:
    """Where a member continues onboarding: our refresh page, which makes a fresh link."""
    return f"{settings.SITE_URL}/payouts/onboarding/{account.external_id}/refresh"


def sandbox_onboarding_finish(
    *, actor: User, external_id: str, leave_due: tuple[str, ...] = ()
) -> PayoutAccount:
    """What the owner's visit to the sandbox's onboarding page does: everything given but
    `leave_due` (sandbox requirement names)."""
    account = PayoutAccount.objects.filter(owner=actor, external_id=external_id).first()
    if account is None or account.provider != "sandbox":
        raise NotFound()
    from barnraise.ledger.providers.sandbox import SandboxProvider

    found = SandboxProvider().onboarding_complete(account_id=external_id, leave_due=leave_due)
    return payout_account_sync(external_id=external_id, found=found, actor=actor)


def sandbox_onboarding_finish_own(*, actor: User) -> PayoutAccount:
    """Finish the sandbox's onboarding of the member's own payout account, as its page does,
    for a client with no page (the API). Only while the sandbox is the payment provider: with a
    real one, onboarding happens at the provider and this does not exist (NotFound)."""
    if settings.PAYMENT_PROVIDER != "sandbox":
        raise NotFound()
    account = PayoutAccount.objects.filter(owner=actor).first()
    if account is None:
        raise NotFound(_("Set up your payout account first."))
    return sandbox_onboarding_finish(actor=actor, external_id=account.external_id)


def schedule_of(account: PayoutAccount | None) -> str:
    """The schedule a member's payouts follow: their choice while the operator offers it,
    else the operator's default."""
    chosen = account.schedule if account is not None else ""
    return chosen if chosen in settings.PAYOUT_SCHEDULES else settings.PAYOUT_SCHEDULE_DEFAULT


def payout_schedule_choose(*, actor: User, schedule: str) -> PayoutAccount:
    """The member picks one of the schedules the operator offers (settings.PAYOUT_SCHEDULES)."""
    if schedule not in settings.PAYOUT_SCHEDULES:
        raise PayoutScheduleNotOffered(details={"offered": list(settings.PAYOUT_SCHEDULES)})
    with transaction.atomic():
        account = PayoutAccount.objects.select_for_update().filter(owner=actor).first()
        if account is None:
            raise PayoutAccountRequired(_("Set up a payout account first."))
        before = schedule_of(account)
        if account.schedule != schedule:
            account.schedule, account.updated_at = schedule, timezone.now()
            account.save(update_fields=["schedule", "updated_at"])
            subject = Subject("payout_account", str(account.pk), account.owner_id)
            payload = {"from": before, "to": schedule}
            record(subject, EventType.PAYOUT_SCHEDULE_CHOSEN, actor=actor, payload=payload)
    return account


def holds_in_force(owner: User) -> "Any":
    return PayoutHold.objects.filter(owner=owner, released_at__isnull=True)


def payout_hold_place(*, actor: User, owner: User, reason: str) -> PayoutHold:
    """A finance operator holds a member's payouts (PermissionDenied for anyone else)."""
    operators.require_operator(actor, operators.FINANCE)
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 500:
        raise InvalidInput(details={"reason": [_("Say why, in at most 500 characters.")]})
    with transaction.atomic():
        hold = PayoutHold.objects.create(owner=owner, reason=reason, created_by=actor)
        _hold_record(hold, EventType.PAYOUT_HOLD_PLACED, actor)
    return hold


def payout_hold_release(*, actor: User, hold: PayoutHold) -> PayoutHold:
    """A finance operator releases a hold (PermissionDenied for anyone else)."""
    operators.require_operator(actor, operators.FINANCE)
    with transaction.atomic():
        hold = PayoutHold.objects.select_for_update().get(pk=hold.pk)
        if hold.released_at is None:
            hold.released_at, hold.released_by = timezone.now(), actor
            hold.save(update_fields=["released_at", "released_by"])
            _hold_record(hold, EventType.PAYOUT_HOLD_RELEASED, actor)
    return hold


def _hold_record(hold: PayoutHold, type: EventType, actor: User) -> None:
    """Holds are for finance operators' eyes (no member in the subject, no reason in the log)."""
    state = "in_force" if hold.released_at is None else "released"
    before = "" if state == "in_force" else "in_force"
    record(Subject("payout_hold", str(hold.pk)), type, actor=actor, payload={"from": before, "to": state})


# The one door for a payout's status: it is born pending, then paid or failed, and each is logged.
PAYOUT_EVENTS = {
    Payout.Status.PENDING: EventType.PAYOUT_REQUESTED,
    Payout.Status.PAID: EventType.PAYOUT_PAID,
    Payout.Status.FAILED: EventType.PAYOUT_FAILED,
}


def payout_status_change(*, payout: Payout, to: str, actor: User | None, failure_code: str = "") -> None:
    """Move a locked pending payout to paid or failed, and log it."""
    if payout.status != Payout.Status.PENDING or to not in (Payout.Status.PAID, Payout.Status.FAILED):
        raise ValueError(f"a payout goes from pending to paid or failed, not {payout.status} to {to}")
    payout.status, payout.failure_code, payout.finished_at = to, failure_code[:64], timezone.now()
    payout.save(update_fields=["status", "failure_code", "finished_at"])
    _payout_record(payout, Payout.Status.PENDING, actor)


def _payout_record(payout: Payout, before: str, actor: User | None) -> None:
    payload: dict[str, Any] = {
        "from": before,
        "to": payout.status,
        "amount": {"amount_minor": payout.amount_minor, "currency": payout.currency},
        "scheduled": payout.scheduled,
    }
    if payout.failure_code:
        payload["failure_code"] = payout.failure_code
    subject = Subject("payout", str(payout.pk), payout.owner_id)
    record(subject, PAYOUT_EVENTS[Payout.Status(payout.status)], actor=actor, payload=payload)


def _not_ready(account: PayoutAccount) -> PayoutAccountNotReady:
    state = onboarding.account_state(account)
    sentences = [r.message for r in state.requirements] or [state.disabled or state.headline]
    return PayoutAccountNotReady(
        " ".join([_("You can't be paid out yet."), *sentences]),
        details={
            **state.as_json(),
            "onboarding_url": onboarding_page(account),
        },
    )


def payout_request(
    *, actor: User, currency: str, amount_minor: int | None = None, scheduled: bool = False, key: str = ""
) -> Payout:
    """Pay out `amount_minor` (default: all that is available) in `currency`."""
    currency = check_currency(currency, "currency")
    account = PayoutAccount.objects.filter(owner=actor).first()
    if account is None:
        raise PayoutAccountRequired(_("Set up a payout account first."))
    if not account.ready:
        raise _not_ready(account)
    if holds_in_force(actor).exists():
        raise PayoutsOnHold()
    with transaction.atomic():
        available = journal.account_for(AccountKind.MEMBER_AVAILABLE, owner=actor, currency=currency)
        # Lock the balance before reading it, so two payouts at once cannot both take it.
        Account.objects.select_for_update().filter(pk=available.pk).first()
        balance = selectors.balance_of(available).amount_minor
        amount = balance if amount_minor is None else amount_minor
        if amount <= 0 or amount > balance:
            raise InsufficientFunds(details={"available_minor": balance, "needed_minor": amount})
        payout = Payout.objects.create(
            owner=actor,
            account=account,
            amount_minor=amount,
            currency=currency,
            scheduled=scheduled,
            idempotency_key=key or f"payout:{uuid7()}",
        )
        _payout_record(payout, "", None if scheduled else actor)  # scheduled: the system asked
        payout_allocate(payout, available)  # under the balance's lock, taken above
        reference = f"payout:{payout.pk}"
        journal.entry_post(
            kind=EntryKind.PAYOUT,
            reference=reference,
            lines=[
                (available, Money(amount, currency)),
                (
                    journal.account_for(AccountKind.EXTERNAL_PAYOUTS, currency=currency),
                    Money(-amount, currency),
                ),
            ],
            idempotency_key=reference,
        )
        payments.provider_call_create(
            operation=ProviderOperation.PAYOUT,
            reference=reference,
            idempotency_key=reference,
            amount=Money(amount, currency),
            account_id=account.external_id,
        )
    return payout


def credits_of(available: Account) -> list[tuple[str, int]]:
    """What each credit (a deal's reference) put into the available account, net of what came
    back out for it (a claw-back), oldest first; payouts and their reversals are not credits."""
    rows = (
        Posting.objects.filter(account=available, entry__status=EntryStatus.POSTED)
        .exclude(entry__reference__startswith=allocation.PAYOUT_PREFIX)
        .values("entry__reference")
        .annotate(total=Sum("amount_minor"), first=Min("id"))
        .order_by("first")
    )
    return [(row["entry__reference"], -int(row["total"])) for row in rows]


def allocated_of(owner_id: Any, currency: str) -> dict[str, int]:
    """Per credit, what live payouts (pending or paid, not failed) pay out of it."""
    rows = (
        PayoutItem.objects.filter(owner_id=owner_id, currency=currency)
        .exclude(payout__status=Payout.Status.FAILED)
        .values("reference")
        .annotate(total=Sum("amount_minor"))
    )
    return {row["reference"]: int(row["total"]) for row in rows}


def payout_allocate(payout: Payout, available: Account) -> list[PayoutItem]:
    """Allocate a new payout to the credits it pays out, oldest first (`ledger.allocation`).
    The caller holds the lock on `available`, so no other payout reads the same credits."""
    planned = allocation.plan(
        credits_of(available), allocated_of(payout.owner_id, payout.currency), payout.amount_minor
    )
    return PayoutItem.objects.bulk_create(
        PayoutItem(
            payout=payout,
            owner_id=payout.owner_id,
            reference=reference,
            amount_minor=amount,
            currency=payout.currency,
        )
        for reference, amount in planned
    )


def on_payout(call: ProviderCall) -> None:
    """Result handler: mark the payout paid, or put the money back if it failed."""
    payout = Payout.objects.filter(pk=call.reference.removeprefix("payout:")).first()
    if payout is None or payout.status != Payout.Status.PENDING:
        return
    paid = call.status == ProviderCallStatus.SUCCEEDED and call.result.get("status") == "paid"
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
        if payout.status != Payout.Status.PENDING:
            return
        if not paid:
            amount = Money(payout.amount_minor, payout.currency)
            journal.entry_post(
                kind=EntryKind.CORRECTION,
                reference=call.reference,
                memo="payout failed",
                lines=[
                    (journal.account_for(AccountKind.EXTERNAL_PAYOUTS, currency=payout.currency), amount),
                    (
                        journal.account_for(
                            AccountKind.MEMBER_AVAILABLE, owner=payout.owner, currency=payout.currency
                        ),
                        -amount,
                    ),
                ],
                idempotency_key=f"{call.reference}:reversal",
            )
        payout_status_change(
            payout=payout,
            to=Payout.Status.PAID if paid else Payout.Status.FAILED,
            actor=None,  # the provider's answer
            failure_code="" if paid else str(call.result.get("failure_code") or call.result.get("error", "")),
        )
        from barnraise.notifications.services import notification_send

        kind = "payout_sent" if paid else "payout_failed"
        context = {"amount": Money(payout.amount_minor, payout.currency).format(), **_deals_of(payout)}
        # one deal: its page, where the payout is on the timeline; several: the wallet
        url = f"/transactions/{context['deal']}/" if context.get("deal") else "/wallet/"
        transaction.on_commit(
            lambda: notification_send(recipient=payout.owner, kind=kind, context=context, url=url)
        )


def _deals_of(payout: Payout) -> dict[str, Any]:
    """What a payout's notification says it paid out: the deal's listing, or how many deals."""
    references = sorted({i.reference for i in payout.items.all() if i.reference.startswith("transaction:")})
    if len(references) != 1:
        return {"deal_count": len(references)}
    title = deals.deal_title(references[0])
    if title is None:
        return {"deal_count": 0}
    return {"deal_count": 1, "listing": title, "deal": references[0].removeprefix("transaction:")}


def payouts_due(now: datetime | None = None) -> int:
    """Make the scheduled payouts due today (run once a day, early): on Mondays for members on
    the weekly schedule, on the 1st for the monthly one; never for "only when I ask". Pays out
    every available balance of members with a ready account and no hold, once per member,
    currency and period, whatever the retries. The day is the UTC day."""
    today = (now or timezone.now()).astimezone(UTC).date()
    year, week, weekday = today.isocalendar()
    periods = {}
    if weekday == 1:
        periods[PayoutSchedule.WEEKLY] = f"weekly:{{owner}}:{{currency}}:{year}-W{week:02d}"
    if today.day == 1:
        periods[PayoutSchedule.MONTHLY] = f"monthly:{{owner}}:{{currency}}:{today:%Y-%m}"
    if not periods:
        return 0
    made = 0
    owners = User.objects.filter(payout_account__ready=True).exclude(
        Q(payout_holds__released_at__isnull=True) & Q(payout_holds__isnull=False)
    )
    for owner in owners.select_related("payout_account").distinct().iterator():
        period = periods.get(PayoutSchedule(schedule_of(owner.payout_account)))
        if period is None:
            continue
        for balance in selectors.member_balances(member=owner):
            if balance.available.amount_minor <= 0:
                continue
            key = "payout:" + period.format(owner=owner.pk, currency=balance.currency)
            if Payout.objects.filter(idempotency_key=key).exists():
                continue
            try:
                payout_request(actor=owner, currency=balance.currency, scheduled=True, key=key)
                made += 1
            except Conflict as refused:  # a hold placed meanwhile, a balance taken by a refund
                logger.info("scheduled payout skipped for %s: %s", owner.pk, refused.code)
    return made


def on_account_webhook(event: Any) -> None:
    """The provider's word on a payout account (Stripe's `account.updated`), kept as it says."""
    from barnraise.ledger.providers.stripe import payout_account_from_stripe

    account = (event.payload.get("data") or {}).get("object", {})
    if PayoutAccount.objects.filter(external_id=account.get("id") or "").exists():
        found = payout_account_from_stripe(account)
        payout_account_sync(external_id=found.id, found=found, actor=None)


def register() -> None:
    payments.register_result_handler(ProviderOperation.PAYOUT, on_payout)
    webhooks.register_webhook_handler("account.updated", on_account_webhook)
