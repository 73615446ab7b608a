"""Balances and ledger history for members; the trial balance for finance operators.

Mounted at the API root: /me/balances, /me/ledger, /me/payout-account (its onboarding link,
refresh and schedule; with the sandbox, its onboarding), /me/payouts,
/transactions/{id}/payment, and for finance operators /ops/trial-balance and /ops/payout-holds.
`payment_methods_router` (tag "payment methods"): /me/payment-methods, the member's saved cards.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from barnraise.accounts import operators
from barnraise.accounts.models import User
from barnraise.api.auth import caller
from barnraise.api.pagination import PageParams, a_row_id, decode_cursor, encode_cursor, page_by_id
from barnraise.api.schemas import ErrorOut, InputSchema, MoneyOut, Page, StrictInt
from barnraise.errors import InvalidInput, NotFound, PermissionDenied
from barnraise.ledger import onboarding, payouts, saved_cards, selectors
from barnraise.ledger.models import Payout, PayoutAccount, PayoutHold, Posting
from barnraise.money import Money

router = Router(tags=["ledger"])
payment_methods_router = Router(tags=["payment methods"])


class BalanceOut(Schema):
    currency: str
    pending: MoneyOut = Field(description="Earned, waiting for the dispute window to close.")
    available: MoneyOut = Field(description="Yours to pay out; never below zero.")


class LedgerLineOut(Schema):
    id: int = Field(description="The posting id; larger is newer.")
    entry_id: UUID
    entry_kind: str = Field(description="capture, release, settle, refund, payout, …")
    reference: str = Field(description='What the money moved for, e.g. "transaction:<uuid>".')
    account_kind: str = Field(description="member_pending, member_available or provider_receivable.")
    amount: MoneyOut = Field(description="Positive when your balance on this account grew.")
    created_at: datetime


class CurrencyTotalOut(Schema):
    currency: str
    sum: MoneyOut = Field(description="Sum of every account's balance in this currency: always 0.")
    accounts: int
    by_kind: dict[str, MoneyOut] = Field(
        description="Account kind -> the kind's total balance on its normal side "
        "(e.g. escrow = what the platform holds for open deals)."
    )


class TrialBalanceOut(Schema):
    results: list[CurrencyTotalOut]
    balanced: bool
    postings_since_snapshot: int
    snapshot_up_to_posting_id: int


@router.get("/me/balances", response=Page[BalanceOut], summary="Your pending and available balances")
def balances_list(request: HttpRequest) -> dict[str, Any]:
    rows = selectors.member_balances(member=caller(request))
    return {
        "results": [
            {"currency": row.currency, "pending": row.pending.as_json(), "available": row.available.as_json()}
            for row in rows
        ],
        "next_cursor": None,
    }


def _page_postings(member: User, params: PageParams) -> tuple[list[Posting], str | None]:
    qs = selectors.member_postings(member=member)
    if params.cursor:
        (last,) = decode_cursor(params.cursor, a_row_id)
        qs = qs.filter(id__lt=last)
    rows = list(qs[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return rows, (encode_cursor([rows[-1].pk]) if more and rows else None)


@router.get("/me/ledger", response=Page[LedgerLineOut], summary="Your ledger postings, newest first")
def ledger_list(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    rows, cursor = _page_postings(caller(request), params)
    results = [
        {
            "id": posting.pk,
            "entry_id": posting.entry_id,
            "entry_kind": posting.entry.kind,
            "reference": posting.entry.reference,
            "account_kind": posting.account.kind,
            "amount": Money(
                selectors.normal_sign(posting.account.kind) * posting.amount_minor, posting.currency
            ).as_json(),
            "created_at": posting.entry.created_at,
        }
        for posting in rows
    ]
    return {"results": results, "next_cursor": cursor}


@router.get(
    "/ops/trial-balance",
    response={200: TrialBalanceOut, 403: ErrorOut},
    summary="Operators (finance): the trial balance per currency",
)
def trial_balance_show(request: HttpRequest) -> dict[str, Any]:
    if not selectors.may_see_ledger(caller(request)):
        raise PermissionDenied()
    report = selectors.trial_balance_report()
    currencies = sorted(set(report.totals) | set(report.accounts))
    return {
        "results": [
            {
                "currency": c,
                "sum": Money(report.totals.get(c, 0), c).as_json(),
                "accounts": report.accounts.get(c, 0),
                "by_kind": {
                    kind: Money(total, c).as_json() for kind, total in report.by_kind.get(c, {}).items()
                },
            }
            for c in currencies
        ],
        "balanced": all(total == 0 for total in report.totals.values()),
        "postings_since_snapshot": report.postings_since_snapshot,
        "snapshot_up_to_posting_id": report.watermark,
    }


class RequirementOut(Schema):
    code: str = Field(description="The provider's name for what it needs, e.g. `individual.dob.day`.")
    message: str = Field(description='In plain words: "Stripe needs your date of birth."')
    overdue: bool = Field(description="Past due: payouts stay off until it is given.")


class PayoutAccountOut(Schema):
    provider: str
    ready: bool = Field(description="Payouts can be made; otherwise finish onboarding first.")
    state: str = Field(description="ready, action_needed, in_review or disabled.")
    state_message: str = Field(description="The state in plain words.")
    requirements: list[RequirementOut] = Field(
        description="What the provider still needs, one sentence each."
    )
    disabled_reason_message: str = Field(description="Why the provider switched the account off, or empty.")
    charges_enabled: bool
    payouts_enabled: bool
    onboarding_url: str = Field(
        description="Where to continue onboarding (our page, which makes a fresh link at the "
        "provider); empty once ready."
    )
    schedule: str = Field(description="When payouts are made: weekly, monthly or on_request.")
    schedules_offered: list[str] = Field(description="The schedules this marketplace offers.")


def _account_out(account: PayoutAccount) -> dict[str, Any]:
    return {
        "provider": account.provider,
        "ready": account.ready,
        **onboarding.account_state(account).as_json(),
        "charges_enabled": account.charges_enabled,
        "payouts_enabled": account.payouts_enabled,
        "onboarding_url": "" if account.ready else payouts.onboarding_page(account),
        "schedule": payouts.schedule_of(account),
        "schedules_offered": list(settings.PAYOUT_SCHEDULES),
    }


@router.get(
    "/me/payout-account",
    response={200: PayoutAccountOut, 404: ErrorOut},
    summary="Your payout account (404 until you set one up)",
)
def payout_account_show(request: HttpRequest) -> dict[str, Any]:
    account = PayoutAccount.objects.filter(owner=caller(request)).first()
    if account is None:
        raise NotFound()
    return _account_out(account)


@router.post(
    "/me/payout-account/sandbox-onboarding",
    response={200: PayoutAccountOut, 404: ErrorOut},
    summary="Finish the sandbox's payout onboarding (only with PAYMENT_PROVIDER=sandbox)",
    description=(
        "What the sandbox's onboarding page does, for a client with no page: the caller's payout "
        "account becomes ready, so payouts can be requested. Safe to repeat. 404 `not_found` when "
        "the caller has no payout account yet (POST /me/payout-account first), and always with a "
        "real payment provider, whose onboarding happens at the provider (`onboarding_url`)."
    ),
)
def payout_account_sandbox_onboarding(request: HttpRequest) -> dict[str, Any]:
    return _account_out(payouts.sandbox_onboarding_finish_own(actor=caller(request)))


@router.post(
    "/me/payout-account",
    response={200: PayoutAccountOut, 201: PayoutAccountOut},
    summary="Set up your payout account; then finish onboarding at `onboarding_url`",
)
def payout_account_create(request: HttpRequest) -> Status[Any]:
    user = caller(request)
    existed = PayoutAccount.objects.filter(owner=user).exists()
    account = payouts.payout_account_open(actor=user)
    return Status(200 if existed else 201, _account_out(account))


@router.post(
    "/me/payout-account/refresh",
    response={200: PayoutAccountOut, 404: ErrorOut},
    summary="Ask the payment provider how your payout account stands now (after onboarding)",
)
def payout_account_refresh(request: HttpRequest) -> dict[str, Any]:
    return _account_out(payouts.payout_account_fetch(actor=caller(request)))


class OnboardingLinkOut(Schema):
    url: str = Field(description="Open it to continue onboarding at the provider; it expires soon.")


@router.post(
    "/me/payout-account/onboarding-link",
    response={200: OnboardingLinkOut, 404: ErrorOut},
    summary="A fresh link to continue onboarding at the payment provider",
)
def payout_account_onboarding_link(request: HttpRequest) -> dict[str, Any]:
    return {"url": payouts.onboarding_link_make(actor=caller(request))}


class ScheduleIn(InputSchema):
    schedule: str = Field(description="weekly, monthly or on_request: one of `schedules_offered`.")


@router.put(
    "/me/payout-account/schedule",
    response={200: PayoutAccountOut, 409: ErrorOut, 422: ErrorOut},
    summary="Choose when you are paid out (409 `payout_account_required`, 422 `payout_schedule_not_offered`)",
)
def payout_schedule_choose(request: HttpRequest, data: ScheduleIn) -> dict[str, Any]:
    return _account_out(payouts.payout_schedule_choose(actor=caller(request), schedule=data.schedule))


class PayoutIn(InputSchema):
    currency: str = Field(min_length=3, max_length=3)
    amount_minor: StrictInt | None = Field(
        None, ge=1, le=10**15, description="Default: everything available in this currency."
    )


class PayoutOut(Schema):
    id: UUID
    amount: MoneyOut
    status: str = Field(description="pending, paid or failed (a failed payout's money is back).")
    scheduled: bool = Field(description="Made by the payout schedule rather than on request.")
    failure_code: str
    created_at: datetime
    finished_at: datetime | None


def _payout_out(payout: Payout) -> dict[str, Any]:
    return {
        "id": payout.pk,
        "amount": Money(payout.amount_minor, payout.currency).as_json(),
        "status": payout.status,
        "scheduled": payout.scheduled,
        "failure_code": payout.failure_code,
        "created_at": payout.created_at,
        "finished_at": payout.finished_at,
    }


@router.post(
    "/me/payouts",
    response={201: PayoutOut, 409: ErrorOut},
    summary="Pay out your available balance (409 `payout_account_required`, "
    "`payout_account_not_ready`, `payouts_on_hold`, `insufficient_funds`)",
)
def payout_create(request: HttpRequest, data: PayoutIn) -> Status[Any]:
    payout = payouts.payout_request(
        actor=caller(request), currency=data.currency.upper(), amount_minor=data.amount_minor
    )
    payout.refresh_from_db()
    return Status(201, _payout_out(payout))


@router.get("/me/payouts", response=Page[PayoutOut], summary="Your payouts, newest first")
def payout_list(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    rows, cursor = page_by_id(Payout.objects.filter(owner=caller(request)), params)
    return {"results": [_payout_out(row) for row in rows], "next_cursor": cursor}


class PaymentOut(Schema):
    status: str = Field(
        description="authorized, capture_pending, captured, capture_failed, voided, released or refunded."
    )
    amount: MoneyOut = Field(description="What the customer pays.")
    refunded: MoneyOut
    payment_method: str = Field(description="Masked: a card shows as its last four digits.")
    provider_share: MoneyOut = Field(description="The provider's part before any refund.")
    frozen: bool = Field(description="A dispute holds the provider's share.")


@router.get(
    "/transactions/{transaction_id}/payment",
    response={200: PaymentOut, 404: ErrorOut},
    summary="A deal's payment (parties and operators only; 404 when the deal takes no money)",
)
def payment_show(request: HttpRequest, transaction_id: UUID) -> dict[str, Any]:
    payment = selectors.payment_visible(actor=caller(request), deal_id=transaction_id)
    return {
        "status": payment.status,
        "amount": Money(payment.amount_minor, payment.currency).as_json(),
        "refunded": Money(payment.refunded_minor, payment.currency).as_json(),
        "payment_method": payment.payment_method,
        "provider_share": Money(payment.provider_share_minor, payment.currency).as_json(),
        "frozen": payment.frozen,
    }


class HoldIn(InputSchema):
    member_id: UUID
    reason: str = Field(min_length=1, max_length=500)


class HoldOut(Schema):
    id: int
    member_id: UUID
    reason: str
    created_at: datetime
    released_at: datetime | None


def _hold_out(hold: PayoutHold) -> dict[str, Any]:
    return {
        "id": hold.pk,
        "member_id": hold.owner_id,
        "reason": hold.reason,
        "created_at": hold.created_at,
        "released_at": hold.released_at,
    }


@router.post(
    "/ops/payout-holds",
    response={201: HoldOut, 403: ErrorOut},
    summary="Operators (finance): hold a member's payouts",
)
def hold_create(request: HttpRequest, data: HoldIn) -> Status[Any]:
    actor = caller(request)
    operators.require_operator(actor, operators.FINANCE)  # before saying whether the member exists
    owner = User.objects.filter(pk=data.member_id).first()
    if owner is None:
        raise InvalidInput(details={"member_id": [_("No such member.")]})
    return Status(201, _hold_out(payouts.payout_hold_place(actor=actor, owner=owner, reason=data.reason)))


@router.post(
    "/ops/payout-holds/{hold_id}/release",
    response={200: HoldOut, 403: ErrorOut},
    summary="Operators (finance): release a hold",
)
def hold_release(request: HttpRequest, hold_id: int) -> dict[str, Any]:
    actor = caller(request)
    operators.require_operator(actor, operators.FINANCE)  # before saying whether the hold exists
    hold = PayoutHold.objects.filter(pk=hold_id).first()
    if hold is None:
        raise NotFound()
    return _hold_out(payouts.payout_hold_release(actor=actor, hold=hold))


# -- saved cards ---------------------------------------------------------------------------


class SavedCardOut(Schema):
    id: str = Field(description="The provider's id of the saved card (a Stripe PaymentMethod `pm_…`).")
    brand: str = Field(description="visa, mastercard, …")
    last4: str
    exp_month: int
    exp_year: int


class CardSetupOut(Schema):
    provider: str = Field(description="The payment provider, e.g. stripe or sandbox.")
    setup_id: str = Field(description="The provider's id of the setup (a Stripe SetupIntent `seti_…`).")
    client_secret: str = Field(
        description="For the member's page only: Stripe.js confirms the setup with it "
        "(`stripe.confirmCardSetup` / the Payment Element). Never log or store it."
    )


@payment_methods_router.get(
    "/me/payment-methods",
    response=Page[SavedCardOut],
    summary="Your saved cards, newest first",
    description="The cards saved at the payment provider for you; never their numbers. Empty "
    "until you save one (POST /me/payment-methods/setup).",
)
def saved_card_list(request: HttpRequest) -> dict[str, Any]:
    methods = saved_cards.saved_list(member=caller(request))
    return {"results": [method.as_json() for method in methods], "next_cursor": None}


@payment_methods_router.post(
    "/me/payment-methods/setup",
    response={201: CardSetupOut},
    summary="Start saving a card: answers the client secret your page confirms it with",
    description="Creates your customer at the payment provider on first use, then a setup "
    "(a Stripe SetupIntent for off-session use). The page confirms it with the provider's "
    "script and the client secret; the card then shows in GET /me/payment-methods.",
)
def saved_card_setup(request: HttpRequest) -> Status[Any]:
    setup = saved_cards.setup_begin(member=caller(request))
    answer = {
        "provider": settings.PAYMENT_PROVIDER,
        "setup_id": setup.id,
        "client_secret": setup.client_secret,
    }
    return Status(201, answer)


@payment_methods_router.delete(
    "/me/payment-methods/{method_id}",
    response={204: None, 404: ErrorOut},
    summary="Remove a saved card (404 `not_found` for a card that is not yours)",
)
def saved_card_remove(request: HttpRequest, method_id: str) -> Status[None]:
    if len(method_id) > 255:
        raise NotFound()
    saved_cards.saved_remove(member=caller(request), method_id=method_id)
    return Status(204, None)
