"""Receipt numbers have no gaps when 32 payments are taken at once, each by its own client.

32 purchases wait for their seller; 32 real HTTP clients, each on its own connection and
released together by a barrier, accept them at once. Each accept captures the card (the
worker's task runs on commit, in the request's thread, as the test settings make huey run),
and the capture's transition issues the receipt.

On PostgreSQL the counter row is locked FOR UPDATE (`paperwork.number_next`). Left to chance,
32 captures seldom reach the counter in the same millisecond, so a missing lock would mostly
pass. The test makes the clash certain: its own connection holds the series' counter row FOR
UPDATE while the clients are released, and lets go only once every one of the 32 waits on that
row (PostgreSQL's `pg_stat_activity` says so). With the lock they then queue and take 1 to 32
in turn; without it they have all read the same `last` and give the same number (removing the
`select_for_update()` makes this test fail: docs/paperwork.md).

On SQLite (a file in WAL mode) every write transaction is IMMEDIATE: a capture's whole
transaction holds the one write lock, so two captures never number at once whatever
`number_next` does (`select_for_update()` is nothing there), and holding a lock from the test
would stop the clients at their first write, not at the numbering. There the test is the burst
alone: it proves the line of writers (and its 503 `busy`, retried) gives gapless numbers.
"""

import http.client
import json
import threading
import time
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.db import connection, transaction
from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.accounts.services import token_create
from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import Transaction
from barnraise.commerce.services import transaction_create
from barnraise.conftest import TEST_CARD, payout_ready
from barnraise.ledger import paperwork
from barnraise.ledger.models import Document, DocumentCounter, DocumentKind, ProviderCall

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
    parts = urlsplit(url)
    barrier = threading.Barrier(len(deal_ids))
    statuses = [0] * len(deal_ids)

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        body = json.dumps({"name": "accept", "params": {}})
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


def waiting_on_the_counter(expected: int, *, within: float = 30.0) -> int:
    """How many other connections wait on a lock in a statement on the counter table: polled
    until `expected` do, or `within` seconds pass. PostgreSQL only."""
    found, deadline = 0, time.monotonic() + within
    with connection.cursor() as cursor:
        while found < expected and time.monotonic() < deadline:
            time.sleep(0.05)
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # a fresh view, inside our transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' "
                "AND query ILIKE %s",
                [f"%{DocumentCounter._meta.db_table}%"],
            )
            found = cursor.fetchone()[0]
    return found


def accept_with_the_counter_held(url: str, deal_ids: list[str], token: str) -> tuple[list[int], int]:
    """PostgreSQL: accept the deals at once while this connection holds the marketplace series'
    counter row FOR UPDATE (made first: the series starts lazily), until every client waits on
    it; then let go. The statuses, and how many clients were seen waiting."""
    series, year = paperwork.MARKETPLACE_SERIES, timezone.now().year
    DocumentCounter.objects.get_or_create(series=series, year=year)
    answers: dict[str, list[int]] = {}
    clients = threading.Thread(target=lambda: answers.update(statuses=accept_at_once(url, deal_ids, token)))
    with transaction.atomic():
        DocumentCounter.objects.select_for_update().get(series=series, year=year)
        clients.start()
        waiting = waiting_on_the_counter(len(deal_ids))
    clients.join()
    return answers["statuses"], waiting


def test_32_payments_at_once_get_receipts_numbered_without_gaps(live_server):
    # given a seller whose 33 customers each bought a bike, waiting for the seller to accept
    # (a listing each: a step locks its deal's listing, so deals on one listing would reach
    # the numbering one by one, whatever it does)
    seller = payout_ready(member("seller@example.com"))
    bikes = category_create(slug="bikes", name="Bikes", kinds=["sale"])
    deals = []
    for index in range(CLIENTS + 1):
        bike = listing_create(
            actor=seller,
            kind="sale",
            category=bikes,
            title=f"Bike {index}",
            unit="item",
            price_amount_minor=20000,
            currency="EUR",
            stock=1,
            lat=50.0,
            lng=4.0,
        )
        deal = transaction_create(
            actor=member(f"c{index}@example.com"),
            listing_id=bike.public_id,
            params={"quantity": 1},
            payment_method=TEST_CARD,
        )
        deals.append(str(deal.tx.pk))
    token = token_create(user=seller, name="t")[1]
    # and the first accepted alone: the first payment in a currency opens the ledger's shared
    # accounts (and the year's counter row), which would line the others up before the numbering
    first, deals = deals[0], deals[1:]
    assert accept_at_once(live_server.url, [first], token) == [200]
    # when the seller accepts them all at once, from 32 clients (on PostgreSQL, with the
    # counter held until all 32 wait to number their receipt)
    if connection.vendor == "postgresql":
        statuses, waiting = accept_with_the_counter_held(live_server.url, deals, token)
        assert waiting == CLIENTS, f"only {waiting} of {CLIENTS} captures reached the numbering together"
    else:
        statuses = accept_at_once(live_server.url, deals, token)
    assert set(statuses) <= {200, 503}, statuses
    retry = [deal for deal, status in zip(deals, statuses, strict=True) if status == 503]
    if retry:  # a busy answer changed nothing: accept those again
        assert set(accept_at_once(live_server.url, retry, token)) == {200}
    # then every capture was reported at once (none failed on a number taken twice and waits
    # for the sweeper), every payment was taken, and its receipt numbered: 2 to 33 after the
    # first's 1, none missing, none twice
    assert not ProviderCall.objects.filter(operation="capture", reported_at__isnull=True).exists()
    assert Transaction.objects.filter(pk__in=deals, state="accepted").count() == CLIENTS
    receipts = Document.objects.filter(kind=DocumentKind.RECEIPT, series=paperwork.MARKETPLACE_SERIES)
    assert sorted(receipts.values_list("sequence", flat=True)) == list(range(1, CLIENTS + 2))
    assert sorted(receipts.values_list("reference", flat=True)) == sorted(
        f"transaction:{d}" for d in [first, *deals]
    )
