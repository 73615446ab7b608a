"""A deal's money, where its members see it: the cancel step's preview on the deal page, the
captures, refunds and earnings on its timeline, the notifications they get, and the customer's
part of the wallet ("what I paid, what came back").

Two hours of a €15.00 room, two days away under the moderate policy: the customer pays €32.00
and gets half back on cancelling; the provider keeps €13.50 of the other half (docs/money.md).
"""

import re
from datetime import datetime, timedelta

import pytest
from django.test import Client

from barnraise.conftest import after_commit
from barnraise.eventlog.models import Event
from barnraise.ledger.tests.conftest import book, step, sweep_at

pytestmark = pytest.mark.django_db


def page_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split()).replace("&#x27;", "'")


def titles(client) -> list[str]:
    return [n["title"] for n in client.call("GET", "notifications").json()["results"]]


def test_the_customer_sees_the_refund_before_cancelling_and_the_money_after(customer, provider, listing):
    # given an accepted booking two days away: the card was charged €32.00
    tx = book(customer, listing(title="Garden room"), days=2).json()
    step(provider, tx["id"], "accept")
    assert "You paid €32.00 for Garden room" in titles(customer)
    deal_page = page_of(customer.user).get(f"/transactions/{tx['id']}/")
    # when the customer opens the cancel step, it says what would come back, and why
    assert (
        "You'll get back €16.00 of €32.00. The host's policy: full refund until 5 days before "
        "the start, half after." in text(deal_page)
    )
    # and cancelling from the page gives back exactly that
    cancelled = after_commit(
        lambda: page_of(customer.user).post(
            f"/transactions/{tx['id']}/step/", {"name": "cancel_by_customer", "key": "cancel-1"}
        )
    )
    assert cancelled.status_code == 302
    assert customer.call("GET", f"transactions/{tx['id']}/payment").json()["refunded"]["amount_minor"] == 1600
    # then the timeline tells the money in words, the provider's share to the provider only
    customer_view = text(page_of(customer.user).get(f"/transactions/{tx['id']}/"))
    assert "took the payment of €32.00 from the customer's card" in customer_view
    assert "refunded €16.00 to the customer" in customer_view
    assert "provider's balance" not in customer_view
    assert "credited €13.50 to the provider's balance" in text(
        page_of(provider.user).get(f"/transactions/{tx['id']}/")
    )
    # and each is told: the customer of the refund, the provider of their share
    assert "You were refunded €16.00 for Garden room" in titles(customer)
    assert "You were paid €13.50 for Garden room" in titles(provider)
    assert not any("paid €13.50" in t for t in titles(customer))
    # and the wallet sums it up per deal
    wallet = page_of(customer.user).get("/wallet/")
    row = re.search(rf'data-paid-deal="{tx["id"]}".*?</li>', wallet.content.decode(), re.S).group(0)
    assert f'href="/transactions/{tx["id"]}/"' in row and "Garden room" in row
    sums = dict(re.findall(r'data-paid="(\w+)">(?:<strong>)?([^<]+)<', row))
    assert sums == {"paid": "€32.00", "back": "€16.00", "net": "€16.00"}


def test_a_completed_deal_pays_the_provider_and_tells_them(customer, provider, listing):
    tx = book(customer, listing(title="Garden room")).json()
    step(provider, tx["id"], "accept")
    sweep_at(datetime.fromisoformat(tx["end"]) + timedelta(days=1, minutes=1))  # completes
    assert "You were paid €27.00 for Garden room" in titles(provider)
    assert "credited €27.00 to the provider's balance" in text(
        page_of(provider.user).get(f"/transactions/{tx['id']}/")
    )
    wallet = page_of(customer.user).get("/wallet/").content.decode()
    row = re.search(rf'data-paid-deal="{tx["id"]}".*?</li>', wallet, re.S).group(0)
    assert 'data-paid="back">€0.00<' in row and "€32.00" in row


def test_a_declined_request_says_nothing_was_charged(customer, provider, listing):
    tx = book(customer, listing(title="Garden room")).json()
    wallet = page_of(customer.user).get("/wallet/")
    assert "Held on your card, not taken yet." in text(wallet)
    decline = text(page_of(provider.user).get(f"/transactions/{tx['id']}/"))
    assert "Nothing was taken from the customer's card yet: the hold of €32.00 is released." in decline
    step(provider, tx["id"], "decline", reason="Away")
    assert "Nothing charged for Garden room: the hold of €32.00 is released" in titles(customer)
    assert "Nothing was charged." in text(page_of(customer.user).get("/wallet/"))
    assert [e.type for e in Event.objects.filter(subject_type="payment")] == ["ledger:payment:hold_released"]


def test_the_money_section_is_the_members_own(customer, provider, listing, api_as):
    tx = book(customer, listing(title="Garden room")).json()
    stranger = page_of(api_as(name="Sam Stranger").user)
    assert tx["id"] not in stranger.get("/wallet/").content.decode()
    assert "Nothing yet. When you pay for a deal" in text(stranger.get("/wallet/"))
    assert tx["id"] not in page_of(provider.user).get("/wallet/").content.decode().split('id="balances"')[0]


def test_the_events_feed_gives_each_party_their_money_events_in_the_money_shape(customer, provider, listing):
    tx = book(customer, listing(title="Garden room"), days=2).json()
    step(provider, tx["id"], "accept")
    step(customer, tx["id"], "cancel_by_customer")

    def money_events(client):
        rows = client.call("GET", "events").json()["results"]
        return [
            (r["type"], r["params"]["amount"]["formatted"]) for r in rows if r["subject_type"] == "payment"
        ]

    assert money_events(customer) == [
        ("ledger:payment:captured", "€32.00"),
        ("ledger:payment:returned", "€16.00"),
    ]
    assert money_events(provider) == [("ledger:payment:earned", "€13.50")]
    returned = next(r for r in customer.call("GET", "events").json()["results"] if r["name"] == "returned")
    assert returned["params"]["amount"] == {"amount_minor": 1600, "currency": "EUR", "formatted": "€16.00"}
    assert returned["params"]["deal"] == tx["id"] and returned["actor_role"] == "system"
