"""Payout onboarding (issue #20, "Getting paid"): the return and refresh pages the provider
sends members to, what the provider still needs in plain words, and payouts blocked until the
account is ready; with the sandbox and with the FAKE Stripe API (fixtures/stripe/fake.py)."""

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from django.test import Client

from barnraise.conftest import after_commit
from barnraise.eventlog.models import Event
from barnraise.ledger.models import Payout, PayoutAccount
from barnraise.ledger.tests.conftest import SECRET, deliver, signed
from barnraise.ledger.tests.fixtures.stripe.fake import FakeStripe, fake_stripe

pytestmark = pytest.mark.django_db


def as_member(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_text(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


@pytest.fixture
def fake(settings: Any) -> Iterator[FakeStripe]:
    with fake_stripe(settings) as running:
        settings.PAYMENT_PROVIDER = "stripe"
        yield running


def account_events(account: PayoutAccount) -> list[tuple[str, dict[str, Any]]]:
    rows = Event.objects.filter(subject_type="payout_account", subject_id=str(account.pk)).order_by("id")
    return [(e.type, e.payload) for e in rows]


# --- the sandbox ---------------------------------------------------------------------------


def test_sandbox_onboarding_with_the_bank_account_left_blocks_payouts_until_finished(api_as, fund):
    # given a member with €27.00 available who starts setting up payouts on the wallet page
    member = api_as(name="Nell New")
    fund(member.user, 2700)
    page = as_member(member.user)
    setup = page.post("/wallet/payout-account/")
    account = PayoutAccount.objects.get(owner=member.user)
    assert setup["Location"] == f"/payouts/onboarding/{account.external_id}/refresh"
    sandbox_page = page.get(setup["Location"])["Location"]
    assert urlparse(sandbox_page).path == f"/sandbox/onboarding/{account.external_id}"
    # when they finish the sandbox's onboarding but leave the bank account for later
    back = page.post(urlparse(sandbox_page).path, {"leave": "bank"})
    # then the provider sends them to the return page, which says what is still needed
    assert back["Location"] == f"/payouts/onboarding/{account.external_id}/return"
    text = page_text(page.get(back["Location"]))
    assert "Not finished: the sandbox needs a few more details before you can be paid." in text
    assert "The sandbox needs your bank account." in text
    assert "date of birth" not in text and "external_account" not in text  # no codes, only words
    assert f'href="/payouts/onboarding/{account.external_id}/refresh"' in text
    # and the wallet says it too, with why they cannot be paid out and where to finish
    wallet = page_text(page.get("/wallet/"))
    assert "The sandbox needs your bank account." in wallet
    assert "You can't be paid out until your payout account is set up." in wallet
    assert "Pay out €27.00" not in wallet
    # and a payout through the API is refused with a stable code and the same sentence
    refused = member.call("POST", "me/payouts", json={"currency": "EUR"})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "payout_account_not_ready"
    assert error["message"] == "You can't be paid out yet. The sandbox needs your bank account."
    assert error["details"]["onboarding_url"].endswith(f"/payouts/onboarding/{account.external_id}/refresh")
    assert [r["code"] for r in error["details"]["requirements"]] == ["external_account"]
    assert Payout.objects.count() == 0
    # when they come back through the refresh page and finish everything
    again = page.get(f"/payouts/onboarding/{account.external_id}/refresh")["Location"]
    finished = page.post(urlparse(again).path, {"leave": ""})
    text = page_text(page.get(finished["Location"]))
    # then the account is ready, the wallet offers the payout, and the API pays it
    assert "Ready: payouts go to your account at the sandbox." in text
    assert "needs your" not in text
    assert "Pay out €27.00" in page_text(page.get("/wallet/"))
    paid = after_commit(lambda: member.call("POST", "me/payouts", json={"currency": "EUR"}))
    assert paid.status_code == 201
    assert [p["status"] for p in member.call("GET", "me/payouts").json()["results"]] == ["paid"]
    # and each change of the account is in the event log: opened, then two updates
    assert [(t, p["to"], p["currently_due"]) for t, p in account_events(account)] == [
        ("ledger:payout_account:opened", "onboarding", _sandbox_due()),
        ("ledger:payout_account:updated", "onboarding", ["external_account"]),
        ("ledger:payout_account:updated", "ready", []),
    ]


def _sandbox_due() -> list[str]:
    from barnraise.ledger.providers.sandbox import ONBOARDING_DUE

    return sorted(ONBOARDING_DUE)


def test_a_new_account_shows_everything_the_provider_needs_through_the_api(api_as):
    # given a member who set up a sandbox payout account and has not onboarded yet
    member = api_as()
    member.call("POST", "me/payout-account")
    # when they read it
    shown = member.call("GET", "me/payout-account").json()
    # then each thing needed is one sentence (a date of birth's three fields make one)
    assert shown["ready"] is False and shown["state"] == "action_needed"
    assert [r["message"] for r in shown["requirements"]] == [
        "The sandbox needs your bank account.",
        "The sandbox needs your date of birth.",
        "The sandbox needs your legal name.",
        "The sandbox needs you to accept its terms of service.",
    ]
    assert shown["onboarding_url"].endswith("/refresh")


def test_the_return_and_refresh_pages_are_the_owners_only(api_as):
    # given a member's payout account
    owner = api_as()
    owner.call("POST", "me/payout-account")
    account = PayoutAccount.objects.get()
    stranger = as_member(api_as().user)
    # when another member, or nobody, opens its pages
    for path in ("return", "refresh"):
        url = f"/payouts/onboarding/{account.external_id}/{path}"
        # then 404 for the other member, the login page for nobody
        assert stranger.get(url).status_code == 404
        assert Client().get(url)["Location"].startswith("/accounts/login/")
    assert account_events(account)[-1][0] == "ledger:payout_account:opened"  # nothing synced


def test_only_the_bank_account_can_be_left_for_later_on_the_sandbox_page(api_as):
    # given a member at the sandbox's onboarding page
    member = api_as()
    member.call("POST", "me/payout-account")
    account = PayoutAccount.objects.get()
    # when the form is sent with an unexpected value
    page = as_member(member.user)
    page.post(f"/sandbox/onboarding/{account.external_id}", {"leave": "everything"})
    # then it is a complete onboarding (only "bank" leaves something out)
    assert member.call("GET", "me/payout-account").json()["ready"] is True


# --- Stripe (the FAKE) -------------------------------------------------------------------


def test_stripe_onboarding_through_the_return_page(api_as, fund, fake: FakeStripe, settings):
    # given a member who sets up payouts with Stripe as the provider
    member = api_as(name="Sam Seller")
    fund(member.user, 2700)
    opened = member.call("POST", "me/payout-account")
    assert opened.status_code == 201, opened.content
    account = PayoutAccount.objects.get()
    assert account.provider == "stripe" and account.external_id.startswith("acct_")
    # when they follow onboarding_url (our refresh page)
    page = as_member(member.user)
    refresh = urlparse(opened.json()["onboarding_url"]).path
    assert refresh == f"/payouts/onboarding/{account.external_id}/refresh"
    to_stripe = page.get(refresh)
    # then they are sent to a fresh Express account link whose return and refresh pages are ours
    assert to_stripe.status_code == 302 and to_stripe["Location"].startswith("https://connect.stripe.com/")
    link = fake.seen("POST", "/v1/account_links")[-1].params
    base = f"{settings.SITE_URL}/payouts/onboarding/{account.external_id}"
    assert (link["type"], link["return_url"], link["refresh_url"]) == (
        "account_onboarding",
        f"{base}/return",
        f"{base}/refresh",
    )
    assert len(fake.seen("POST", "/v1/account_links")) == 2  # one at creation, a fresh one now
    # when they come back with their date of birth and ID document still missing
    fake.objects[account.external_id]["requirements"].update(
        currently_due=["individual.dob.day", "individual.dob.month", "individual.dob.year"],
        past_due=["individual.verification.document"],
        disabled_reason="requirements.past_due",
    )
    text = page_text(page.get(f"/payouts/onboarding/{account.external_id}/return"))
    # then the return page asked Stripe and says what is missing, in words
    assert "Stripe needs a photo of your identity document. (overdue)" in text
    assert text.count("Stripe needs your date of birth.") == 1
    assert "Stripe pauses payouts until the details below are given." in text
    assert "requirements.past_due" not in text
    refused = member.call("POST", "me/payouts", json={"currency": "EUR"})
    assert refused.json()["error"]["code"] == "payout_account_not_ready"
    assert "Stripe needs a photo of your identity document." in refused.json()["error"]["message"]
    # when they finish at Stripe and come back
    fake.complete_onboarding(account.external_id)
    fake.objects[account.external_id]["requirements"].update(past_due=[])
    text = page_text(page.get(f"/payouts/onboarding/{account.external_id}/return"))
    # then the account is ready, with nothing left to do
    assert "Ready: payouts go to your account at Stripe." in text
    shown = member.call("GET", "me/payout-account").json()
    assert (shown["ready"], shown["state"], shown["requirements"], shown["onboarding_url"]) == (
        True,
        "ready",
        [],
        "",
    )
    assert shown["payouts_enabled"] is True and shown["charges_enabled"] is True


def test_stripe_unreachable_on_the_refresh_page_sends_the_member_back_with_a_sentence(
    api_as, fake: FakeStripe
):
    # given a member's Stripe account, and Stripe failing to answer the next account link
    member = api_as()
    member.call("POST", "me/payout-account")
    account = PayoutAccount.objects.get()
    for _attempt in range(3):  # the library retries twice
        fake.answer_next("POST", "/v1/account_links", 500, {"error": {"type": "api_error", "message": "x"}})
    # when they open the refresh page
    page = as_member(member.user)
    answer = page.get(f"/payouts/onboarding/{account.external_id}/refresh", follow=True)
    # then they are back on the wallet with a sentence, not an error page
    assert answer.redirect_chain[-1][0] == "/wallet/"
    assert "We could not reach the payment provider just now." in answer.content.decode()


def test_the_api_makes_a_fresh_onboarding_link_and_refreshes_the_account(api_as, fake: FakeStripe):
    # given a member with a Stripe account who finished onboarding at Stripe
    member = api_as()
    member.call("POST", "me/payout-account")
    account = PayoutAccount.objects.get()
    first = member.call("POST", "me/payout-account/onboarding-link").json()["url"]
    second = member.call("POST", "me/payout-account/onboarding-link").json()["url"]
    assert first != second and first.startswith("https://connect.stripe.com/")  # a new one each time
    fake.complete_onboarding(account.external_id)
    assert member.call("GET", "me/payout-account").json()["ready"] is False  # not asked yet
    # when the client asks us to refresh it
    refreshed = member.call("POST", "me/payout-account/refresh")
    # then it is ready
    assert refreshed.status_code == 200 and refreshed.json()["ready"] is True
    assert api_as().call("POST", "me/payout-account/refresh").status_code == 404  # none yet


def _account_updated(event_id: str, account: dict[str, Any]) -> bytes:
    event = {"id": event_id, "object": "event", "type": "account.updated", "created": 1}
    return json.dumps({**event, "data": {"object": account}}).encode()


def test_account_updated_webhooks_keep_the_requirements_in_words(api_as, client, settings, fake):
    # given a member with a Stripe payout account, and Stripe's webhooks configured
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    member = api_as()
    member.call("POST", "me/payout-account")
    account = PayoutAccount.objects.get()
    stripe_account = {
        "id": account.external_id,
        "object": "account",
        "charges_enabled": True,
        "payouts_enabled": False,
        "capabilities": {"transfers": "inactive"},
        "requirements": {
            "currently_due": ["external_account", "company.tax_id", "individual.some_new_field"],
            "past_due": [],
            "disabled_reason": "requirements.pending_verification",
        },
    }
    # when Stripe says the account still needs a few things (twice: a redelivery, a repeat)
    body = _account_updated("evt_u1", stripe_account)
    after_commit(lambda: deliver(client, body, signed(body)))
    repeat = _account_updated("evt_u2", stripe_account)
    after_commit(lambda: deliver(client, repeat, signed(repeat)))
    # then the account keeps them and shows them in words, unknown names too
    shown = member.call("GET", "me/payout-account").json()
    assert [r["message"] for r in shown["requirements"]] == [  # in the order of Stripe's names
        "Stripe needs your company's tax number.",
        "Stripe needs your bank account.",
        "Stripe needs one more detail: some new field.",
    ]
    assert shown["disabled_reason_message"].startswith("Stripe is checking your details")
    assert shown["charges_enabled"] is True and shown["payouts_enabled"] is False
    # and the change is one event: the repeat changed nothing
    assert [t for t, _p in account_events(account)] == [
        "ledger:payout_account:opened",
        "ledger:payout_account:updated",
    ]
    # when Stripe says it is ready
    stripe_account.update(payouts_enabled=True, capabilities={"transfers": "active"})
    stripe_account["requirements"] = {"currently_due": [], "past_due": [], "disabled_reason": None}
    body = _account_updated("evt_u3", stripe_account)
    after_commit(lambda: deliver(client, body, signed(body)))
    # then it is, and the wallet says so
    assert member.call("GET", "me/payout-account").json()["state"] == "ready"
    assert account_events(account)[-1][1]["to"] == "ready"
