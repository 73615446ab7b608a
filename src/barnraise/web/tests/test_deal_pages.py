"""The deal pages: the listing's deal panel, the transaction page, the inbox and the processes."""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.catalog.models import Category, Listing
from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce import processes
from barnraise.commerce.models import Booking, Transaction
from barnraise.commerce.processes.definitions import Say
from barnraise.conftest import TEST_CARD, after_commit, payout_ready
from barnraise.notifications.models import Notification
from barnraise.web.tests.page_testing import assert_csp_clean


@pytest.fixture
def cats(db: Any) -> dict[str, Category]:
    return {
        "rooms": category_create(slug="rooms", name="Rooms", kinds=["rental"]),
        "bikes": category_create(slug="bikes", name="Bikes", kinds=["sale"]),
        "help": category_create(slug="help", name="Help", kinds=["request", "service"]),
    }


@pytest.fixture
def provider(make_user: Callable[..., User]) -> User:
    return payout_ready(make_user(email="pat@example.com", name="Pat Provider"))


@pytest.fixture
def customer(make_user: Callable[..., User]) -> User:
    return make_user(email="cam@example.com", name="Cam Customer")


def make_listing(author: User, cat: Category, **fields: Any) -> Listing:
    values: dict[str, Any] = {
        "kind": "rental",
        "unit": "night",
        "title": "Garden room",
        "price_amount_minor": 4000,
        "currency": "EUR",
        "lat": 50.85,
        "lng": 4.35,
        "timezone": "Europe/Brussels",
        "address": "Secret St 1",
        **fields,
    }
    return listing_create(actor=author, category=cat, **values)


def as_member(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def nights(first: int = 5, count: int = 2) -> dict[str, str]:
    day = timezone.localdate() + timedelta(days=first)
    return {"start": day.isoformat(), "end": (day + timedelta(days=count)).isoformat()}


def deal_url(listing: Listing) -> str:
    return f"/listings/{listing.public_id}/deal/"


def test_book_a_rental_through_the_pages(cats: dict[str, Category], provider: User, customer: User) -> None:
    # Given a room at 40 a night and a customer on its page
    room = make_listing(provider, cats["rooms"])
    cam, pat = as_member(customer), as_member(provider)
    page = cam.get(f"/listings/{room.public_id}/")
    assert b"Request to book" in page.content and b"Europe/Brussels" in page.content
    assert_csp_clean(page)

    # When the customer previews two nights (the htmx fragment, then without JavaScript)
    fragment = cam.post(deal_url(room), {**nights(), "seats": "1"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "€80.00" in fragment.content.decode()
    full = cam.post(deal_url(room), {**nights(), "seats": "1", "action": "preview"})
    assert "€80.00" in full.content.decode() and b"Preview price" in full.content
    assert not Transaction.objects.exclude(state="initial").exists()

    # And requests it
    card = {"payment_method": TEST_CARD}
    made = cam.post(deal_url(room), {**nights(), "seats": "1", "message": "Quiet guest", "key": "k1", **card})
    tx = Transaction.objects.get(customer=customer)
    assert made.status_code == 302 and made["Location"] == f"/transactions/{tx.id}/"
    assert tx.state == "requested" and tx.total_amount_minor == 8450  # €80.00 + 5% + €0.50 service fee
    page = cam.get(made["Location"])
    assert b"Secret St 1" not in page.content and b"pat@example.com" not in page.content
    assert_csp_clean(page)

    # Then the provider sees it awaiting in the inbox and accepts it from there
    inbox = pat.get("/transactions/")
    assert inbox.context["role"] == "provider" and inbox.context["counts"]["provider"] == 1
    assert b"Garden room" in inbox.content and b"Accept" in inbox.content
    assert_csp_clean(inbox)
    accepted = after_commit(
        lambda: pat.post(
            f"/transactions/{tx.id}/step/",
            {"name": "accept", "key": "a1", "next": "/transactions/?as=provider"},
        )
    )
    assert accepted["Location"] == "/transactions/?as=provider"
    tx.refresh_from_db()
    assert tx.state == "accepted" and Booking.objects.get(transaction=tx).status == "accepted"

    # And the customer sees the contact details, the address and the timeline
    page = cam.get(f"/transactions/{tx.id}/").content.decode()
    assert "pat@example.com" in page and "Secret St 1" in page
    assert "sent a request" in page and "Quiet guest" in page and "accepted" in page
    assert "€80.00" in page and "Moderate" in page


def test_preview_names_the_problem_next_to_the_field(
    cats: dict[str, Category], provider: User, customer: User
) -> None:
    room = make_listing(provider, cats["rooms"])
    cam = as_member(customer)
    window = nights()
    response = cam.post(
        deal_url(room),
        {"start": window["end"], "end": window["start"], "seats": "1"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert 'id="deal-end-error" hx-swap-oob="true">Must be after start.' in html
    bad = cam.post(deal_url(room), {"start": "soon", "end": window["end"], "action": "preview"})
    assert bad.status_code == 422 and "Choose a date." in bad.content.decode()


def test_an_unavailable_window_says_so(
    cats: dict[str, Category], provider: User, customer: User, make_user: Callable[..., User]
) -> None:
    # Given a one-seat room someone booked already
    room = make_listing(provider, cats["rooms"])
    as_member(make_user(name="Early Bird")).post(
        deal_url(room), {**nights(), "seats": "1", "payment_method": TEST_CARD}
    )
    assert Transaction.objects.filter(state="requested").count() == 1

    # When another customer asks for the same nights, nothing is written and the page says why
    response = as_member(customer).post(
        deal_url(room), {**nights(), "seats": "1", "payment_method": TEST_CARD}
    )
    assert response.status_code == 409
    assert "This is no longer available for what you asked." in response.content.decode()
    assert not Transaction.objects.filter(customer=customer).exclude(state="initial").exists()


def test_instant_booking_offers_book_now(cats: dict[str, Category], provider: User, customer: User) -> None:
    room = make_listing(provider, cats["rooms"], instant_booking=True, unit="hour", title="Studio")
    cam = as_member(customer)
    assert b"Book now" in cam.get(f"/listings/{room.public_id}/").content
    day = timezone.localdate() + timedelta(days=3)
    window = {"start": f"{day}T10:00", "end": f"{day}T12:00", "seats": "1"}
    unpaid = cam.post(deal_url(room), window)
    assert unpaid.status_code == 422 and 'id="deal-payment_method-error"' in unpaid.content.decode()
    declined = cam.post(deal_url(room), {**window, "payment_method": "4000 0000 0000 0002"})
    assert declined.status_code == 402 and "The card was declined." in declined.content.decode()
    response = after_commit(lambda: cam.post(deal_url(room), {**window, "payment_method": TEST_CARD}))
    tx = Transaction.objects.get(customer=customer)
    assert response.status_code == 302 and tx.state == "accepted"
    assert tx.start == datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo("Europe/Brussels"))
    assert "pat@example.com" in cam.get(response["Location"]).content.decode()


def test_buy_with_quantity(cats: dict[str, Category], provider: User, customer: User) -> None:
    bike = make_listing(provider, cats["bikes"], kind="sale", unit="item", stock=3, price_amount_minor=20000)
    cam = as_member(customer)
    page = cam.get(f"/listings/{bike.public_id}/")
    assert b"Buy" in page.content and b'name="quantity"' in page.content
    preview = cam.post(deal_url(bike), {"quantity": "2"}, headers={"HX-Request": "true"})
    assert "€400.00" in preview.content.decode()
    too_many = cam.post(deal_url(bike), {"quantity": "5", "action": "preview"})
    assert too_many.status_code == 409 and "Not enough left in stock." in too_many.content.decode()
    response = cam.post(deal_url(bike), {"quantity": "2", "key": "b1", "payment_method": TEST_CARD})
    tx = Transaction.objects.get(customer=customer)
    assert response.status_code == 302 and tx.quantity == 2 and tx.total_amount_minor == 42050
    again = cam.post(
        deal_url(bike), {"quantity": "2", "key": "b1", "payment_method": TEST_CARD}
    )  # a double submit
    assert (
        again["Location"] == response["Location"]
        and Transaction.objects.filter(customer=customer).count() == 1
    )
    bike.refresh_from_db()
    assert bike.stock == 1
    assert "Quantity" in cam.get(response["Location"]).content.decode()


def test_offer_counter_and_accept(cats: dict[str, Category], provider: User, customer: User) -> None:
    # Given a request posted by the customer
    job = make_listing(
        customer, cats["help"], kind="request", unit="job", title="Paint my fence", price_amount_minor=8000
    )
    pat, cam = as_member(provider), as_member(customer)
    page = pat.get(f"/listings/{job.public_id}/")
    assert b"Make an offer" in page.content and b"Your price (EUR)" in page.content
    assert_csp_clean(page)

    # When the provider offers 75.50, a bad amount first
    bad = pat.post(f"/listings/{job.public_id}/offer/", {"price": "lots"})
    assert bad.status_code == 422 and "Enter an amount" in bad.content.decode()
    made = pat.post(f"/listings/{job.public_id}/offer/", {"price": "75.50", "message": "Two coats"})
    tx = Transaction.objects.get(provider=provider)
    assert made.status_code == 302 and tx.state == "offered" and tx.total_amount_minor == 7978

    # And the customer counters at 60 from the transaction page
    page = cam.get(f"/transactions/{tx.id}/").content.decode()
    assert "Counter-offer" in page and "Accept the offer" in page
    cam.post(f"/transactions/{tx.id}/step/", {"name": "counter", "price": "60", "message": "Meet me?"})
    tx.refresh_from_db()
    assert tx.state == "countered" and tx.total_amount_minor == 6350

    # Then the provider meets it, the customer accepts and pays, and both see the timeline
    pat.post(f"/transactions/{tx.id}/step/", {"name": "update_offer", "price": "60"})
    page = cam.get(f"/transactions/{tx.id}/").content.decode()
    assert 'name="payment_method"' in page
    after_commit(
        lambda: cam.post(
            f"/transactions/{tx.id}/step/", {"name": "accept_offer", "payment_method": TEST_CARD}
        )
    )
    tx.refresh_from_db()
    assert tx.state == "accepted"
    page = pat.get(f"/transactions/{tx.id}/").content.decode()
    assert "made an offer" in page and "made a counter-offer" in page and "€60.00" in page
    assert "cam@example.com" in page


def test_a_counter_without_a_price_is_refused_beside_the_field(
    cats: dict[str, Category], provider: User, customer: User
) -> None:
    job = make_listing(customer, cats["help"], kind="request", unit="job", price_amount_minor=8000)
    as_member(provider).post(f"/listings/{job.public_id}/offer/", {"price": "70"})
    tx = Transaction.objects.get(provider=provider)
    response = as_member(customer).post(f"/transactions/{tx.id}/step/", {"name": "counter", "price": "-3"})
    assert response.status_code == 422
    assert 'id="counter-price-error"' in response.content.decode()
    tx.refresh_from_db()
    assert tx.state == "offered"


def test_ask_a_question(cats: dict[str, Category], provider: User, customer: User) -> None:
    room = make_listing(provider, cats["rooms"])
    cam = as_member(customer)
    empty = cam.post(f"/listings/{room.public_id}/ask/", {"message": " "})
    assert empty.status_code == 422 and "This field is required." in empty.content.decode()
    response = cam.post(f"/listings/{room.public_id}/ask/", {"message": "Is there parking?"})
    tx = Transaction.objects.get(customer=customer)
    assert response.status_code == 302 and tx.state == "inquiry"
    page = as_member(provider).get(f"/transactions/{tx.id}/").content.decode()
    assert "asked a question" in page and "Is there parking?" in page


def test_strangers_and_visitors(
    cats: dict[str, Category], provider: User, customer: User, make_user: Callable[..., User], client: Client
) -> None:
    room = make_listing(provider, cats["rooms"])
    as_member(customer).post(deal_url(room), {**nights(), "seats": "1", "payment_method": TEST_CARD})
    tx = Transaction.objects.get(customer=customer)
    stranger = as_member(make_user(name="Nosy"))
    assert stranger.get(f"/transactions/{tx.id}/").status_code == 404
    assert stranger.post(f"/transactions/{tx.id}/step/", {"name": "accept"}).status_code == 404
    tx.refresh_from_db()
    assert tx.state == "requested"
    page = client.get(f"/listings/{room.public_id}/")
    assert b"Log in to book" in page.content and b'id="deal-form"' not in page.content
    assert client.get(f"/transactions/{tx.id}/")["Location"].startswith("/accounts/login/")
    own = as_member(provider).get(f"/listings/{room.public_id}/")
    assert b'id="deal-form"' not in own.content


def test_the_wrong_step_is_refused_at_the_top(
    cats: dict[str, Category], provider: User, customer: User
) -> None:
    room = make_listing(provider, cats["rooms"])
    cam = as_member(customer)
    cam.post(deal_url(room), {**nights(), "seats": "1", "payment_method": TEST_CARD})
    tx = Transaction.objects.get(customer=customer)
    response = cam.post(f"/transactions/{tx.id}/step/", {"name": "accept"})
    assert response.status_code == 403 and "Only the provider can do this." in response.content.decode()
    later = cam.post(f"/transactions/{tx.id}/step/", {"name": "complete"})
    assert later.status_code == 409


def test_inbox_tabs_and_state_filter(cats: dict[str, Category], provider: User, customer: User) -> None:
    room = make_listing(provider, cats["rooms"])
    cam = as_member(customer)
    cam.post(deal_url(room), {**nights(), "seats": "1", "payment_method": TEST_CARD})
    cam.post(f"/listings/{room.public_id}/ask/", {"message": "Pets?"})
    inbox = cam.get("/transactions/?as=customer")
    assert len(inbox.context["rows"]) == 2 and b">Accept<" not in inbox.content
    only = cam.get("/transactions/?as=customer&state=inquiry")
    assert [r.tx.state for r in only.context["rows"]] == ["inquiry"]
    assert cam.get("/transactions/?as=provider").context["rows"] == []
    header = as_member(provider).get("/").content.decode()
    assert "My deals" in header and 'class="badge">1<' in header


def test_process_pages(client: Client, db: Any) -> None:
    index = client.get("/processes/")
    assert index.status_code == 200 and b"booking" in index.content
    assert_csp_clean(index)
    page = client.get("/processes/booking/")
    html = page.content.decode()
    # each step in the words a deal shows, never its code: who, from where to where, and when
    assert "Accept" in html and "The provider" in html and "Waiting for the payment" in html
    assert "3 days after it got there or when the booking starts" in html
    assert "payment_pending" not in html and "/api/v1/processes/booking" in html
    assert_csp_clean(page)
    assert client.get("/processes/nope/").status_code == 404


def test_home_cards_load_photos_in_one_query(
    cats: dict[str, Category], provider: User, client: Client, django_assert_max_num_queries: Any
) -> None:
    for n in range(3):
        make_listing(provider, cats["rooms"], title=f"Room {n}")
    from barnraise.catalog.selectors import listings_latest

    with django_assert_max_num_queries(2):
        found = listings_latest(limit=12)
        assert [list(x.photos.all()) for x in found] == [[], [], []]
    assert client.get("/").status_code == 200


def test_the_commission_shows_to_the_provider_only(client, make_user, db):
    # given a booking priced with the default fees
    from barnraise.catalog.services import category_create, listing_create
    from barnraise.commerce.services import transaction_create
    from barnraise.commerce.tests.conftest import slot

    provider, customer = make_user(name="Pat"), make_user(name="Cam")
    rooms = category_create(slug="studios", name="Studios", kinds=["rental"])
    room = listing_create(
        actor=provider,
        kind="rental",
        category=rooms,
        title="Studio",
        unit="hour",
        price_amount_minor=3000,
        currency="EUR",
        lat=50.0,
        lng=4.0,
        timezone="Europe/Brussels",
    )
    start, end = slot(hours=1)
    tx = transaction_create(
        actor=customer,
        listing_id=room.public_id,
        params={"start": start, "end": end},
        payment_method=TEST_CARD,
    ).tx
    # when each party opens the transaction page
    client.force_login(customer)
    seen_by_customer = client.get(f"/transactions/{tx.id}/").content.decode()
    client.force_login(provider)
    seen_by_provider = client.get(f"/transactions/{tx.id}/").content.decode()
    # then only the provider sees the commission and what they receive
    assert "You receive" in seen_by_provider and "€27.00" in seen_by_provider
    assert "You receive" not in seen_by_customer and "€27.00" not in seen_by_customer
    assert "€32.00" in seen_by_customer


def test_the_pages_and_notices_word_each_step_as_its_process_version_does(
    cats: dict[str, Category], provider: User, customer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a deployment's booking version 3, which rewords the request and tells both parties,
    # and offers only "Say no" (not "Accept") as a one-click answer in the inbox
    v2 = processes.get("booking", 2)
    said = {
        "request": Say(
            "Ask for the room", "asked for the room", "Room wanted: “%(listing)s”", ("customer", "provider")
        ),
        "accept": Say("Take it", "took it"),
        "decline": Say("Say no", "said no", danger=True, quick=True),
    }
    latest = processes.latest("booking")
    assert latest is not None
    v3 = replace(  # in place of the latest version, the one new deals start on
        v2,
        version=latest.version,
        transitions=tuple(replace(t, say=said.get(t.name, t.say)) for t in v2.transitions),
    )
    monkeypatch.setitem(processes.PROCESSES, ("booking", latest.version), v3)
    room = make_listing(provider, cats["rooms"], title="Garden room")
    cam, pat = as_member(customer), as_member(provider)

    # When the customer requests two nights
    body = {**nights(), "seats": "1", "key": "k1", "payment_method": TEST_CARD}
    after_commit(lambda: cam.post(deal_url(room), body))

    # Then both parties are told, in the version's words
    tx = Transaction.objects.get(customer=customer)
    assert tx.process_version == latest.version
    titles = {n.recipient_id: n.title for n in Notification.objects.filter(kind="transaction_update")}
    assert titles == {
        customer.pk: "Room wanted: “Garden room”",
        provider.pk: "Room wanted: “Garden room”",
    }
    # And the timeline says what happened in its words; the provider's page offers its buttons
    assert "asked for the room" in cam.get(f"/transactions/{tx.id}/").content.decode()
    assert cam.get(f"/transactions/{tx.id}/").context["waiting_for"] == "Waiting for the provider's answer."
    page = pat.get(f"/transactions/{tx.id}/").content.decode()
    assert ">Take it<" in page and ">Say no<" in page
    # And the inbox offers the one-click answer the version marks
    quick = pat.get("/transactions/?as=provider").context["rows"][0].quick
    assert [(step.name, step.label, step.danger) for step in quick] == [("decline", "Say no", True)]
