"""/api/v1/transactions/{id}/messages and /api/v1/conversations, as the parties use them."""

import pytest
from django.core import mail

from barnraise.messaging.models import Message
from barnraise.notifications.models import Notification
from barnraise.trust.models import Violation

ISSUE_EXAMPLE = "call me on five five five, 0123 456 789 or mail jo at example dot com"


def send(client, deal, body):
    return client.call("POST", f"transactions/{deal.tx_id}/messages", json={"body": body})


def test_before_acceptance_contact_details_arrive_masked_and_the_sender_is_told_why(deal):
    # when
    response = send(deal.customer, deal, ISSUE_EXAMPLE)
    # then: the sender learns what was hidden and why
    assert response.status_code == 201
    sent = response.json()
    assert sent["masked"] is True
    assert sent["screening"]["masked"] is True
    assert set(sent["screening"]["kinds"]) == {"phone", "email"}
    assert any("Phone numbers" in reason for reason in sent["screening"]["reasons"])
    # and the other side reads it masked
    read = deal.provider.call("GET", f"transactions/{deal.tx_id}/messages").json()
    [message] = read["results"]
    for secret in ("five", "0123", "789", "example"):
        assert secret not in message["body"]
    assert message["body"].startswith("call me on [hidden]")
    # and the attempt is recorded, with the original for operators
    [violation] = Violation.objects.all()
    assert violation.member == deal.customer.user
    assert violation.where == "message"
    assert violation.original == ISSUE_EXAMPLE
    assert violation.subject_id == message["id"]


def test_after_acceptance_the_same_message_passes(deal):
    # given
    deal.accept()
    # when
    response = send(deal.customer, deal, ISSUE_EXAMPLE)
    # then
    assert response.status_code == 201
    assert response.json()["screening"] == {"masked": False, "kinds": [], "reasons": []}
    read = deal.provider.call("GET", f"transactions/{deal.tx_id}/messages").json()
    assert read["results"][0]["body"] == ISSUE_EXAMPLE
    assert not Violation.objects.exists()


def test_an_ordinary_message_passes_before_acceptance(deal):
    # when
    response = send(deal.provider, deal, "2 chairs for 40 euros on 12/5, pick up after 18:00")
    # then
    assert response.status_code == 201
    assert response.json()["body"] == "2 chairs for 40 euros on 12/5, pick up after 18:00"
    assert response.json()["masked"] is False
    assert not Violation.objects.exists()


def test_messages_come_newest_first_with_unread_counts_and_mark_read(deal):
    # given
    for text in ("first", "second", "third"):
        send(deal.customer, deal, text)
    # when
    page = deal.provider.call("GET", f"transactions/{deal.tx_id}/messages", data={"limit": 2}).json()
    rest = deal.provider.call(
        "GET", f"transactions/{deal.tx_id}/messages", data={"cursor": page["next_cursor"]}
    ).json()
    # then
    assert [m["body"] for m in page["results"]] == ["third", "second"]
    assert [m["body"] for m in rest["results"]] == ["first"]
    assert page["unread_count"] == 3
    own = deal.customer.call("GET", f"transactions/{deal.tx_id}/messages").json()
    assert own["unread_count"] == 0
    # when read
    marked = deal.provider.call("POST", f"transactions/{deal.tx_id}/messages/read")
    # then
    assert marked.json() == {"marked": 3}
    assert deal.provider.call("GET", f"transactions/{deal.tx_id}/messages").json()["unread_count"] == 0


def test_the_inbox_lists_conversations_most_recent_first_with_unread_counts(make_deal, api_as):
    # given: one provider, two deals; the older deal gets the latest message
    provider = api_as(name="Pat")
    older = make_deal(provider=provider, title="Old chair")
    newer = make_deal(provider=provider, title="New lamp")
    send(newer.customer, newer, "lamp?")
    send(older.customer, older, "chair?")
    send(older.customer, older, "still there?")
    # when
    inbox = provider.call("GET", "conversations").json()
    # then
    assert [row["listing_title"] for row in inbox["results"]] == ["Old chair", "New lamp"]
    assert [row["unread_count"] for row in inbox["results"]] == [2, 1]
    assert inbox["unread_total"] == 3
    first = inbox["results"][0]
    assert first["last_message"] == "still there?"
    assert first["last_message_mine"] is False
    assert first["other_party"]["name"] == "Cam Customer"
    # and pages with a cursor
    page = provider.call("GET", "conversations", data={"limit": 1}).json()
    rest = provider.call("GET", "conversations", data={"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [r["listing_title"] for r in page["results"] + rest["results"]] == ["Old chair", "New lamp"]
    assert rest["next_cursor"] is None


def test_a_stranger_neither_reads_nor_writes_and_nothing_is_written(deal, api_as):
    # given
    stranger = api_as()
    send(deal.customer, deal, "hello")
    # when
    read = stranger.call("GET", f"transactions/{deal.tx_id}/messages")
    write = send(stranger, deal, "let me in")
    mark = stranger.call("POST", f"transactions/{deal.tx_id}/messages/read")
    # then
    assert (read.status_code, write.status_code, mark.status_code) == (404, 404, 404)
    assert write.json()["error"]["code"] == "not_found"
    assert Message.objects.count() == 1


def test_an_operator_reads_but_does_not_write(deal, make_user, api_as):
    # given
    from barnraise.accounts.services import operator_create

    operator = operator_create(email="op@example.com", name="Op", password="x" * 12, groups=["support"])
    client = api_as(operator)
    send(deal.customer, deal, "hello")
    # when
    read = client.call("GET", f"transactions/{deal.tx_id}/messages")
    write = send(client, deal, "operator here")
    # then
    assert read.status_code == 200 and len(read.json()["results"]) == 1
    assert write.status_code == 403
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [({"body": ""}, "body"), ({"body": "   "}, "body"), ({"body": "x" * 4001}, "body"), ({}, "body")],
)
def test_bad_messages_are_422_and_nothing_is_written(deal, body, field):
    # when
    response = deal.customer.call("POST", f"transactions/{deal.tx_id}/messages", json=body)
    # then
    assert response.status_code == 422
    assert field in response.json()["error"]["details"]
    assert not Message.objects.exists()


def test_an_unknown_transaction_is_404(deal):
    # when
    response = send(deal.customer, type(deal)(deal.customer, deal.provider, "0" * 32, deal.listing), "hi")
    # then
    assert response.status_code == 404


def test_messaging_is_rate_limited_per_member(deal, settings):
    # given
    settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, "message:member": (2, 60)}
    send(deal.customer, deal, "one")
    send(deal.customer, deal, "two")
    # when
    response = send(deal.customer, deal, "three")
    # then
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert Message.objects.count() == 2
    # and the other party is not limited by it
    assert send(deal.provider, deal, "my turn").status_code == 201


def test_an_unverified_member_cannot_write(make_deal, api_as):
    # given
    deal = make_deal()
    deal.customer.user.emailaddress_set.update(verified=False)
    # when
    response = send(deal.customer, deal, "hello")
    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "email_unverified"


def test_the_recipient_is_notified_in_app_and_by_email(deal, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        send(deal.customer, deal, "Is it solid oak? Mail me at jo@example.com")
    # then
    [note] = Notification.objects.filter(recipient=deal.provider.user, kind="message_received")
    assert "Cam Customer" in note.title
    assert "jo@example.com" not in note.body and "[hidden]" in note.body
    [email] = [m for m in mail.outbox if m.to == [deal.provider.user.email]]
    assert "Oak table" in email.subject
    assert "jo@example.com" not in email.body
    assert email.alternatives and "[hidden]" in email.alternatives[0][0]


def test_through_the_engine_a_purchase_accepted_by_the_provider_lets_contact_details_pass(api_as, db):
    # given: a purchase requested and paid for by card, not yet accepted
    from barnraise.catalog.services import category_create, listing_create
    from barnraise.conftest import TEST_CARD, after_commit, payout_ready

    bikes = category_create(slug="bikes", name="Bikes", kinds=["sale"])
    provider = api_as(user=payout_ready(api_as(name="Pat").user))
    customer = api_as(name="Cam")
    bike = listing_create(
        actor=provider.user,
        kind="sale",
        category=bikes,
        title="Bike",
        unit="item",
        stock=1,
        price_amount_minor=20000,
        currency="EUR",
        lat=50.85,
        lng=4.35,
    )
    body = {"listing_id": str(bike.public_id), "quantity": 1, "payment_method": TEST_CARD}
    tx = after_commit(lambda: customer.call("POST", "transactions", json=body)).json()
    url = f"transactions/{tx['id']}/messages"
    before = customer.call("POST", url, json={"body": ISSUE_EXAMPLE}).json()
    # when the provider accepts
    accept = {"name": "accept", "params": {}}
    accepted = after_commit(
        lambda: provider.call("POST", f"transactions/{tx['id']}/transitions", json=accept)
    )
    after = customer.call("POST", url, json={"body": ISSUE_EXAMPLE}).json()
    # then
    assert accepted.status_code == 200, accepted.json()
    assert before["masked"] is True
    assert after["masked"] is False and after["body"] == ISSUE_EXAMPLE
    assert Violation.objects.count() == 1


def _queries(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.call("GET", path).status_code == 200
    return len(captured)


def test_the_inbox_and_a_thread_cost_the_same_queries_however_long(make_deal, api_as):
    # given: one provider with two conversations of two messages
    provider = api_as(name="Pat")
    deals = [make_deal(provider=provider, title=f"Thing {n}") for n in range(2)]
    for deal in deals:
        send(deal.customer, deal, "hello")
        send(deal.provider, deal, "hi")
    inbox_before = _queries(provider, "conversations")
    thread_before = _queries(provider, f"transactions/{deals[0].tx_id}/messages")
    # when: three more conversations and more messages
    for n in range(3):
        deal = make_deal(provider=provider, title=f"More {n}")
        send(deal.customer, deal, "hello")
    for _ in range(3):
        send(deals[0].customer, deals[0], "again")
    # then
    assert _queries(provider, "conversations") == inbox_before
    assert _queries(provider, f"transactions/{deals[0].tx_id}/messages") == thread_before
    assert inbox_before <= 6 and thread_before <= 6
