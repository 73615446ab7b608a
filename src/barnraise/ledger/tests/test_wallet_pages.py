"""The wallet page, the sandbox's onboarding page, and payout holds in the admin."""

from datetime import datetime, timedelta

import pytest
from django.test import Client

from barnraise.accounts.services import operator_create
from barnraise.conftest import after_commit
from barnraise.ledger.models import Payout, PayoutAccount, PayoutHold
from barnraise.ledger.tests.conftest import book, step, sweep_at

pytestmark = pytest.mark.django_db


def as_member(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def earned(customer, provider, listing) -> None:
    """A completed booking whose dispute window has closed: €27.00 available to the provider."""
    tx = book(customer, listing()).json()
    step(provider, tx["id"], "accept")
    sweep_at(datetime.fromisoformat(tx["end"]) + timedelta(days=1, minutes=1))  # completes
    sweep_at(datetime.fromisoformat(tx["end"]) + timedelta(days=9))  # the dispute window closed


def test_a_new_provider_sets_up_payouts_from_the_wallet(api_as):
    member = api_as(name="Nell New").user
    page = as_member(member)
    wallet = page.get("/wallet/")
    assert wallet.status_code == 200 and b"Set up payouts" in wallet.content
    assert b"Nothing yet" in wallet.content
    setup = page.post("/wallet/payout-account/")
    account = PayoutAccount.objects.get(owner=member)
    refresh = f"/payouts/onboarding/{account.external_id}/refresh"
    assert setup.status_code == 302 and setup["Location"] == refresh
    assert page.get(refresh)["Location"].endswith(f"/sandbox/onboarding/{account.external_id}")
    onboarding = page.get(f"/sandbox/onboarding/{account.external_id}")
    assert b"Finish onboarding" in onboarding.content
    assert as_member(api_as().user).get(f"/sandbox/onboarding/{account.external_id}").status_code == 404
    done = page.post(f"/sandbox/onboarding/{account.external_id}", {"leave": ""})
    assert done["Location"] == f"/payouts/onboarding/{account.external_id}/return"
    assert b"Ready: payouts go to your account at the sandbox." in page.get(done["Location"]).content
    assert b"Ready: payouts go to your account at the sandbox." in page.get("/wallet/").content


def test_the_wallet_shows_earnings_and_pays_them_out(customer, provider, listing):
    earned(customer, provider, listing)
    page = as_member(provider.user)
    wallet = page.get("/wallet/").content.decode()
    assert 'data-balance="available-EUR">€27.00<' in wallet and "Pay out €27.00" in wallet
    assert "Release" in wallet and "Pending to available" in wallet
    done = after_commit(lambda: page.post("/wallet/payouts/", {"currency": "EUR"}))
    assert done["Location"] == "/wallet/"
    wallet = page.get("/wallet/").content.decode()
    assert "Payout of €27.00 requested." in wallet and 'data-balance="available-EUR">€0.00<' in wallet
    assert Payout.objects.get().status == "paid"
    again = page.post("/wallet/payouts/", {"currency": "EUR"}, follow=True)
    assert "The available balance is too low for this." in again.content.decode()


def test_finance_holds_and_releases_payouts_in_the_admin(customer, provider, listing):
    earned(customer, provider, listing)
    finance = operator_create(
        email="fin@example.com", name="Fin", password="pw-123456789", groups=["finance"]
    )
    admin = as_member(finance)
    added = admin.post(
        "/admin/ledger/payouthold/add/", {"owner": str(provider.user.pk), "reason": "Identity check"}
    )
    assert added.status_code == 302
    hold = PayoutHold.objects.get()
    assert (hold.owner_id, hold.created_by_id, hold.released_at) == (provider.user.pk, finance.pk, None)
    refused = provider.call("POST", "me/payouts", json={"currency": "EUR"})
    assert refused.json()["error"]["code"] == "payouts_on_hold"
    assert b"Your payouts are on hold." in as_member(provider.user).get("/wallet/").content
    admin.post("/admin/ledger/payouthold/", {"action": "release_holds", "_selected_action": [hold.pk]})
    hold.refresh_from_db()
    assert hold.released_at is not None
    assert provider.call("POST", "me/payouts", json={"currency": "EUR"}).status_code == 201
    # the ledger itself stays read-only, even to finance
    assert admin.get("/admin/ledger/payment/").status_code == 200
    assert admin.get("/admin/ledger/journalentry/add/").status_code == 403


def test_the_card_field_is_on_the_booking_panel(customer, listing):
    page = as_member(customer.user).get(f"/listings/{listing().public_id}/").content.decode()
    assert 'name="payment_method"' in page and "4242 4242 4242 4242" in page
