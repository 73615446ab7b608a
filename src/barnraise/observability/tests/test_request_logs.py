"""One JSON line per request and per task, under a request id that follows the work."""

import re

import pytest
from django.core import mail
from huey.contrib.djhuey import HUEY
from huey.storage import MemoryStorage

from barnraise.commerce.tests.conftest import slot
from barnraise.conftest import TEST_CARD, after_commit

pytestmark = pytest.mark.django_db

SIGNUP = {"email": "ada@example.com", "password": "a long enough secret 42", "name": "Ada Lovelace"}
HEX_ID = re.compile(r"[0-9a-f]{32}")


def test_a_sane_request_id_is_echoed_and_any_other_replaced(api):
    sane = api.call("GET", "listings", headers={"X-Request-ID": "edge-7f3a:42.b_c"})
    assert sane["X-Request-ID"] == "edge-7f3a:42.b_c"
    made = api.call("GET", "listings")
    assert HEX_ID.fullmatch(made["X-Request-ID"])
    for insane in ("short", "x" * 129, "has space in it", "semi;colon;here", "-leading-dash"):
        answered = api.call("GET", "listings", headers={"X-Request-ID": insane})
        assert HEX_ID.fullmatch(answered["X-Request-ID"]), insane


def test_a_request_line_names_the_route_status_time_and_member_but_not_the_query(api_as, log_lines):
    member = api_as()
    response = member.call(
        "GET", "listings", data={"q": "snowblower-secret-word"}, headers={"X-Request-ID": "req-line-0001"}
    )
    assert response.status_code == 200
    [line] = [r for r in log_lines.records("request") if r["request_id"] == "req-line-0001"]
    assert line["method"] == "GET"
    assert line["route"] == "api/v1/listings"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["user_id"] == str(member.user.pk)
    assert line["level"] == "info" and line["timestamp"].endswith("Z")
    assert "snowblower-secret-word" not in log_lines.text


def test_the_request_id_follows_into_the_tasks_the_request_enqueued(api, log_lines):
    # when someone signs up (which queues the confirmation email), naming the request
    after_commit(
        lambda: api.call("POST", "auth/signup", json=SIGNUP, headers={"X-Request-ID": "signup-00042"})
    )
    # then the task that sent the email logged its line under the same id
    assert len(mail.outbox) == 1
    [task] = [r for r in log_lines.records("task") if r["task"] == "email_deliver"]
    assert task["request_id"] == "signup-00042"
    assert task["outcome"] == "complete"
    assert task["duration_ms"] >= 0


def test_the_request_id_travels_with_a_task_through_the_queue(api, log_lines, monkeypatch):
    # given a queue that keeps what is enqueued, as Redis or SQLite do for the worker
    monkeypatch.setattr(HUEY, "storage", MemoryStorage("barnraise"))
    monkeypatch.setattr(HUEY, "_immediate", False)  # huey's flag; its setter would open the file
    after_commit(
        lambda: api.call("POST", "auth/signup", json=SIGNUP, headers={"X-Request-ID": "queued-00042"})
    )
    assert mail.outbox == [] and HUEY.pending_count() == 1
    # when a worker takes the task from the queue (serialized and read back) and runs it
    task = HUEY.dequeue()
    monkeypatch.setattr(HUEY, "_immediate", True)  # so it leaves the test's connection open
    HUEY.execute(task)
    # then it ran under the id of the request that enqueued it
    assert len(mail.outbox) == 1
    [task] = [r for r in log_lines.records("task") if r["task"] == "email_deliver"]
    assert task["request_id"] == "queued-00042"


def test_a_task_nobody_requested_gets_an_id_of_its_own(log_lines):
    from barnraise.timers.tasks import timers_sweep

    timers_sweep()
    [task] = [r for r in log_lines.records("task") if r["task"] == "timers_sweep"]
    assert HEX_ID.fullmatch(task["request_id"])


# Committed for real, as in a deployment: what a request enqueues on commit, it enqueues while
# it runs (in a rolled-back test the commit callbacks would run after the request).
@pytest.mark.django_db(transaction=True)
def test_provider_calls_are_logged_under_the_request_id_that_made_them(
    customer, provider, listing, log_lines, ledger_rows_removable
):
    # when a customer books and pays, and the provider accepts (the capture runs as a task)
    room = listing(instant_booking=False)
    start, end = slot()
    body = {"listing_id": str(room.public_id), "start": start, "end": end, "payment_method": TEST_CARD}
    booked = customer.call("POST", "transactions", json=body, headers={"X-Request-ID": "book-000001"})
    assert booked.status_code == 201, booked.content
    tx_id = booked.json()["id"]
    accept = {"name": "accept", "params": {}}
    accepted = provider.call(
        "POST", f"transactions/{tx_id}/transitions", json=accept, headers={"X-Request-ID": "accept-000001"}
    )
    assert accepted.status_code == 200, accepted.content
    # then the authorization is logged under the booking's id, the capture under the acceptance's
    calls = log_lines.records("provider_call")
    authorize = [c for c in calls if c["operation"] == "authorize"]
    capture = [c for c in calls if c["operation"] == "capture"]
    assert [c["request_id"] for c in authorize] == ["book-000001"]
    assert [c["request_id"] for c in capture] == ["accept-000001"]
    assert capture[0]["outcome"] == "succeeded"
    assert capture[0]["reference"] == f"transaction:{tx_id}"
