"""A provider has at most one open offer on a request, also when two offers are sent at once:
two clients, each on its own connection, post at the same instant; one offer opens, the other
is answered 409 `conflict`, as a second offer sent later is."""

import threading
from typing import Any

import pytest
from django.db import connection

from barnraise.commerce.models import Transaction

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROUNDS = 4


def _offer(client: Any, need: Any, amount: int) -> Any:
    body = {"price": {"amount_minor": amount, "currency": "EUR"}, "message": "I can do it"}
    return client.call("POST", f"listings/{need.public_id}/offers", json=body)


def _race(need: Any, sends: list[tuple[Any, int]]) -> tuple[list[Any], list[BaseException]]:
    """Each client posts its offer on its own thread (its own connection), all at one instant."""
    barrier = threading.Barrier(len(sends))
    answers: list[Any] = []
    failures: list[BaseException] = []

    def send(client: Any, amount: int) -> None:
        try:
            barrier.wait()
            answers.append(_offer(client, need, amount))
        except BaseException as exc:  # reported by the test
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=pair) for pair in sends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers, failures


def test_two_offers_sent_at_once_open_one(customer, api_as, listing):
    for round_ in range(ROUNDS):
        # given a request, and a provider with two clients (a phone and a laptop)
        need = listing("request", actor=customer.user, title=f"Paint my fence {round_}")
        phone = api_as(name=f"Alice {round_}")
        laptop = api_as(user=phone.user)
        # when both send an offer in the same instant
        answers, failures = _race(need, [(phone, 9000), (laptop, 8500)])
        # then exactly one offer opened, and the other client was told why
        assert failures == []
        assert sorted(answer.status_code for answer in answers) == [201, 409]
        refused = next(answer for answer in answers if answer.status_code == 409)
        assert refused.json()["error"]["code"] == "conflict"
        assert Transaction.objects.filter(listing=need, provider=phone.user).count() == 1


def test_a_second_offer_is_refused_and_one_after_withdrawing_opens(customer, api_as, listing):
    # given a provider's open offer on a request
    need = listing("request", actor=customer.user)
    alice = api_as(name="Alice")
    first = _offer(alice, need, 9000).json()
    # when they offer again
    again = _offer(alice, need, 8000)
    # then 409, and nothing was added
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert Transaction.objects.filter(listing=need, provider=alice.user).count() == 1
    # and once the first is withdrawn, a new offer opens
    withdrawn = alice.call("POST", f"transactions/{first['id']}/transitions", json={"name": "withdraw"})
    assert withdrawn.status_code == 200, withdrawn.json()
    assert _offer(alice, need, 8000).status_code == 201


def test_two_providers_may_send_offers_with_the_same_idempotency_key(customer, api_as, listing):
    # given a request, and two providers whose clients happen to pick the same key
    need = listing("request", actor=customer.user)
    alice, bob = api_as(name="Alice"), api_as(name="Bob")
    key = {"Idempotency-Key": "offer-1"}
    body = {"price": {"amount_minor": 9000, "currency": "EUR"}, "message": "I can do it"}
    # when each sends an offer with it
    answers = [
        client.call("POST", f"listings/{need.public_id}/offers", json=body, headers=key)
        for client in (alice, bob)
    ]
    # then both offers open: a key is its sender's, not shared with another member
    assert [answer.status_code for answer in answers] == [201, 201], [a.json() for a in answers]
    assert Transaction.objects.filter(listing=need).count() == 2
