"""How a deal is written: a step saves only the columns it changed, and opening a deal is a
top-level (durable) database transaction of its own."""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from barnraise.commerce import services
from barnraise.commerce.models import Transaction
from barnraise.commerce.tests.conftest import slot
from barnraise.conftest import TEST_CARD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_fees")]


def _updated_columns(queries: list[dict[str, str]]) -> list[set[str]]:
    """The columns each UPDATE of the deal's table sets."""
    found = []
    for query in queries:
        sql = query["sql"]
        if re.match(r'\s*UPDATE\s+"commerce_transaction"', sql):
            assignments = sql.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
            found.append(set(re.findall(r'"(\w+)"\s*=', assignments)))
    return found


def _step(client, tx_id, name, **params):
    body = {"name": name, "params": params}
    with CaptureQueriesContext(connection) as captured:
        answer = client.call("POST", f"transactions/{tx_id}/transitions", json=body)
    assert answer.status_code == 200, answer.json()
    return _updated_columns(captured.captured_queries)


def test_a_step_saves_only_what_it_changed(customer, api_as, listing):
    # given an offer on a request
    need = listing("request", actor=customer.user)
    alice = api_as(name="Alice")
    body = {"price": {"amount_minor": 9000, "currency": "EUR"}, "message": "Tomorrow"}
    offer = alice.call("POST", f"listings/{need.public_id}/offers", json=body).json()
    before = Transaction.objects.get(pk=offer["id"])
    # when the customer counters it
    countered = _step(customer, offer["id"], "counter", price={"amount_minor": 8000, "currency": "EUR"})
    # then the deal's row is written once: its state and times, and the price the step's action
    # set; not the columns it left alone (quantity, fees that stayed 0, the policy, ...)
    assert countered == [
        {
            "state",
            "entered_state_at",
            "updated_at",
            "line_items",
            "total_amount_minor",
            "provider_payout_minor",
        }
    ]
    # and when the provider withdraws, whose step's actions set nothing, only the state and times
    assert _step(alice, offer["id"], "withdraw") == [{"state", "entered_state_at", "updated_at"}]
    after = Transaction.objects.get(pk=offer["id"])
    assert (after.state, after.total_amount_minor, after.quantity) == ("withdrawn", 8000, before.quantity)
    assert after.line_items != before.line_items


def test_opening_a_deal_is_its_own_database_transaction(customer, listing):
    # given a request for a room, and a caller already inside a database transaction
    room = listing("rental")
    start, end = slot()
    # when it opens a deal from there
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        services.transaction_create(
            actor=customer.user,
            listing_id=room.public_id,
            params={"start": start, "end": end},
            payment_method=TEST_CARD,
        )
    # then it is refused before anything is written: the deal would commit with the caller's work
    assert not Transaction.objects.exists()


def test_an_offer_is_its_own_database_transaction(customer, api_as, listing):
    # given a request, and a provider's caller already inside a database transaction
    need = listing("request", actor=customer.user)
    alice = api_as(name="Alice")
    # when it makes an offer from there
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        services.offer_create(
            actor=alice.user,
            listing_id=need.public_id,
            params={"price": {"amount_minor": 9000, "currency": "EUR"}},
        )
    # then nothing is written
    assert not Transaction.objects.exists()
