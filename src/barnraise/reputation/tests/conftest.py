from collections.abc import Callable
from typing import Any

import pytest

from barnraise.accounts.models import User
from barnraise.catalog.models import Category, Listing
from barnraise.catalog.tests.factories import CategoryFactory, ListingFactory
from barnraise.commerce import engine, processes
from barnraise.commerce.models import FeeRule, Transaction


@pytest.fixture
def bikes(db: Any) -> Category:
    FeeRule.objects.all().delete()  # totals are the listing price alone
    return CategoryFactory(slug="bikes", name="Bikes", kinds=["sale"])


@pytest.fixture
def make_listing(bikes: Category) -> Callable[..., Listing]:
    def make(provider: User, **fields: Any) -> Listing:
        defaults = {"category": bikes, "title": "A bike", "price_amount_minor": 20000}
        return ListingFactory(author=provider, kind="sale", unit="item", stock=100, **{**defaults, **fields})

    return make


def purchase(listing: Listing, customer: User, *steps: tuple[str, str]) -> Transaction:
    """A purchase (process v1, no payment) taken through `steps`: (who, transition) pairs."""
    provider = listing.author
    outcome = engine.start(
        listing=listing,
        customer=customer,
        provider=provider,
        process=processes.get("purchase", 1),
        name="request",
        params={"quantity": 1},
        actor=customer,
    )
    tx = outcome.tx
    for who, name in steps:
        actor = {"customer": customer, "provider": provider, "system": None}[who]
        tx = engine.transition(tx, name, actor=actor).tx
    return tx


COMPLETE = (("provider", "accept"), ("provider", "mark_shipped"), ("customer", "confirm_receipt"))


@pytest.fixture
def completed_deal(
    make_listing: Callable[..., Listing], django_capture_on_commit_callbacks: Any
) -> Callable[..., Transaction]:
    """A completed purchase between the two members, events delivered (reviews open)."""

    def make(customer: User, provider: User, listing: Listing | None = None, **fields: Any) -> Transaction:
        with django_capture_on_commit_callbacks(execute=True):
            tx = purchase(listing or make_listing(provider, **fields), customer, *COMPLETE)
        return tx

    return make


def review(client, tx, **fields):
    body = {"rating": 5, "text": "Smooth and friendly.", **fields}
    return client.call("POST", f"transactions/{tx.pk}/reviews", json=body)
