"""Payouts on a deal: each payout is allocated to the provider's deal credits it pays out, oldest
first, and the deal's page, its API detail, the console, the notification and the data export
say so. Two completed bookings of a €15.00 room for two hours: the provider earns €27.00 from
each (docs/money.md), available once the dispute window closes.
"""

import importlib
import re
from datetime import datetime, timedelta

import pytest
from django.apps import apps as django_apps
from django.test import Client

from barnraise.accounts.services import operator_create
from barnraise.conftest import after_commit
from barnraise.ledger.deals import dispute_window
from barnraise.ledger.models import Payout, PayoutItem
from barnraise.ledger.payouts import payout_account_sync, sandbox_onboarding_finish
from barnraise.ledger.providers import PayoutAccount as ProviderAccount
from barnraise.ledger.tests.conftest import completed_booking, sweep_at
from barnraise.money import Money

pytestmark = pytest.mark.django_db


def page_text(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split()).replace("&#x27;", "'")


def two_settled_deals(customer, provider, listing) -> tuple[dict, dict]:
    """Two completed bookings whose €27.00 shares are available: Garden room first."""
    first = completed_booking(customer, provider, listing(title="Garden room"))
    second = completed_booking(customer, provider, listing(title="Boat shed"))
    sweep_at(datetime.fromisoformat(second["end"]) + timedelta(days=1, minutes=2) + dispute_window())
    assert available_eur(provider) == 5400
    return first, second


def available_eur(client) -> int:
    rows = client.call("GET", "me/balances").json()
    rows = rows["results"] if isinstance(rows, dict) and "results" in rows else rows
    return next(r["available"]["amount_minor"] for r in rows if r["available"]["currency"] == "EUR")


def pay_out(client, amount_minor: int | None = None):
    body: dict = {"currency": "EUR", **({"amount_minor": amount_minor} if amount_minor else {})}
    made = after_commit(lambda: client.call("POST", "me/payouts", json=body))
    assert made.status_code == 201, made.content
    return made.json()


def deal_payouts(client, deal: dict) -> list[dict]:
    response = client.call("GET", f"transactions/{deal['id']}")
    assert response.status_code == 200, response.content
    return list(response.json()["payouts"])


def money(amount_minor: int) -> dict:
    return {"amount_minor": amount_minor, "currency": "EUR", "formatted": f"€{amount_minor / 100:.2f}"}


def notification_bodies(client) -> list[str]:
    return [n["body"] for n in client.call("GET", "notifications").json()["results"]]


def test_a_payout_split_over_two_deals_and_two_payouts_shows_on_each_deal(customer, provider, listing):
    # given two deals whose €27.00 shares are available
    garden, shed = two_settled_deals(customer, provider, listing)
    # when the provider pays out €30.00, then the rest
    first = pay_out(provider, 3000)
    second = pay_out(provider)
    # then the first payout paid all of the older deal and €3.00 of the newer, the second the rest
    assert [
        (p["id"], p["status"], p["amount"], p["payout_amount"]) for p in deal_payouts(provider, garden)
    ] == [(first["id"], "paid", money(2700), money(3000))]
    assert [(p["id"], p["amount"], p["payout_amount"]) for p in deal_payouts(provider, shed)] == [
        (first["id"], money(300), money(3000)),
        (second["id"], money(2400), money(2400)),
    ]
    # and the provider reads it in words, on the API and on the deal's page
    summary = deal_payouts(provider, shed)[1]["summary"]
    assert re.fullmatch(r"Paid out €24\.00 to your bank account on \d{1,2} \w+\.", summary), summary
    garden_page = page_text(provider.user, f"/transactions/{garden['id']}/")
    assert re.search(
        r"Paid out €27\.00 to your bank account\. It was part of a payout of €30\.00\.",
        garden_page,
    ), garden_page
    # and the customer sees none of the provider's payouts
    assert deal_payouts(customer, garden) == []
    assert "Paid out" not in page_text(customer.user, f"/transactions/{garden['id']}/")
    # and a finance operator's console deal page tells it of the provider
    finance = operator_create(
        email="fin@example.com", name="Fin", password="pw-123456789", groups=["finance"]
    )
    console = page_text(finance, f"/console/deals/{shed['id']}/")
    assert "Paid out €3.00 to the provider's bank account." in console
    assert "Paid out €24.00 to the provider's bank account." in console
    # and each payout's notification names what it paid for
    bodies = notification_bodies(provider)
    assert any(
        b.startswith("We sent €30.00 for 2 bookings and sales to your payout account.") for b in bodies
    )
    assert any(b.startswith("We sent €24.00 for Boat shed to your payout account.") for b in bodies)
    # and the data export lists each payout's deals
    export = provider.call("GET", "me/export").json()
    exported = {p["id"]: p["deals"] for p in export["payouts"]}
    assert exported[first["id"]] == [
        {"deal": garden["id"], "reference": f"transaction:{garden['id']}", "amount": money(2700)},
        {"deal": shed["id"], "reference": f"transaction:{shed['id']}", "amount": money(300)},
    ]
    assert exported[second["id"]] == [
        {"deal": shed["id"], "reference": f"transaction:{shed['id']}", "amount": money(2400)}
    ]


def test_a_failed_payout_releases_its_deals_to_the_next_payout(customer, provider, listing):
    # given two deals available, and a payout account the sandbox will not pay into (the bank
    # account is missing there, though we were told the account is ready)
    garden, shed = two_settled_deals(customer, provider, listing)
    account = provider.user.payout_account
    sandbox_onboarding_finish(
        actor=provider.user, external_id=account.external_id, leave_due=("external_account",)
    )
    payout_account_sync(
        external_id=account.external_id, found=ProviderAccount(account.external_id, True), actor=None
    )
    # when a payout of €30.00 fails
    failed = pay_out(provider, 3000)
    assert Payout.objects.get(pk=failed["id"]).status == Payout.Status.FAILED
    # then the deal says the money is back, and the balance has it
    assert [p["status"] for p in deal_payouts(provider, garden)] == ["failed"]
    assert "Payout of €27.00 failed, the money is back in your balance." in page_text(
        provider.user, f"/transactions/{garden['id']}/"
    )
    assert available_eur(provider) == 5400
    assert any("for 2 bookings and sales could not be made" in b for b in notification_bodies(provider))
    # when the account is fixed and the provider pays out €30.00 again
    sandbox_onboarding_finish(actor=provider.user, external_id=account.external_id)
    again = pay_out(provider, 3000)
    # then the new payout takes the same, oldest credits: nothing is left out or paid twice
    assert [(p["id"], p["status"], p["amount"]) for p in deal_payouts(provider, garden)] == [
        (failed["id"], "failed", money(2700)),
        (again["id"], "paid", money(2700)),
    ]
    assert [(p["id"], p["amount"]) for p in deal_payouts(provider, shed)] == [
        (failed["id"], money(300)),
        (again["id"], money(300)),
    ]
    rest = pay_out(provider)
    assert rest["amount"]["amount_minor"] == 2400
    assert [p["amount"] for p in deal_payouts(provider, shed) if p["status"] == "paid"] == [
        money(300),
        money(2400),
    ]


def test_a_refund_after_release_reduces_what_a_payout_allocates_to_that_deal(customer, provider, listing):
    # given two deals' €27.00 shares available
    garden, _shed = two_settled_deals(customer, provider, listing)
    # when a finance operator refunds €10.00 of the first deal (the provider gives back €8.44)
    finance = operator_create(
        email="fin@example.com", name="Fin", password="pw-123456789", groups=["finance"]
    )
    from barnraise.ledger.refunds import refund_issue

    refund_issue(actor=finance, deal_id=garden["id"], amount=Money(1000, "EUR"), reason="Broken heater")
    # and the provider pays out everything
    everything = pay_out(provider)
    # then the older deal's part is what it still credits, and the payout's parts sum to it
    assert deal_payouts(provider, garden)[0]["amount"] == money(2700 - 844)
    items = PayoutItem.objects.filter(payout_id=everything["id"])
    assert sum(i.amount_minor for i in items) == everything["amount"]["amount_minor"] == 5400 - 844


def test_the_migration_allocates_earlier_payouts_as_the_payouts_do(customer, provider, listing):
    # given two payouts over two deals, one of them failed, allocated as they were made
    garden, _shed = two_settled_deals(customer, provider, listing)
    pay_out(provider, 3000)
    pay_out(provider, 1000)
    Payout.objects.filter(amount_minor=1000).update(status=Payout.Status.FAILED)
    made = sorted(
        PayoutItem.objects.exclude(payout__status="failed").values_list("payout", "reference", "amount_minor")
    )
    # when the items are gone, as before the migration, and it runs
    PayoutItem.objects.all().delete()
    backfill = importlib.import_module("barnraise.ledger.migrations.0012_payout_items")
    backfill.allocate_earlier_payouts(django_apps, None)
    # then the live payouts get the same items, the failed one none
    assert sorted(PayoutItem.objects.values_list("payout", "reference", "amount_minor")) == made
    assert deal_payouts(provider, garden)[0]["amount"] == money(2700)
