"""Balances and ledger history for members; the trial balance for finance operators.

Mounted at the API root: /me/balances, /me/ledger and /ops/trial-balance.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from barnraise.accounts.models import User
from barnraise.api.auth import caller
from barnraise.api.pagination import PageParams, decode_cursor, encode_cursor
from barnraise.api.schemas import ErrorOut, MoneyOut, Page
from barnraise.errors import InvalidInput, PermissionDenied
from barnraise.ledger import selectors
from barnraise.ledger.models import Posting
from barnraise.money import Money

router = Router(tags=["ledger"])


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
    sum_minor: int = Field(description="Sum of every account's balance in this currency: always 0.")
    accounts: int


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
        (last,) = decode_cursor(params.cursor, 1)
        if not isinstance(last, int) or isinstance(last, bool) or not 0 < last < 2**63:
            raise InvalidInput(details={"cursor": [_("This cursor is not valid.")]})
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
            {"currency": c, "sum_minor": report.totals.get(c, 0), "accounts": report.accounts.get(c, 0)}
            for c in currencies
        ],
        "balanced": all(total == 0 for total in report.totals.values()),
        "postings_since_snapshot": report.postings_since_snapshot,
        "snapshot_up_to_posting_id": report.watermark,
    }
