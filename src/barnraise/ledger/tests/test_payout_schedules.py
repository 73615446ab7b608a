"""Payout schedules (issue #20, "Getting paid"): the operator offers some of weekly, monthly and
on request, and a default; the member picks one; the daily payout task honours it."""

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from barnraise.conftest import after_commit, payout_ready
from barnraise.eventlog.models import Event
from barnraise.ledger.models import Payout, PayoutAccount
from barnraise.ledger.payouts import payouts_due

pytestmark = pytest.mark.django_db

SCHEDULE = "me/payout-account/schedule"
MONDAY = datetime(2026, 12, 14, 6, 0, tzinfo=UTC)
TUESDAY = datetime(2026, 12, 15, 6, 0, tzinfo=UTC)
FIRST_OF_JANUARY = datetime(2027, 1, 1, 6, 0, tzinfo=UTC)  # a Friday


def run_payouts_at(moment: datetime) -> int:
    """What the worker's daily payout task does at `moment`."""
    with time_machine.travel(moment, tick=False):
        made: int = after_commit(payouts_due)
    return made


def paid(member: Any) -> list[tuple[int, bool]]:
    rows = member.call("GET", "me/payouts").json()["results"]
    return [(row["amount"]["amount_minor"], row["scheduled"]) for row in rows]


def test_a_member_sees_the_default_and_picks_another_schedule(api_as):
    # given a member with a payout account, on a marketplace offering every schedule
    member = api_as()
    payout_ready(member.user)
    shown = member.call("GET", "me/payout-account").json()
    assert (shown["schedule"], shown["schedules_offered"]) == ("weekly", ["weekly", "monthly", "on_request"])
    # when they choose monthly
    chosen = member.call("PUT", SCHEDULE, json={"schedule": "monthly"})
    # then it is theirs, and the change is an event
    assert chosen.status_code == 200 and chosen.json()["schedule"] == "monthly"
    event = Event.objects.get(type="ledger:payout_account:schedule_chosen")
    assert (event.payload, event.actor_id, event.member_id) == (
        {"from": "weekly", "to": "monthly"},
        member.user.pk,
        member.user.pk,
    )
    # and choosing it again changes nothing and writes nothing
    member.call("PUT", SCHEDULE, json={"schedule": "monthly"})
    assert Event.objects.filter(type="ledger:payout_account:schedule_chosen").count() == 1


def test_a_schedule_the_operator_does_not_offer_is_refused(api_as, settings):
    # given an operator who offers only weekly and on-request payouts
    settings.PAYOUT_SCHEDULES, settings.PAYOUT_SCHEDULE_DEFAULT = ["weekly", "on_request"], "weekly"
    member = api_as()
    payout_ready(member.user)
    # when a member asks for monthly, or for something that is no schedule
    monthly = member.call("PUT", SCHEDULE, json={"schedule": "monthly"})
    daily = member.call("PUT", SCHEDULE, json={"schedule": "daily"})
    extra = member.call("PUT", SCHEDULE, json={"schedule": "weekly", "day": "friday"})
    # then each is a 4xx with a stable code, and nothing changed
    assert monthly.status_code == daily.status_code == 422
    assert monthly.json()["error"]["code"] == "payout_schedule_not_offered"
    assert monthly.json()["error"]["details"]["offered"] == ["weekly", "on_request"]
    assert extra.status_code == 422
    assert PayoutAccount.objects.get().schedule == ""
    assert not Event.objects.filter(type="ledger:payout_account:schedule_chosen").exists()


def test_without_a_payout_account_there_is_nothing_to_schedule(api_as):
    # given a member with no payout account
    member = api_as()
    # when they choose a schedule
    refused = member.call("PUT", SCHEDULE, json={"schedule": "monthly"})
    # then 409 payout_account_required, and no account was made
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "payout_account_required"
    assert not PayoutAccount.objects.exists()


def test_the_payout_task_pays_each_member_on_their_schedule(api_as, fund):
    # given three members with money available: weekly (the default), monthly, on request
    weekly, monthly, on_request = api_as(), api_as(), api_as()
    for member, schedule in ((weekly, ""), (monthly, "monthly"), (on_request, "on_request")):
        payout_ready(member.user)
        if schedule:
            assert member.call("PUT", SCHEDULE, json={"schedule": schedule}).status_code == 200
        fund(member.user, 1000)
    # when the daily task runs on a Tuesday: nothing is due
    assert run_payouts_at(TUESDAY) == 0
    # when it runs on a Monday (twice: a retry): only the weekly member is paid, once
    assert run_payouts_at(MONDAY) == 1
    assert run_payouts_at(MONDAY) == 0
    assert (paid(weekly), paid(monthly), paid(on_request)) == ([(1000, True)], [], [])
    # when it runs on the first of the month (a Friday): only the monthly member is paid
    assert run_payouts_at(FIRST_OF_JANUARY) == 1
    assert (paid(weekly), paid(monthly), paid(on_request)) == ([(1000, True)], [(1000, True)], [])
    # and the member who pays out on request still can, themselves
    asked = after_commit(lambda: on_request.call("POST", "me/payouts", json={"currency": "EUR"}))
    assert asked.status_code == 201 and paid(on_request) == [(1000, False)]


def test_a_schedule_the_operator_withdraws_falls_back_to_the_default(api_as, fund, settings):
    # given a member who chose monthly payouts
    member = api_as()
    payout_ready(member.user)
    member.call("PUT", SCHEDULE, json={"schedule": "monthly"})
    fund(member.user, 500)
    # when the operator stops offering monthly payouts
    settings.PAYOUT_SCHEDULES, settings.PAYOUT_SCHEDULE_DEFAULT = ["weekly", "on_request"], "weekly"
    # then the member is shown, and paid on, the default schedule
    assert member.call("GET", "me/payout-account").json()["schedule"] == "weekly"
    assert run_payouts_at(FIRST_OF_JANUARY) == 0
    assert run_payouts_at(MONDAY) == 1


def test_a_member_not_ready_or_on_hold_gets_no_scheduled_payout(api_as, fund):
    # given a weekly member whose account is not ready yet
    member = api_as()
    member.call("POST", "me/payout-account")
    fund(member.user, 500)
    # when the Monday run comes
    made = run_payouts_at(MONDAY)
    # then nothing was paid
    assert made == 0 and Payout.objects.count() == 0


def test_the_wallet_page_offers_the_operators_schedules(api_as, settings):
    # given an operator who offers weekly and monthly payouts, and a member with an account
    settings.PAYOUT_SCHEDULES, settings.PAYOUT_SCHEDULE_DEFAULT = ["weekly", "monthly"], "monthly"
    member = api_as()
    payout_ready(member.user)
    page = Client()
    page.force_login(member.user)
    # when they open the wallet
    wallet = page.get("/wallet/").content.decode()
    # then they see the two schedules, the default chosen, and no "on request"
    assert 'value="monthly" checked' in wallet and 'value="weekly">' in wallet
    assert "On the first of each month" in wallet and "only when I ask" not in wallet.lower()
    # when they pick weekly on the page
    saved = page.post("/wallet/payout-schedule/", {"schedule": "weekly"}, follow=True)
    # then it is saved and said so
    assert "Your payout schedule is saved." in saved.content.decode()
    assert PayoutAccount.objects.get().schedule == "weekly"
    # and a schedule not offered is refused with a sentence, leaving it as it was
    refused = page.post("/wallet/payout-schedule/", {"schedule": "on_request"}, follow=True)
    assert "This marketplace does not offer that payout schedule." in refused.content.decode()
    assert PayoutAccount.objects.get().schedule == "weekly"
