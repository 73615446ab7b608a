"""Payouts at once never allocate the same credit twice: four real HTTP clients, each on its own
connection and released together by a barrier, pay out €15.00 each of one member's €54.00
(three credits: €10.00, €20.00, €24.00, oldest first).

The payouts lock the member's available account (FOR UPDATE on PostgreSQL; on SQLite, a file in
WAL mode, the write transactions are IMMEDIATE), and the allocation is read under that lock. So
whichever succeed, in whatever order, the credits are filled oldest first by their sum, and
each payout's items sum to its amount.
"""

import http.client
import json
import threading
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress

from barnraise.accounts.models import User
from barnraise.accounts.services import token_create
from barnraise.conftest import payout_ready
from barnraise.ledger.journal import account_for, entry_post
from barnraise.ledger.models import AccountKind, Payout, PayoutItem
from barnraise.money import Money

CLIENTS = 4
CREDITS = [("test:first", 1000), ("test:second", 2000), ("test:third", 2400)]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("ledger_rows_removable"),
]


def pay_out_at_once(url: str, token: str, amount_minor: int) -> list[tuple[int, dict]]:
    parts = urlsplit(url)
    barrier = threading.Barrier(CLIENTS)
    results: list[tuple[int, dict]] = [(0, {})] * CLIENTS

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        body = json.dumps({"currency": "EUR", "amount_minor": amount_minor})
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        barrier.wait()
        conn.request("POST", "/api/v1/me/payouts", body=body, headers=headers)
        response = conn.getresponse()
        results[index] = (response.status, json.loads(response.read() or b"{}"))
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def fifo(total: int) -> dict[str, int]:
    filled = {}
    for reference, credited in CREDITS:
        take = min(credited, total)
        if take:
            filled[reference] = take
        total -= take
    return filled


def test_payouts_at_once_never_allocate_a_credit_twice(live_server):
    # given a member with a ready payout account and three credits to their balance
    member = User.objects.create_user(email="pat@example.com", password="pw-123456789", name="Pat")
    EmailAddress.objects.create(user=member, email=member.email, primary=True, verified=True)
    payout_ready(member)
    available = account_for(AccountKind.MEMBER_AVAILABLE, owner=member, currency="EUR")
    funding = account_for(AccountKind.EXTERNAL_FUNDING, currency="EUR")
    for reference, amount in CREDITS:
        entry_post(
            kind="transfer",
            reference=reference,
            lines=[(funding, Money(amount, "EUR")), (available, Money(-amount, "EUR"))],
            idempotency_key=reference,
        )
    _, token = token_create(user=member, name="test")
    # when four clients pay out €15.00 each at once (€60.00 asked of €54.00)
    results = pay_out_at_once(live_server.url, token, 1500)
    # then at most three are made; the others are refused for the balance, or told to retry
    statuses = [status for status, _ in results]
    assert set(statuses) <= {201, 409, 503}, results
    assert 1 <= statuses.count(201) <= 3, results
    for status, body in results:
        if status == 409:
            assert body["error"]["code"] == "insufficient_funds", body
    made = [body["id"] for status, body in results if status == 201]
    # and each payout's items sum to its amount
    for payout in Payout.objects.all():
        assert payout.status == Payout.Status.PAID
        assert (
            sum(i.amount_minor for i in PayoutItem.objects.filter(payout=payout))
            == payout.amount_minor
            == 1500
        )
    assert sorted(str(pk) for pk in Payout.objects.values_list("pk", flat=True)) == sorted(made)
    # and the credits are filled oldest first by what was paid out, none beyond what it credited
    per_credit: dict[str, int] = {}
    for item in PayoutItem.objects.all():
        per_credit[item.reference] = per_credit.get(item.reference, 0) + item.amount_minor
    assert per_credit == fifo(1500 * len(made))
