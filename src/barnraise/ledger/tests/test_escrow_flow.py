"""Money through the deals, as members and operators see it: the API, the worker, the clock.

The default fees apply (customer 5% + €0.50, provider commission 10%): two hours of a €15.00
room is €30.00, the customer pays €32.00, the provider earns €27.00, the platform keeps €5.00.
"""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from barnraise.accounts.services import operator_create, token_create
from barnraise.commerce.models import Booking, Transaction
from barnraise.conftest import TEST_CARD, ApiClient, after_commit
from barnraise.ledger import selectors
from barnraise.ledger.models import Account, AccountKind, Payment, PayoutAccount, SandboxRecord
from barnraise.ledger.payouts import payouts_due
from barnraise.ledger.tests.conftest import CHARGEBACK, book, completed_booking, step, sweep_at
from barnraise.ledger.verify import ledger_verify

pytestmark = pytest.mark.django_db

DECLINED = "4000000000000002"
NEEDS_AUTHENTICATION = "4000002500003155"
CAPTURE_FAILS = "4000000000000341"


def balances(client):
    rows = client.call("GET", "me/balances").json()["results"]
    return {
        row["currency"]: (row["pending"]["amount_minor"], row["available"]["amount_minor"]) for row in rows
    }


def platform(kind, currency="EUR", reference=""):
    account = Account.objects.filter(kind=kind, currency=currency, reference=reference).first()
    return selectors.balance_of(account).amount_minor if account else 0


def assert_books_balance():
    assert all(total == 0 for total in selectors.trial_balance().values())
    assert ledger_verify().problems == []


def operator(*groups):
    user = operator_create(
        email=f"ops-{'-'.join(groups)}@example.com", name="Ops", password="pw-123456789", groups=list(groups)
    )
    return ApiClient(token=token_create(user=user, name="t")[1])


def test_a_paid_booking_from_card_to_payout(customer, provider, listing):
    room = listing()
    # when the customer books with a test card, it is authorized, not charged
    tx = book(customer, room).json()
    assert tx["state"] == "requested" and tx["total"]["amount_minor"] == 3200
    payment = customer.call("GET", f"transactions/{tx['id']}/payment").json()
    assert (payment["status"], payment["amount"]["amount_minor"]) == ("authorized", 3200)
    assert payment["payment_method"] == "card:…4242"
    assert platform(AccountKind.ESCROW, reference=f"transaction:{tx['id']}") == 0
    # when the provider accepts, the worker captures it into the deal's escrow
    assert step(provider, tx["id"], "accept").json()["state"] == "payment_pending"
    assert Transaction.objects.get(pk=tx["id"]).state == "accepted"
    assert platform(AccountKind.ESCROW, reference=f"transaction:{tx['id']}") == 3200
    assert provider.call("GET", f"transactions/{tx['id']}/payment").json()["status"] == "captured"
    # when the booking completes, the provider's share is pending and the platform keeps its fees
    sweep_at(datetime.fromisoformat(tx["end"]) + timedelta(days=1, minutes=1))
    assert balances(provider) == {"EUR": (2700, 0)}
    assert platform(AccountKind.PLATFORM_REVENUE) == 500
    assert platform(AccountKind.ESCROW, reference=f"transaction:{tx['id']}") == 0
    # when the dispute window closes, it becomes available, and the provider pays it out
    sweep_at(datetime.fromisoformat(tx["end"]) + timedelta(days=9))
    assert balances(provider) == {"EUR": (0, 2700)}
    payout = after_commit(lambda: provider.call("POST", "me/payouts", json={"currency": "EUR"}))
    assert payout.status_code == 201 and payout.json()["amount"]["amount_minor"] == 2700
    assert provider.call("GET", "me/payouts").json()["results"][0]["status"] == "paid"
    assert balances(provider) == {"EUR": (0, 0)}
    assert platform(AccountKind.EXTERNAL_PAYOUTS) == 2700
    # and the member's ledger tells the same story as the balances
    kinds = [line["entry_kind"] for line in provider.call("GET", "me/ledger").json()["results"]]
    assert kinds == ["payout", "settle", "settle", "release"]
    assert_books_balance()


def test_a_declined_card_gets_402_and_opens_nothing(customer, provider, listing):
    room = listing()
    refused = book(customer, room, card=DECLINED)
    assert refused.status_code == 402
    assert refused.json()["error"]["code"] == "card_declined"
    assert (Transaction.objects.count(), Booking.objects.count(), Payment.objects.count()) == (0, 0, 0)


def test_a_card_the_bank_wants_confirmed_opens_the_deal_once_the_customer_confirms_it(
    customer, provider, api_as, listing
):
    room = listing()
    # when the customer books with a card that asks for authentication, nothing opens yet
    asked = book(customer, room, card=NEEDS_AUTHENTICATION)
    assert asked.status_code == 402 and asked.json()["error"]["code"] == "authentication_required"
    details = asked.json()["error"]["details"]
    assert Transaction.objects.count() == 0
    # and sending its id before confirming it asks again
    assert book(customer, room, card=details["payment_method"]).status_code == 402
    # when they confirm it on the bank's page (the sandbox's stand-in), which only they may open
    page = ApiClient()
    page.force_login(customer.user)
    url = urlparse(details["authentication_url"]).path
    assert "€32.00" in page.get(url).content.decode()
    stranger = ApiClient()
    stranger.force_login(api_as().user)
    assert stranger.get(url).status_code == 404
    assert "Payment confirmed" in page.post(url).content.decode()
    # then the same request with the confirmed card opens the deal, and it is captured on accept
    opened = book(customer, room, card=details["payment_method"])
    assert opened.status_code == 201 and opened.json()["state"] == "requested"
    step(provider, opened.json()["id"], "accept")
    assert Transaction.objects.get(pk=opened.json()["id"]).state == "accepted"
    # and the confirmation is good for that one deal only, and for its payer only
    again = book(customer, room, card=details["payment_method"], days=5)
    assert again.status_code == 422 and "payment_method" in again.json()["error"]["details"]
    assert book(api_as(), room, card=details["payment_method"], days=6).status_code == 402


def test_a_deal_that_fails_after_the_authorization_voids_it(customer, provider, listing, monkeypatch):
    from barnraise.commerce import bookings
    from barnraise.errors import NotAvailable

    room = listing()
    real, runs = bookings.reserve, []

    def a_rival_took_it_meanwhile(tx, listing, *, hold=True):
        runs.append(tx)
        if len(runs) == 2:  # the real run, after the dry run that priced the deal for the card
            raise NotAvailable()
        return real(tx, listing, hold=hold)

    monkeypatch.setattr(bookings, "reserve", a_rival_took_it_meanwhile)
    lost = book(customer, room)
    assert lost.status_code == 409 and lost.json()["error"]["code"] == "not_available"
    assert (Transaction.objects.count(), Payment.objects.count()) == (0, 0)
    assert SandboxRecord.objects.filter(kind="authorization").count() == 1
    assert SandboxRecord.objects.filter(kind="void").count() == 1


def test_accepting_needs_a_payout_account(customer, api_as, listing):
    unpaid = api_as(name="New Provider")
    room = listing(actor=unpaid.user)
    tx = book(customer, room).json()
    refused = step(unpaid, tx["id"], "accept")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "payout_account_required"
    # the provider sets one up and finishes the sandbox's onboarding
    created = unpaid.call("POST", "me/payout-account")
    assert created.status_code == 201 and created.json()["ready"] is False
    url = created.json()["onboarding_url"]
    page = ApiClient()
    page.force_login(unpaid.user)
    provider_page = page.get(urlparse(url).path)  # our page sends the member on to a fresh link
    assert provider_page.status_code == 302
    assert page.post(urlparse(provider_page["Location"]).path).status_code == 302
    assert unpaid.call("GET", "me/payout-account").json()["ready"] is True
    assert step(unpaid, tx["id"], "accept").status_code == 200
    assert Transaction.objects.get(pk=tx["id"]).state == "accepted"


def test_instant_booking_with_a_provider_who_cannot_be_paid_opens_nothing(customer, api_as, listing):
    unpaid = api_as(name="New Provider")
    room = listing(actor=unpaid.user, instant_booking=True)
    refused = book(customer, room)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "payout_account_required"
    assert Transaction.objects.count() == 0 and Payment.objects.count() == 0


def test_a_failed_capture_ends_in_payment_failed_and_frees_the_seats(customer, provider, listing):
    room = listing(seats=1)
    tx = book(customer, room, card=CAPTURE_FAILS).json()
    step(provider, tx["id"], "accept")
    failed = Transaction.objects.get(pk=tx["id"])
    assert failed.state == "payment_failed"
    assert Booking.objects.get().status == "cancelled"
    assert Payment.objects.get().status == "voided"
    assert platform(AccountKind.ESCROW, reference=f"transaction:{tx['id']}") == 0
    assert book(customer, room).status_code == 201  # the seat is free again


@pytest.mark.parametrize(
    ("days", "refund", "provider_pending", "platform_kept"),
    [
        (6, 3200, 0, 0),  # at least 120 hours before the start: all of it back
        (3, 1600, 1350, 250),  # less than 120 hours: half back, the rest shared as the price was
    ],
)
def test_a_customer_cancelling_under_a_moderate_policy_gets_its_share(
    customer, provider, listing, days, refund, provider_pending, platform_kept
):
    room = listing()
    tx = book(customer, room, days=days).json()
    assert tx["cancellation_policy"]["slug"] == "moderate"
    step(provider, tx["id"], "accept")
    cancelled = step(customer, tx["id"], "cancel_by_customer", reason="Plans changed")
    assert cancelled.json()["state"] == "cancelled"
    payment = customer.call("GET", f"transactions/{tx['id']}/payment").json()
    assert payment["refunded"]["amount_minor"] == refund
    assert SandboxRecord.objects.get(kind="refund").amount_minor == refund
    assert balances(provider).get("EUR", (0, 0)) == (provider_pending, 0)
    assert platform(AccountKind.PLATFORM_REVENUE) == platform_kept
    assert platform(AccountKind.ESCROW, reference=f"transaction:{tx['id']}") == 0
    assert_books_balance()


def test_a_request_declined_or_withdrawn_releases_the_hold(customer, provider, listing):
    room = listing()
    declined = book(customer, room).json()
    step(provider, declined["id"], "decline", reason="Away")
    withdrawn = book(customer, room, days=4).json()
    step(customer, withdrawn["id"], "cancel_by_customer")
    assert list(Payment.objects.values_list("status", flat=True)) == ["voided", "voided"]
    assert SandboxRecord.objects.filter(kind="void").count() == 2
    assert SandboxRecord.objects.filter(kind="capture").count() == 0


def test_a_provider_cancelling_refunds_in_full(customer, provider, listing):
    tx = book(customer, listing()).json()
    step(provider, tx["id"], "accept")
    step(provider, tx["id"], "cancel_by_provider", reason="Double-booked")
    assert customer.call("GET", f"transactions/{tx['id']}/payment").json()["status"] == "refunded"
    assert balances(provider).get("EUR", (0, 0)) == (0, 0)
    assert_books_balance()


def test_a_dispute_freezes_the_payout_and_the_operator_splits_it(customer, provider, listing):
    tx = completed_booking(customer, provider, listing())
    opened = step(customer, tx["id"], "dispute", reason="The room was not clean")
    assert opened.json()["state"] == "disputed"
    # the dispute window passes, but the provider's share stays pending
    sweep_at(datetime.fromisoformat(tx["end"]) + timedelta(days=9))
    assert balances(provider) == {"EUR": (2700, 0)}
    finance = operator("finance")
    too_much = step(finance, tx["id"], "resolve", refund={"amount_minor": 3201, "currency": "EUR"})
    assert too_much.status_code == 422 and "params.refund" in too_much.json()["error"]["details"]
    # money needs finance: support may resolve, but not with a refund
    by_support = step(
        operator("support"), tx["id"], "resolve", refund={"amount_minor": 1000, "currency": "EUR"}
    )
    assert by_support.status_code == 403 and by_support.json()["error"]["code"] == "permission_denied"
    assert Transaction.objects.get(pk=tx["id"]).state == "disputed"
    resolved = step(
        finance, tx["id"], "resolve", refund={"amount_minor": 1000, "currency": "EUR"}, outcome="Split"
    )
    assert resolved.json()["state"] == "resolved"
    # the customer gets €10.00; the provider gives back their share of it, the platform its fees
    assert SandboxRecord.objects.get(kind="refund").amount_minor == 1000
    assert balances(provider) == {"EUR": (0, 1856)}
    assert platform(AccountKind.PLATFORM_REVENUE) == 500 - 156
    assert platform(AccountKind.REFUNDS) == 1000
    assert_books_balance()


def test_a_chargeback_opens_a_dispute_and_the_operator_decides_who_bears_it(customer, provider, listing):
    tx = book(customer, listing(), card=CHARGEBACK).json()
    step(provider, tx["id"], "accept")
    disputed = Transaction.objects.get(pk=tx["id"])
    assert disputed.state == "disputed"
    assert platform(AccountKind.CHARGEBACKS) == 3200
    # the operator finds for the customer: the deal's escrow makes good the platform
    step(operator("finance"), tx["id"], "resolve", refund={"amount_minor": 3200, "currency": "EUR"})
    assert platform(AccountKind.CHARGEBACKS) == 0
    assert SandboxRecord.objects.filter(kind="refund").count() == 0  # the issuer refunded already
    assert balances(provider).get("EUR", (0, 0)) == (0, 0)
    assert_books_balance()


def test_a_chargeback_after_a_payout_leaves_a_receivable_that_later_earnings_settle(
    customer, provider, listing
):
    from barnraise.commerce import engine

    room = listing()
    first = completed_booking(customer, provider, room)
    sweep_at(datetime.fromisoformat(first["end"]) + timedelta(days=9))
    after_commit(lambda: provider.call("POST", "me/payouts", json={"currency": "EUR"}))
    assert balances(provider) == {"EUR": (0, 0)}
    # the card issuer reverses the first deal (as the provider's webhook reports it)
    engine.transition(Transaction.objects.get(pk=first["id"]), "chargeback", actor=None)
    step(operator("finance"), first["id"], "resolve", refund={"amount_minor": 3200, "currency": "EUR"})
    receivable = Account.objects.get(kind=AccountKind.PROVIDER_RECEIVABLE, owner=provider.user)
    assert selectors.balance_of(receivable).amount_minor == 2700
    assert balances(provider) == {"EUR": (0, 0)}  # available never goes below zero
    # the next deal's earnings settle the receivable before anything becomes available
    second = completed_booking(customer, provider, listing(title="Another room"))
    sweep_at(datetime.fromisoformat(second["end"]) + timedelta(days=9))
    assert selectors.balance_of(receivable).amount_minor == 0
    assert balances(provider) == {"EUR": (0, 0)}
    assert_books_balance()


def test_payouts_need_an_account_respect_holds_and_the_balance(customer, provider, api_as, listing):
    tx = completed_booking(customer, provider, listing())
    sweep_at(datetime.fromisoformat(tx["end"]) + timedelta(days=9))
    assert api_as().call("POST", "me/payouts", json={"currency": "EUR"}).json()["error"]["code"] == (
        "payout_account_required"
    )
    too_much = provider.call("POST", "me/payouts", json={"currency": "EUR", "amount_minor": 2701})
    assert too_much.status_code == 409 and too_much.json()["error"]["code"] == "insufficient_funds"
    finance = operator("finance")
    assert (
        operator("support")
        .call("POST", "ops/payout-holds", json={"member_id": str(provider.user.pk), "reason": "Checks"})
        .status_code
        == 403
    )
    hold = finance.call(
        "POST", "ops/payout-holds", json={"member_id": str(provider.user.pk), "reason": "Checks"}
    )
    assert hold.status_code == 201
    held = provider.call("POST", "me/payouts", json={"currency": "EUR"})
    assert held.status_code == 409 and held.json()["error"]["code"] == "payouts_on_hold"
    monday = datetime.now(UTC) + timedelta(days=7 - datetime.now(UTC).weekday())
    assert after_commit(lambda: payouts_due(monday)) == 0
    finance.call("POST", f"ops/payout-holds/{hold.json()['id']}/release")
    # the weekly schedule pays it out, once per week however often it runs
    assert after_commit(lambda: payouts_due(monday)) == 1
    assert after_commit(lambda: payouts_due(monday)) == 0
    paid = provider.call("GET", "me/payouts").json()["results"]
    assert [(p["status"], p["scheduled"], p["amount"]["amount_minor"]) for p in paid] == [
        ("paid", True, 2700)
    ]
    assert_books_balance()


def test_only_the_parties_see_a_payment(customer, provider, api_as, listing):
    tx = book(customer, listing()).json()
    assert api_as().call("GET", f"transactions/{tx['id']}/payment").status_code == 404
    assert provider.call("GET", f"transactions/{tx['id']}/payment").status_code == 200


def test_an_expired_request_releases_the_hold(customer, provider, listing):
    tx = book(customer, listing(), days=5).json()
    sweep_at(timezone.now() + timedelta(days=3, minutes=1))
    assert Transaction.objects.get(pk=tx["id"]).state == "expired"
    assert Payment.objects.get().status == "voided"


def test_a_dispute_reported_by_webhook_opens_it_on_the_deal(customer, provider, listing, client, settings):
    from barnraise.ledger.tests.conftest import SECRET, deliver, dispute_event, signed

    settings.STRIPE_WEBHOOK_SECRET = SECRET
    tx = book(customer, listing()).json()
    step(provider, tx["id"], "accept")
    capture_id = Payment.objects.get().capture_id
    event = json.loads(dispute_event("evt_dispute"))
    event["data"]["object"]["charge"] = capture_id
    body = json.dumps(event).encode()
    # when the provider reports the dispute, twice (a redelivery)
    for _ in range(2):
        assert after_commit(lambda: deliver(client, body, signed(body))).status_code == 200
    # then the deal is disputed once and the chargeback is on the books
    assert Transaction.objects.get(pk=tx["id"]).state == "disputed"
    assert platform(AccountKind.CHARGEBACKS) == 3200
    assert_books_balance()


def test_the_providers_word_on_a_payout_account_is_kept(api_as, client, settings):
    from barnraise.ledger.tests.conftest import SECRET, deliver, signed

    settings.STRIPE_WEBHOOK_SECRET = SECRET
    member = api_as()
    external = member.call("POST", "me/payout-account").json() and PayoutAccount.objects.get().external_id

    def account_event(event_id, enabled):
        account = {
            "id": external,
            "object": "account",
            "payouts_enabled": enabled,
            "capabilities": {"transfers": "active"},
        }
        event = {
            "id": event_id,
            "object": "event",
            "type": "account.updated",
            "created": 1,
            "data": {"object": account},
        }
        return json.dumps(event).encode()

    body = account_event("evt_a1", True)
    after_commit(lambda: deliver(client, body, signed(body)))
    assert member.call("GET", "me/payout-account").json()["ready"] is True
    body = account_event("evt_a2", False)
    after_commit(lambda: deliver(client, body, signed(body)))
    assert member.call("GET", "me/payout-account").json()["ready"] is False


def test_a_paid_purchase_from_card_to_the_sellers_pending_balance(customer, provider, listing):
    # a €200.00 bike: the customer pays €210.50 (5% + €0.50), the seller earns €180.00
    bike = listing("sale", stock=2)
    body = {"listing_id": str(bike.public_id), "quantity": 1, "payment_method": TEST_CARD}
    tx = after_commit(lambda: customer.call("POST", "transactions", json=body)).json()
    assert tx["total"]["amount_minor"] == 21050
    step(provider, tx["id"], "accept")
    assert Transaction.objects.get(pk=tx["id"]).state == "accepted"
    step(provider, tx["id"], "mark_shipped", tracking="BE123")
    assert step(customer, tx["id"], "confirm_receipt").json()["state"] == "completed"
    assert balances(provider) == {"EUR": (18000, 0)}
    assert platform(AccountKind.PLATFORM_REVENUE) == 3050
    assert_books_balance()


def test_a_paid_request_from_offer_to_the_helpers_pending_balance(customer, provider, listing):
    need = listing("request", actor=customer.user, title="Paint my fence")
    offer = provider.call(
        "POST",
        f"listings/{need.public_id}/offers",
        json={"price": {"amount_minor": 10000, "currency": "EUR"}},
    ).json()
    assert offer["total"]["amount_minor"] == 10550
    declined = step(customer, offer["id"], "accept_offer", payment_method=DECLINED)
    assert declined.status_code == 402 and Transaction.objects.get(pk=offer["id"]).state == "offered"
    step(customer, offer["id"], "accept_offer", payment_method=TEST_CARD)
    assert Transaction.objects.get(pk=offer["id"]).state == "accepted"
    step(provider, offer["id"], "deliver", message="Two coats, done")
    step(customer, offer["id"], "accept_delivery")
    assert balances(provider) == {"EUR": (9000, 0)}
    assert_books_balance()


def test_settlements_due_together_post_as_one_batch_and_pay_a_receivable_off_once(
    customer, provider, listing, monkeypatch
):
    from barnraise.commerce import engine
    from barnraise.ledger import journal
    from barnraise.ledger.models import JournalEntry

    # given a provider who owes 27.00 after a chargeback that came after a payout
    first = completed_booking(customer, provider, listing())
    sweep_at(datetime.fromisoformat(first["end"]) + timedelta(days=9))
    after_commit(lambda: provider.call("POST", "me/payouts", json={"currency": "EUR"}))
    engine.transition(Transaction.objects.get(pk=first["id"]), "chargeback", actor=None)
    step(operator("finance"), first["id"], "resolve", refund={"amount_minor": 3200, "currency": "EUR"})
    receivable = Account.objects.get(kind=AccountKind.PROVIDER_RECEIVABLE, owner=provider.user)
    assert selectors.balance_of(receivable).amount_minor == 2700
    # and three more finished bookings, whose dispute windows close on the same day
    later = [completed_booking(customer, provider, listing(title=f"Room {n}")) for n in range(3)]
    assert balances(provider) == {"EUR": (3 * 2700, 0)}

    # when the sweeper passes them all
    batches = []
    post = journal.entries_post
    monkeypatch.setattr(
        journal, "entries_post", lambda entries: batches.append(len(entries)) or post(entries)
    )
    last_end = max(datetime.fromisoformat(tx["end"]) for tx in later)
    sweep_at(last_end + timedelta(days=9))

    # then the first pays the receivable off and the other two become available, once each
    assert selectors.balance_of(receivable).amount_minor == 0
    assert balances(provider) == {"EUR": (0, 2 * 2700)}
    settles = JournalEntry.objects.filter(
        kind="settle", reference__in=[f"transaction:{tx['id']}" for tx in later]
    )
    assert settles.count() == 3
    assert batches == [3]  # one batch of entries, in one transaction
    assert (
        Payment.objects.filter(
            reference__in=[f"transaction:{tx['id']}" for tx in later], settled=True
        ).count()
        == 3
    )
    # and sweeping again changes nothing
    sweep_at(last_end + timedelta(days=10))
    assert balances(provider) == {"EUR": (0, 2 * 2700)}
    assert_books_balance()
