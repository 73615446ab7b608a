"""The refund a cancellation would give, previewed by its dry run, is the refund it then gives:
the preview runs the same step (the policy's share, the ledger's arithmetic), at any moment.

Two hours of a €15.00 room: the customer pays €32.00 (docs/money.md); the listing's policy is
"moderate": everything back until 5 days (120 hours) before the start, half after.
"""

from datetime import datetime, timedelta

import pytest
import time_machine

from barnraise.commerce.models import Transaction
from barnraise.eventlog.models import Event
from barnraise.ledger.models import Payment, SandboxRecord
from barnraise.ledger.tests.conftest import book, step

pytestmark = pytest.mark.django_db


def preview(client, tx_id, name="cancel_by_customer"):
    return client.call(
        "POST", f"transactions/{tx_id}/transitions?dry_run=true", json={"name": name, "params": {}}
    )


@pytest.mark.parametrize(
    ("hours_before", "back_minor"),
    [(24 * 9, 3200), (121, 3200), (119, 1600), (30, 1600), (1, 1600)],
)
def test_the_preview_is_the_refund_the_cancellation_then_makes(
    customer, provider, listing, hours_before, back_minor
):
    # given an accepted booking of €32.00, ten days away, under the moderate policy
    tx = book(customer, listing(), days=10).json()
    step(provider, tx["id"], "accept")
    start = datetime.fromisoformat(tx["start"])
    with time_machine.travel(start - timedelta(hours=hours_before), tick=False):
        # when the customer asks what cancelling now would give back
        shown = preview(customer, tx["id"])
        assert shown.status_code == 200, shown.content
        refund = shown.json()["refund_preview"]
        assert refund["amount"]["amount_minor"] == back_minor
        assert refund["of"] == {"amount_minor": 3200, "currency": "EUR", "formatted": "€32.00"}
        assert refund["summary"].startswith(f"You'll get back {refund['amount']['formatted']} of €32.00.")
        assert "full refund until 5 days before the start, half after" in refund["summary"]
        # then the preview changed nothing
        assert Transaction.objects.get(pk=tx["id"]).state == "accepted"
        assert Payment.objects.get().refunded_minor == 0
        # and cancelling at that moment gives back exactly that
        step(customer, tx["id"], "cancel_by_customer", reason="Plans changed")
    payment = customer.call("GET", f"transactions/{tx['id']}/payment").json()
    assert payment["refunded"]["amount_minor"] == back_minor
    assert SandboxRecord.objects.get(kind="refund").amount_minor == back_minor


def test_before_the_capture_the_preview_says_the_hold_is_released(customer, provider, listing):
    tx = book(customer, listing()).json()  # requested: the card is only held
    refund = preview(customer, tx["id"]).json()["refund_preview"]
    assert refund["hold_released"] is True
    assert refund["amount"]["amount_minor"] == refund["of"]["amount_minor"] == 3200
    assert "hold of €32.00 is released" in refund["summary"]
    step(customer, tx["id"], "cancel_by_customer")
    assert Payment.objects.get().status == "voided"


def test_the_provider_sees_the_customer_refunded_in_full_when_they_cancel(customer, provider, listing):
    tx = book(customer, listing(), days=2).json()  # under 5 days: a customer would get half
    step(provider, tx["id"], "accept")
    refund = preview(provider, tx["id"], "cancel_by_provider").json()["refund_preview"]
    assert refund["summary"] == "The customer gets back €32.00 of €32.00."
    step(provider, tx["id"], "cancel_by_provider", reason="Double-booked")
    assert Payment.objects.get().refunded_minor == refund["amount"]["amount_minor"] == 3200


def test_a_step_that_moves_no_money_previews_no_refund(customer, provider, listing):
    tx = book(customer, listing()).json()
    shown = preview(provider, tx["id"], "accept")
    assert shown.status_code == 200 and shown.json()["refund_preview"] is None
    assert not Event.objects.filter(subject_type="payment").exists()
