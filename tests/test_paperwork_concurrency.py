"""Receipt numbers have no gaps when 32 payments are taken at once, each by its own client, and
credit note numbers none when 16 refunds are given at once.

32 purchases wait for their seller; 32 real HTTP clients, each on its own connection and
released together by a barrier, accept them at once. Each accept captures the card (the
worker's task runs on commit, in the request's thread, as the test settings make huey run),
and the capture's transition issues the receipt. On PostgreSQL the counter row is locked FOR
UPDATE; on SQLite (a file in WAL mode) the write transactions are IMMEDIATE.
"""

import http.client
import json
import threading
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress

from barnraise.accounts.models import User
from barnraise.accounts.services import operator_create, token_create
from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce import engine
from barnraise.commerce.models import Transaction
from barnraise.commerce.services import transaction_create
from barnraise.conftest import TEST_CARD, payout_ready
from barnraise.ledger import paperwork
from barnraise.ledger.models import Document, DocumentKind, ProviderCall

CLIENTS = 32
pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("ledger_rows_removable"),
]


def member(email: str) -> User:
    user = User.objects.create_user(email=email, password="pw-123456789", name=email.split("@")[0])
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


def accept_at_once(url: str, deal_ids: list[str], token: str) -> list[int]:
    return step_at_once(url, deal_ids, token, "accept", {})


def step_at_once(url: str, deal_ids: list[str], token: str, name: str, params: dict[str, Any]) -> list[int]:
    """Take the step `name` on every deal at once, one real HTTP client each."""
    parts = urlsplit(url)
    barrier = threading.Barrier(len(deal_ids))
    statuses = [0] * len(deal_ids)

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        body = json.dumps({"name": name, "params": params})
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        barrier.wait()
        conn.request(
            "POST", f"/api/v1/transactions/{deal_ids[index]}/transitions", body=body, headers=headers
        )
        response = conn.getresponse()
        response.read()
        statuses[index] = response.status
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(deal_ids))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_32_payments_at_once_get_receipts_numbered_without_gaps(live_server):
    # given a seller whose 32 customers each bought a bike, waiting for the seller to accept
    seller = payout_ready(member("seller@example.com"))
    bikes = category_create(slug="bikes", name="Bikes", kinds=["sale"])
    bike = listing_create(
        actor=seller,
        kind="sale",
        category=bikes,
        title="Bike",
        unit="item",
        price_amount_minor=20000,
        currency="EUR",
        stock=CLIENTS,
        lat=50.0,
        lng=4.0,
    )
    deals = [
        str(
            transaction_create(
                actor=member(f"c{index}@example.com"),
                listing_id=bike.public_id,
                params={"quantity": 1},
                payment_method=TEST_CARD,
            ).tx.pk
        )
        for index in range(CLIENTS)
    ]
    token = token_create(user=seller, name="t")[1]
    # when the seller accepts them all at once, from 32 clients
    statuses = accept_at_once(live_server.url, deals, token)
    assert set(statuses) <= {200, 503}, statuses
    retry = [deal for deal, status in zip(deals, statuses, strict=True) if status == 503]
    if retry:  # a busy answer changed nothing: accept those again
        assert set(accept_at_once(live_server.url, retry, token)) == {200}
    # then every capture was reported at once (none failed on a number taken twice and waits
    # for the sweeper), every payment was taken, and its receipt numbered: 1 to 32, none missing, none twice
    assert not ProviderCall.objects.filter(operation="capture", reported_at__isnull=True).exists()
    assert Transaction.objects.filter(pk__in=deals, state="accepted").count() == CLIENTS
    receipts = Document.objects.filter(kind=DocumentKind.RECEIPT, series=paperwork.MARKETPLACE_SERIES)
    assert sorted(receipts.values_list("sequence", flat=True)) == list(range(1, CLIENTS + 1))
    assert sorted(receipts.values_list("reference", flat=True)) == sorted(f"transaction:{d}" for d in deals)


REFUNDS = 16


def test_16_refunds_at_once_get_credit_notes_numbered_without_gaps(live_server):
    # given 16 bikes sold, shipped and received (each with its fee invoice), each disputed
    seller = payout_ready(member("seller@example.com"))
    bikes = category_create(slug="bikes", name="Bikes", kinds=["sale"])
    bike = listing_create(
        actor=seller,
        kind="sale",
        category=bikes,
        title="Bike",
        unit="item",
        price_amount_minor=20000,
        currency="EUR",
        stock=REFUNDS,
        lat=50.0,
        lng=4.0,
    )
    deals = []
    for index in range(REFUNDS):
        buyer = member(f"c{index}@example.com")
        tx = transaction_create(
            actor=buyer, listing_id=bike.public_id, params={"quantity": 1}, payment_method=TEST_CARD
        ).tx
        engine.transition(tx, "accept", actor=seller)
        engine.transition(tx, "mark_shipped", actor=seller, params={"tracking": f"BE{index}"})
        engine.transition(tx, "confirm_receipt", actor=buyer)
        engine.transition(tx, "dispute", actor=buyer, params={"reason": "It arrived bent."})
        deals.append(str(tx.pk))
    assert Document.objects.filter(kind=DocumentKind.FEE_INVOICE).count() == REFUNDS
    finance = operator_create(email="fin@example.com", name="Fin", password="", groups=["finance"])
    token = token_create(user=finance, name="t")[1]
    # when finance resolves them all at once, from 16 clients, each refunding half
    refund = {"refund": {"amount_minor": 10525, "currency": "EUR"}, "outcome": "Half back"}
    statuses = step_at_once(live_server.url, deals, token, "resolve", refund)
    assert set(statuses) <= {200, 503}, statuses
    retry = [deal for deal, status in zip(deals, statuses, strict=True) if status == 503]
    if retry:  # a busy answer changed nothing: resolve those again
        assert set(step_at_once(live_server.url, retry, token, "resolve", refund)) == {200}
    # then every refund has its credit note to the seller, numbered 1 to 16, none missing, none
    # twice, each for its own deal's fee invoice; the refund receipts keep the marketplace's series
    notes = Document.objects.filter(kind=DocumentKind.CREDIT_NOTE)
    assert sorted(notes.values_list("sequence", flat=True)) == list(range(1, REFUNDS + 1))
    assert all(note.invoice.reference == note.reference for note in notes.select_related("invoice"))
    assert sorted(notes.values_list("reference", flat=True)) == sorted(f"transaction:{d}" for d in deals)
    assert set(notes.values_list("total_minor", flat=True)) == {-1000}  # half the €20.00 commission
    marketplace = Document.objects.filter(series=paperwork.MARKETPLACE_SERIES)
    assert sorted(marketplace.values_list("sequence", flat=True)) == list(range(1, 3 * REFUNDS + 1))
