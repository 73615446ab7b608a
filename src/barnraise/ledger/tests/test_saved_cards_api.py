"""Saved cards through the API (/me/payment-methods): with the sandbox, and with the Stripe
adapter against the FAKE Stripe API (fixtures/stripe/fake.py, never Stripe itself), where the
card is saved as a member's page does it with Stripe.js: in the browser, with the client
secret and the publishable key."""

import json
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from barnraise.eventlog.models import Event
from barnraise.ledger.models import PaymentCustomer
from barnraise.ledger.providers.sandbox import SandboxProvider
from barnraise.ledger.tests.fixtures.stripe.fake import PUBLISHABLE_KEY, FakeStripe, fake_stripe

pytestmark = pytest.mark.django_db
URL = "me/payment-methods"


def save_in_sandbox(setup: dict, card: str = "4242424242424242") -> None:
    SandboxProvider().setup_confirm(
        setup_id=setup["setup_id"], client_secret=setup["client_secret"], card_number=card
    )


def test_a_member_saves_lists_and_removes_a_card_in_the_sandbox(api_as):
    # given a member with no saved card
    member = api_as()
    assert member.call("GET", URL).json() == {"results": [], "next_cursor": None}
    # when they start a setup and their page confirms it with a test card
    started = member.call("POST", f"{URL}/setup")
    setup = started.json()
    save_in_sandbox(setup)
    listed = member.call("GET", URL).json()["results"]
    # then the card is listed, without its number, and can be removed once
    assert started.status_code == 201 and setup["provider"] == "sandbox"
    assert setup["client_secret"].startswith(setup["setup_id"])
    [card] = listed
    assert (card["brand"], card["last4"], card["exp_month"]) == ("visa", "4242", 12)
    assert "4242424242424242" not in json.dumps(listed)
    assert member.call("DELETE", f"{URL}/{card['id']}").status_code == 204
    assert member.call("GET", URL).json()["results"] == []
    again = member.call("DELETE", f"{URL}/{card['id']}")
    assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"


def test_the_customer_is_created_once_and_recorded(api_as):
    member = api_as()
    member.call("POST", f"{URL}/setup")
    member.call("POST", f"{URL}/setup")
    customer = PaymentCustomer.objects.get(member=member.user)
    [event] = Event.objects.filter(type="ledger:payment_customer:created")
    assert customer.provider == "sandbox" and customer.external_id.startswith("sbx_cus_")
    assert event.subject_id == str(customer.pk) and event.member_id == member.user.pk


def test_another_members_card_is_not_found(api_as):
    owner, stranger = api_as(), api_as()
    save_in_sandbox(owner.call("POST", f"{URL}/setup").json())
    [card] = owner.call("GET", URL).json()["results"]
    no_customer = stranger.call("DELETE", f"{URL}/{card['id']}")
    stranger.call("POST", f"{URL}/setup")
    not_theirs = stranger.call("DELETE", f"{URL}/{card['id']}")
    assert no_customer.status_code == not_theirs.status_code == 404
    assert not_theirs.json()["error"]["code"] == "not_found"
    assert [c["id"] for c in owner.call("GET", URL).json()["results"]] == [card["id"]]
    assert not Event.objects.filter(type="ledger:saved_card:removed").exists()


def test_saved_cards_need_a_token_and_the_setup_takes_no_fields(api, api_as):
    assert api.call("GET", URL).status_code == 401
    assert api.call("POST", f"{URL}/setup").status_code == 401
    assert api.call("DELETE", f"{URL}/pm_1").status_code == 401
    extra = api_as().call("POST", f"{URL}/setup", json={"card_number": "4242424242424242"})
    assert extra.status_code == 422 and extra.json()["error"]["code"] == "unknown_field"


def test_saved_cards_are_in_the_openapi_document_under_their_tag(api):
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    assert paths["/api/v1/me/payment-methods"]["get"]["tags"] == ["payment methods"]
    assert paths["/api/v1/me/payment-methods/setup"]["post"]["tags"] == ["payment methods"]
    assert paths["/api/v1/me/payment-methods/{method_id}"]["delete"]["tags"] == ["payment methods"]


# -- with Stripe (the fake) ----------------------------------------------------------------


@pytest.fixture
def fake(settings) -> Iterator[FakeStripe]:
    with fake_stripe(settings) as running:
        settings.PAYMENT_PROVIDER = "stripe"
        yield running


def confirm_in_browser(fake: FakeStripe, setup: dict, card: str) -> dict:
    """Stripe.js's confirmCardSetup: the publishable key and the client secret, from the page."""
    form = {
        "key": PUBLISHABLE_KEY,
        "client_secret": setup["client_secret"],
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": card,
    }
    request = urllib.request.Request(  # noqa: S310 - the fake on 127.0.0.1
        f"{fake.base}/v1/setup_intents/{setup['setup_id']}/confirm", data=urlencode(form).encode()
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return dict(json.loads(answer.read()))


def test_a_member_saves_lists_and_removes_a_card_with_stripe(api_as, fake):
    member = api_as()
    setup = member.call("POST", f"{URL}/setup").json()
    confirmed = confirm_in_browser(fake, setup, "5555555555554444")
    [card] = member.call("GET", URL).json()["results"]
    removed = member.call("DELETE", f"{URL}/{card['id']}")
    customer = PaymentCustomer.objects.get(member=member.user)
    assert setup["provider"] == "stripe" and setup["setup_id"].startswith("seti_")
    assert confirmed["status"] == "succeeded" and confirmed["payment_method"] == card["id"]
    assert (card["brand"], card["last4"]) == ("mastercard", "4444") and card["id"].startswith("pm_")
    assert customer.provider == "stripe" and customer.external_id.startswith("cus_")
    assert (
        fake.seen("POST", "/v1/customers")[0].params["metadata[owner_reference]"]
        == f"member:{member.user.pk}"
    )
    assert removed.status_code == 204 and member.call("GET", URL).json()["results"] == []
    assert fake.objects[card["id"]]["customer"] is None


def test_with_stripe_a_card_of_another_customer_is_not_found_and_not_detached(api_as, fake):
    owner, stranger = api_as(), api_as()
    confirm_in_browser(fake, owner.call("POST", f"{URL}/setup").json(), "4242424242424242")
    [card] = owner.call("GET", URL).json()["results"]
    stranger.call("POST", f"{URL}/setup")
    refused = stranger.call("DELETE", f"{URL}/{card['id']}")
    assert refused.status_code == 404 and fake.seen("POST", f"/v1/payment_methods/{card['id']}/detach") == []
