from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from barnraise.accounts.models import User
from barnraise.accounts.services import operator_create
from barnraise.catalog.models import Category, Listing
from barnraise.catalog.services import listing_create
from barnraise.catalog.tests.factories import CategoryFactory
from barnraise.messaging.tests.conftest import deal_fixture, make_deal_fixture  # noqa: F401 - shared fixtures


@pytest.fixture
def category(db: Any) -> Category:
    return CategoryFactory(slug="things", name="Things", kinds=["sale"], processes=["inquiry"])


@pytest.fixture
def make_listing(category: Category) -> Callable[..., Listing]:
    def make(author: User, title: str = "Oak table", description: str = "") -> Listing:
        return listing_create(
            actor=author,
            kind="sale",
            category=category,
            title=title,
            description=description,
            unit="item",
            stock=1,
            price_amount_minor=4000,
            currency="EUR",
            lat=50.85,
            lng=4.35,
        )

    return make


@pytest.fixture
def operator(db: Any) -> User:
    return operator_create(
        email="op@example.com", name="Olive Operator", password="x" * 12, groups=["support"]
    )


@pytest.fixture
def admin_action(operator: User) -> Callable[..., Any]:
    """Run an admin action on rows, as an operator in the `support` group would."""
    client = Client()
    client.force_login(operator)

    def run(model: str, action: str, ids: list[Any]) -> Any:
        url = reverse(f"admin:trust_{model}_changelist")
        return client.post(url, {"action": action, "_selected_action": [str(i) for i in ids]}, follow=True)

    run.client = client  # type: ignore[attr-defined]
    return run
