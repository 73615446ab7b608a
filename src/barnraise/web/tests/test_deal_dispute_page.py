"""A dispute opened from the page of a deal that took a payment (issue #17, item 23): the page
lists the step although it needs a reason, and asks for it."""

from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.catalog.models import Listing
from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import Dispute, Transaction
from barnraise.conftest import TEST_CARD, after_commit, payout_ready
from barnraise.timers import services as timers


def as_member(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def paid_and_completed(make_user: Callable[..., User]) -> tuple[Client, Client, Transaction]:
    """A two-night booking paid by card through the pages, accepted, and completed by its timer."""
    provider = payout_ready(make_user(email="pat@example.com", name="Pat Provider"))
    customer = make_user(email="cam@example.com", name="Cam Customer")
    rooms = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    room: Listing = listing_create(
        actor=provider,
        category=rooms,
        kind="rental",
        unit="night",
        title="Garden room",
        price_amount_minor=4000,
        currency="EUR",
        lat=50.85,
        lng=4.35,
        timezone="Europe/Brussels",
    )
    cam, pat = as_member(customer), as_member(provider)
    first = timezone.localdate() + timedelta(days=5)
    dates = {"start": first.isoformat(), "end": (first + timedelta(days=2)).isoformat(), "seats": "1"}
    after_commit(
        lambda: cam.post(
            f"/listings/{room.public_id}/deal/", {**dates, "key": "k1", "payment_method": TEST_CARD}
        )
    )
    tx = Transaction.objects.get(customer=customer)
    after_commit(lambda: pat.post(f"/transactions/{tx.id}/step/", {"name": "accept", "key": "a1"}))
    after_stay = datetime.combine(first + timedelta(days=3), time(12), ZoneInfo("Europe/Brussels"))
    with time_machine.travel(after_stay, tick=False):
        after_commit(timers.sweep)
    tx.refresh_from_db()
    assert tx.state == "completed" and tx.process_version >= 2
    return cam, pat, tx


def test_a_party_opens_a_dispute_with_a_reason_from_a_paid_deals_page(
    paid_and_completed: tuple[Client, Client, Transaction],
) -> None:
    # given a paid deal that completed
    cam, pat, tx = paid_and_completed
    url = f"/transactions/{tx.id}/"
    # when the customer opens its page
    page = cam.get(url).content.decode()
    # then "What next" offers the dispute, asking for the reason (required)
    assert "Open a dispute" in page
    assert 'name="name" value="dispute"' in page
    assert '<textarea id="dispute-reason" name="reason" rows="2" maxlength="5000" required' in page
    # and the provider is offered their own dispute step, under the same human label
    assert 'name="name" value="dispute_by_provider"' in pat.get(url).content.decode()

    # when the customer sends it without a reason
    refused = cam.post(f"{url}step/", {"name": "dispute", "key": "d0", "reason": "  "})
    # then the page says what is missing beside the field, and nothing changed
    assert refused.status_code == 422
    assert "Say what went wrong" in refused.content.decode()
    tx.refresh_from_db()
    assert tx.state == "completed" and not Dispute.objects.exists()

    # when the customer gives the reason
    sent = after_commit(
        lambda: cam.post(f"{url}step/", {"name": "dispute", "key": "d1", "reason": "The heating was off"})
    )
    # then the deal is disputed, the dispute is recorded with the reason, and the page says so
    assert sent.status_code == 302 and sent["Location"] == url
    tx.refresh_from_db()
    assert tx.state == "disputed"
    dispute = Dispute.objects.get(transaction=tx)
    assert (dispute.reason, dispute.opened_as, dispute.status) == ("The heating was off", "customer", "open")
    after = cam.get(url).content.decode()
    assert "opened a dispute" in after and "The heating was off" in after
