"""A step whose guards refuse it only for its missing params (a paid deal's dispute needs a
reason) is still among the steps a party may take, in the API as on the page (issue #17, item 23)."""

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine

from barnraise.commerce.models import Transaction
from barnraise.commerce.tests.conftest import slot
from barnraise.conftest import TEST_CARD, after_commit
from barnraise.timers import services as timers

pytestmark = pytest.mark.django_db


def test_a_paid_completed_deal_offers_the_dispute_that_needs_a_reason(
    customer: Any, provider: Any, listing: Any
) -> None:
    # given a paid booking, accepted, then completed by its timer
    start, end = slot()
    body = {"listing_id": str(listing().public_id), "start": start, "end": end, "payment_method": TEST_CARD}
    tx = after_commit(lambda: customer.call("POST", "transactions", json=body)).json()
    after_commit(
        lambda: provider.call("POST", f"transactions/{tx['id']}/transitions", json={"name": "accept"})
    )
    with time_machine.travel(datetime.fromisoformat(end) + timedelta(days=1, minutes=1), tick=False):
        after_commit(timers.sweep)
    assert Transaction.objects.get(pk=tx["id"]).state == "completed"
    # when each party reads the deal
    as_customer = customer.call("GET", f"transactions/{tx['id']}").json()
    as_provider = provider.call("GET", f"transactions/{tx['id']}").json()
    # then each is offered their dispute step, whose reason they give when they take it
    assert "dispute" in as_customer["available_transitions"]
    assert "dispute_by_provider" in as_provider["available_transitions"]
    # and a step refused for something other than its params is still left out: after the window
    with time_machine.travel(datetime.fromisoformat(end) + timedelta(days=30), tick=False):
        late = customer.call("GET", f"transactions/{tx['id']}").json()
    assert "dispute" not in late["available_transitions"]
