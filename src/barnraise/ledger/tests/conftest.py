from collections.abc import Callable
from typing import Any

import pytest

from barnraise.accounts.models import User

# The deal fixtures, for the tests of money moving through deals (test_escrow_flow.py).
from barnraise.commerce.tests.conftest import cats, customer, listing, provider  # noqa: F401
from barnraise.ledger.journal import account_for, entry_post
from barnraise.ledger.models import Account, AccountKind, JournalEntry
from barnraise.money import Money


@pytest.fixture
def funding() -> Callable[[str], Account]:
    def make(currency: str = "EUR") -> Account:
        return account_for(AccountKind.EXTERNAL_FUNDING, currency=currency)

    return make


@pytest.fixture
def fund(funding: Callable[[str], Account]) -> Callable[..., JournalEntry]:
    """Credit a member's available balance from external funding (a test shortcut)."""
    counter = {"n": 0}

    def credit(member: User, amount_minor: int, currency: str = "EUR", **kwargs: Any) -> JournalEntry:
        counter["n"] += 1
        key = kwargs.get("key", f"fund-{counter['n']}")
        available = account_for(AccountKind.MEMBER_AVAILABLE, owner=member, currency=currency)
        return entry_post(
            kind="transfer",
            reference=f"test:{key}",
            lines=[
                (funding(currency), Money(amount_minor, currency)),
                (available, Money(-amount_minor, currency)),
            ],
            idempotency_key=key,
        )

    return credit
