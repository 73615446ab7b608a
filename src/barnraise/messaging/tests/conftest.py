from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from barnraise.catalog.models import Listing
from barnraise.catalog.services import listing_create
from barnraise.catalog.tests.factories import CategoryFactory
from barnraise.commerce.models import Transaction
from barnraise.commerce.services import transaction_create


@dataclass
class Deal:
    customer: Any  # ApiClient with .user
    provider: Any
    tx_id: str
    listing: Listing

    def accept(self) -> None:
        """Contact details revealed, as accepting a deal does (commerce's tests cover that
        transition; here only its effect matters)."""
        Transaction.objects.filter(pk=self.tx_id).update(contact_revealed_at=timezone.now())


@pytest.fixture(name="make_deal")
def make_deal_fixture(api_as: Callable[..., Any], db: Any) -> Callable[..., Deal]:
    """An inquiry on a classifieds listing: the simplest deal, open and not accepted."""
    category = CategoryFactory(slug="ads", name="Classifieds", kinds=["sale"], processes=["inquiry"])

    def make(customer: Any = None, provider: Any = None, title: str = "Oak table") -> Deal:
        provider = provider or api_as(name="Pat Provider")
        customer = customer or api_as(name="Cam Customer")
        listing = listing_create(
            actor=provider.user,
            kind="sale",
            category=category,
            title=title,
            unit="item",
            stock=1,
            price_amount_minor=4000,
            currency="EUR",
            lat=50.85,
            lng=4.35,
        )
        outcome = transaction_create(
            actor=customer.user, listing_id=listing.public_id, params={"message": "Is it still there?"}
        )
        return Deal(customer, provider, str(outcome.tx.id), listing)

    return make


@pytest.fixture(name="deal")
def deal_fixture(make_deal: Callable[..., Deal]) -> Deal:
    return make_deal()
