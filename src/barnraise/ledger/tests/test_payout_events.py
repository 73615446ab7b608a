"""A payout's states and an operator's holds are events of the one log; only finance holds."""

from typing import Any

import pytest
from django.test import Client

from barnraise.accounts.services import operator_create
from barnraise.conftest import after_commit, payout_ready
from barnraise.errors import PermissionDenied
from barnraise.eventlog.models import Event
from barnraise.ledger.models import Payout, PayoutHold
from barnraise.ledger.payouts import payout_account_open, payout_account_sync, payout_hold_place
from barnraise.ledger.providers import PayoutAccount as ProviderAccount

pytestmark = pytest.mark.django_db


def feed(client: Any) -> list[dict[str, Any]]:
    response = client.call("GET", "events")
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


def operator(group: str) -> Any:
    return operator_create(email=f"{group}@example.com", name=group, password="pw-123456789", groups=[group])


def test_a_payout_requested_and_paid_writes_two_events_the_payee_and_finance_see(api_as, fund):
    # given a member with 27.00 EUR available and a ready payout account
    member, stranger = api_as(), api_as()
    payout_ready(member.user)
    fund(member.user, 2700)
    # when they ask for a payout and the provider pays it
    made = after_commit(lambda: member.call("POST", "me/payouts", json={"currency": "EUR"}))
    # then the payout's log is requested, then paid, numbered in order
    assert made.status_code == 201, made.content
    mine = [e for e in feed(member) if e["subject_type"] == "payout"]  # not the account's own events
    assert [(e["type"], e["from_state"], e["to_state"], e["actor_role"]) for e in mine] == [
        ("ledger:payout:requested", "", "pending", "owner"),
        ("ledger:payout:paid", "pending", "paid", "system"),
    ]
    assert mine[0]["sequence"] < mine[1]["sequence"]
    assert {e["subject_id"] for e in mine} == {made.json()["id"]}
    assert mine[1]["params"]["amount"] == {"amount_minor": 2700, "currency": "EUR", "formatted": "€27.00"}
    # and finance sees them; support and other members do not
    seen_by_finance = [e["type"] for e in feed(api_as(operator("finance"))) if e["subject_type"] == "payout"]
    assert seen_by_finance == [e["type"] for e in mine]
    assert feed(api_as(operator("support"))) == feed(stranger) == []


def test_a_failed_payout_is_an_event_with_the_provider_s_reason(api_as, fund):
    # given an account the provider reported ready, but never onboarded at the sandbox
    member = api_as()
    external_id = payout_account_open(actor=member.user).external_id
    payout_account_sync(external_id=external_id, found=ProviderAccount(external_id, True), actor=None)
    fund(member.user, 500)
    # when
    after_commit(lambda: member.call("POST", "me/payouts", json={"currency": "EUR"}))
    # then
    assert Payout.objects.get().status == Payout.Status.FAILED
    last = feed(member)[-1]
    assert (last["type"], last["to_state"], last["params"]["failure_code"]) == (
        "ledger:payout:failed",
        "failed",
        "account_not_ready",
    )


def test_a_support_operator_cannot_place_a_hold_through_any_caller_of_the_service(api_as, make_user):
    # given a member, and an operator in support (not finance)
    member = make_user()
    support = operator("support")
    page = Client()
    page.force_login(support)
    # when they try the API, the admin, and the service itself
    by_api = api_as(support).call(
        "POST", "ops/payout-holds", json={"member_id": str(member.pk), "reason": "x"}
    )
    by_admin = page.post("/admin/ledger/payouthold/add/", {"owner": str(member.pk), "reason": "x"})
    with pytest.raises(PermissionDenied):
        payout_hold_place(actor=support, owner=member, reason="x")
    # then each is refused and nothing was held or logged
    assert by_api.status_code == 403 and by_api.json()["error"]["code"] == "permission_denied"
    assert by_admin.status_code == 403
    assert not PayoutHold.objects.exists() and not Event.objects.exists()


def test_a_hold_placed_and_released_by_finance_is_logged_for_finance_only(api_as, make_user):
    # given
    member = api_as()
    finance = api_as(operator("finance"))
    # when finance places a hold and releases it
    placed = after_commit(
        lambda: finance.call(
            "POST", "ops/payout-holds", json={"member_id": str(member.user.pk), "reason": "Checks"}
        )
    )
    after_commit(lambda: finance.call("POST", f"ops/payout-holds/{placed.json()['id']}/release"))
    # then
    assert [(e["type"], e["to_state"], e["actor_role"]) for e in feed(finance)] == [
        ("ledger:payout_hold:placed", "in_force", "operator"),
        ("ledger:payout_hold:released", "released", "operator"),
    ]
    assert "Checks" not in str(feed(finance))  # an operator's note stays out of the log
    assert feed(member) == []
