"""Bookings through the API, from request to completion, with the clock moved by time-machine."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from barnraise.commerce.models import Booking, Transaction
from barnraise.commerce.tests.conftest import BRUSSELS, book, slot, step
from barnraise.conftest import TEST_CARD
from barnraise.notifications.models import Notification
from barnraise.timers import services as timers

# Fees have their own tests (test_fees.py); here totals are the listing price alone.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_fees")]


def sweep_at(moment, django_capture_on_commit_callbacks):
    with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
        return timers.sweep()


def test_request_accept_and_complete(
    customer, provider, listing, django_capture_on_commit_callbacks, mailoutbox
):
    # given a room by the hour
    room = listing()
    # when the customer asks for two hours
    with django_capture_on_commit_callbacks(execute=True):
        created = book(customer, room, seats=1, message="Hello!")
    # then a request waits for the provider, priced, with the contact details still hidden
    assert created.status_code == 201, created.json()
    tx = created.json()
    assert tx["state"] == "requested" and tx["process"] == "booking" and tx["process_version"] == 4
    assert tx["total"] == {"amount_minor": 3000, "currency": "EUR", "formatted": "€30.00"}
    assert tx["available_transitions"] == ["cancel_by_customer"]
    assert tx["contact"] is None
    assert tx["cancellation_policy"]["slug"] == "moderate"
    assert any("New request" in m.subject for m in mailoutbox)
    # when the provider accepts, the deal waits for the capture, which the worker then reports
    assert step(provider, tx["id"], "accept").json()["state"] == "payment_pending"
    accepted = provider.call("GET", f"transactions/{tx['id']}")
    assert accepted.json()["state"] == "accepted"
    assert accepted.json()["contact"]["address"] == "Secret St 1"
    assert Booking.objects.get().status == "accepted"
    # when the clock passes the booking end + 1 day
    end = datetime.fromisoformat(tx["end"])
    assert sweep_at(end + timedelta(hours=23), django_capture_on_commit_callbacks) == 0
    assert sweep_at(end + timedelta(days=1, minutes=1), django_capture_on_commit_callbacks) == 1
    # then it is completed and reviews are open
    done = Transaction.objects.get()
    assert done.state == "completed" and done.reviews_open_until is not None
    assert [e["name"] for e in customer.call("GET", f"transactions/{tx['id']}").json()["events"]] == [
        "request",
        "accept",
        "payment_captured",
        "complete",
    ]


def test_deal_notices_say_who_did_what_in_words_not_state_names(
    customer, provider, listing, django_capture_on_commit_callbacks, mailoutbox
):
    # given a room by the hour
    room = listing(title="Garden room")
    # when the customer asks for it, and the provider accepts
    with django_capture_on_commit_callbacks(execute=True):
        tx = book(customer, room, seats=1).json()
    with django_capture_on_commit_callbacks(execute=True):
        step(provider, tx["id"], "accept")
    # then each party's notice says who did what, and what the deal waits for, in sentences
    bodies = {n.recipient_id: n.body for n in Notification.objects.filter(kind="transaction_update")}
    assert "Cam Customer sent a request (“Garden room”)." in bodies[provider.user.pk]
    assert "It's your move: the deal waits for the provider's answer." in bodies[provider.user.pk]
    assert "Pat Provider accepted (“Garden room”)." in bodies[customer.user.pk]
    sent = "\n".join(m.body for m in mailoutbox)
    for text in [*bodies.values(), sent]:
        for code in ("requested", "payment_pending", "is now:"):
            assert code not in text


def test_instant_booking_and_seats_run_out(customer, api_as, listing):
    room = listing(instant_booking=True, seats=2)
    first = book(customer, room, seats=2)
    assert first.status_code == 201 and first.json()["state"] == "payment_pending"
    assert customer.call("GET", f"transactions/{first.json()['id']}").json()["state"] == "accepted"
    second = book(api_as(), room, seats=1)
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "not_available"
    assert Transaction.objects.exclude(state="initial").count() == 1


def test_decline_frees_the_seats(customer, provider, api_as, listing):
    room = listing(seats=1)
    tx = book(customer, room).json()
    assert book(api_as(), room).status_code == 409
    step(provider, tx["id"], "decline", reason="Away")
    assert book(api_as(), room).status_code == 201


def test_request_expires_at_the_earlier_of_three_days_or_the_start(
    customer, listing, django_capture_on_commit_callbacks
):
    room = listing()
    start, end = slot(days=1)  # the start comes before three days pass
    tx = book(customer, room, start=start, end=end).json()
    sweep_at(datetime.fromisoformat(start) + timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert Transaction.objects.get(pk=tx["id"]).state == "expired"
    assert Booking.objects.get().status == "cancelled"


def test_cancellation_before_the_start_and_only_operators_after(
    customer, provider, listing, django_capture_on_commit_callbacks
):
    from barnraise.accounts.services import operator_create, token_create
    from barnraise.conftest import ApiClient

    room = listing()
    tx = book(customer, room).json()
    step(provider, tx["id"], "accept")
    start = datetime.fromisoformat(tx["start"])
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        late = step(customer, tx["id"], "cancel_by_customer")
        assert late.status_code == 409
        operator = operator_create(
            email="ops@example.com", name="Ops", password="pw-123456789", groups=["support"]
        )
        ops = ApiClient(token=token_create(user=operator, name="t")[1])
        assert step(ops, tx["id"], "cancel_by_operator", reason="Flooded").json()["state"] == "cancelled"


def test_booking_window_rules(customer, listing):
    room = listing(min_units=2, max_units=4, min_notice_hours=48)
    start, end = slot(days=1, hours=2)
    assert book(customer, room, start=start, end=end).json()["error"]["details"].keys() == {"start"}
    start, end = slot(days=5, hours=1)
    assert "end" in book(customer, room, start=start, end=end).json()["error"]["details"]
    start, _ = slot(days=5)
    naive = customer.call(
        "POST",
        "transactions",
        json={"listing_id": str(room.public_id), "start": start[:19], "end": start[:19]},
    )
    assert naive.status_code == 400 and naive.json()["error"]["code"] == "naive_datetime"
    assert book(customer, room, seats=5).status_code == 422
    assert Transaction.objects.exclude(state="initial").count() == 0


def test_nightly_rental_books_local_dates(customer, listing):
    room = listing(unit="night", price_amount_minor=9000)
    day = (datetime.now(BRUSSELS) + timedelta(days=10)).date()
    body = {
        "listing_id": str(room.public_id),
        "start": day.isoformat(),
        "end": (day + timedelta(days=3)).isoformat(),
        "payment_method": TEST_CARD,
    }
    tx = customer.call("POST", "transactions", json=body).json()
    assert tx["total"]["amount_minor"] == 27000
    # answered as the place's time: local midnight, with Brussels' offset
    start = datetime.fromisoformat(tx["start"])
    assert (start.date(), start.hour) == (day, 0)
    assert start.utcoffset() == datetime.combine(day, datetime.min.time(), BRUSSELS).utcoffset()


def test_a_date_time_without_an_offset_is_refused_and_a_day_is_booked_by_its_date(customer, listing):
    # given a room by the night and a room by the hour
    nightly, hourly = listing(unit="night", title="Nightly"), listing(title="Hourly")
    day = (datetime.now(BRUSSELS) + timedelta(days=10)).date()

    def ask(room, start, end):
        body = {"listing_id": str(room.public_id), "start": start, "end": end, "payment_method": TEST_CARD}
        return customer.call("POST", "transactions", json=body)

    # when either gets a date-time without an offset
    naive = [
        ask(nightly, f"{day}T15:00:00", f"{day + timedelta(days=2)}T11:00:00"),
        ask(hourly, f"{day}T10:00:00", f"{day}T12:00:00"),
    ]
    # then 400 naive_datetime names the field, as search answers
    for refused in naive:
        assert refused.status_code == 400, refused.content
        assert refused.json()["error"]["code"] == "naive_datetime"
        assert "start" in refused.json()["error"]["details"]
    # and a night is booked by its date, never from a time widened to the whole day
    timed = ask(nightly, f"{day}T15:00:00+01:00", f"{day + timedelta(days=2)}T11:00:00+01:00")
    assert timed.status_code == 422 and "start" in timed.json()["error"]["details"]
    assert Transaction.objects.count() == 0 and Booking.objects.count() == 0
    # while an hourly booking with its offset is answered in the place's time
    start = datetime(day.year, day.month, day.day, 10, tzinfo=BRUSSELS)
    booked = ask(
        hourly, start.astimezone(UTC).isoformat(), (start + timedelta(hours=2)).astimezone(UTC).isoformat()
    )
    assert booked.status_code == 201, booked.content
    assert booked.json()["start"] == start.isoformat()


def test_a_booking_keeps_the_cancellation_policy_its_listing_chose(customer, provider, listing):
    # given a room whose provider chose the strict policy
    room = listing()
    chosen = provider.call("PATCH", f"listings/{room.public_id}", json={"cancellation_policy": "strict"})
    assert chosen.status_code == 200
    # when a customer books it
    tx = book(customer, room).json()
    # then the deal keeps that policy, in plain words too
    assert (tx["cancellation_policy"]["slug"], tx["cancellation_policy"]["summary"]) == (
        "strict",
        "Half refunded until 7 days before the start, nothing after.",
    )
    # and a later change of the listing's policy leaves the deal as it was made
    provider.call("PATCH", f"listings/{room.public_id}", json={"cancellation_policy": "flexible"})
    assert Transaction.objects.get(pk=tx["id"]).cancellation_policy["slug"] == "strict"
