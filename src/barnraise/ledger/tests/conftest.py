import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pypdfium2 as pdfium
import pytest
import time_machine
from django.test import Client

from barnraise.accounts.models import User
from barnraise.commerce.models import CommercePolicy, TaxRate, Transaction

# The deal fixtures, for the tests of money moving through deals (test_escrow_flow.py).
from barnraise.commerce.tests.conftest import cats, customer, listing, provider, slot  # noqa: F401
from barnraise.conftest import TEST_CARD, after_commit
from barnraise.ledger import paperwork
from barnraise.ledger.journal import account_for, entry_post
from barnraise.ledger.models import Account, AccountKind, Document, JournalEntry
from barnraise.ledger.tests.fixtures.stripe.fake import shape
from barnraise.money import Money
from barnraise.timers import services as timers

URL = "/api/v1/webhooks/payments/stripe"  # the Stripe webhook


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


CHARGEBACK = "4000000000000259"


def book(client, room, card=TEST_CARD, days=3):
    start, end = slot(days=days)
    body = {"listing_id": str(room.public_id), "start": start, "end": end, "payment_method": card}
    return after_commit(lambda: client.call("POST", "transactions", json=body))


def step(client, tx_id, name, **params):
    body = {"name": name, "params": params}
    return after_commit(lambda: client.call("POST", f"transactions/{tx_id}/transitions", json=body))


def sweep_at(moment):
    with time_machine.travel(moment, tick=False):
        return after_commit(timers.sweep)


def completed_booking(payer, seller, room):
    tx = book(payer, room).json()
    step(seller, tx["id"], "accept")
    sweep_at(datetime.fromisoformat(tx["end"]) + timedelta(days=1, minutes=1))
    assert Transaction.objects.get(pk=tx["id"]).state == "completed"
    return tx


SECRET = "whsec_test_secret"


def signed(body: bytes, *, secret: str = SECRET, at: int | None = None) -> str:
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def dispute_event(event_id: str = "evt_1") -> bytes:
    event = shape("event")
    dispute = shape("dispute")
    dispute.update(id="dp_1", amount=5000, charge="ch_1", currency="eur", payment_intent="pi_1")
    event.update(
        id=event_id, created=int(time.time()), type="charge.dispute.created", data={"object": dispute}
    )
    return json.dumps(event).encode()


def deliver(client: Client, body: bytes, signature: str | None = None, **headers: str):
    if signature is not None:
        headers["HTTP_STRIPE_SIGNATURE"] = signature
    return client.post(URL, data=body, content_type="application/json", **headers)


def save_in_sandbox(setup: dict[str, Any], card: str = TEST_CARD) -> None:
    """What the member's page does with a started setup in the sandbox: save a test card."""
    from barnraise.ledger.providers.sandbox import SandboxProvider

    SandboxProvider().setup_confirm(
        setup_id=setup["setup_id"], client_secret=setup["client_secret"], card_number=card
    )


# Receipts, invoices and credit notes (test_paperwork.py, test_credit_notes.py) ----------------


@pytest.fixture
def vat(db: None) -> None:
    """The operator's tax table: VAT at 20% on top of the price and of the marketplace's fees in
    Belgium (where the test listings are), the marketplace collecting it as facilitator
    (docs/taxes.md)."""
    TaxRate.objects.create(label="VAT", country="BE", percent=Decimal(20))
    policy = CommercePolicy.objects.first() or CommercePolicy()
    policy.marketplace_facilitator = True
    policy.save()


def pdf_text(content: bytes) -> str:
    document = pdfium.PdfDocument(content)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def buy(buyer, bike):
    body = {"listing_id": str(bike.public_id), "quantity": 1, "payment_method": TEST_CARD}
    return after_commit(lambda: buyer.call("POST", "transactions", json=body)).json()


def papers(client, **query):
    return client.call("GET", "me/paperwork", query_params=query).json()["results"]


def numbers(series: str = paperwork.MARKETPLACE_SERIES) -> list[int]:
    return sorted(Document.objects.filter(series=series).values_list("sequence", flat=True))
