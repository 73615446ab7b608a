"""The FAKE Stripe API itself (fixtures/stripe/fake.py): its answers have the shape of Stripe's
published examples, and it serves what a browser page with Stripe.js and the server need:
publishable-key calls with the client secret, CORS, the fake 3-D Secure page, SetupIntents,
saved PaymentMethods, and signed webhook events. It is a fake: nothing here was compared with
Stripe itself."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from barnraise.ledger.models import ProviderWebhookEvent
from barnraise.ledger.providers.stripe import StripeProvider
from barnraise.ledger.tests.fixtures.stripe import shapes
from barnraise.ledger.tests.fixtures.stripe.fake import (
    PUBLISHABLE_KEY,
    SECRET_KEY,
    FakeStripe,
    fake_stripe,
    serving,
    shape,
    signature,
)
from barnraise.ledger.webhooks import WebhookSignatureInvalid
from barnraise.money import Money

SECRET = "whsec_fake_test"


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    with serving() as running:
        yield running


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def call(
    fake: FakeStripe,
    method: str,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    key: str = SECRET_KEY,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    """One HTTP request as a client would send it: a form body, the key as a bearer token."""
    data = urlencode(params or {}, doseq=True)
    url = f"{fake.base}{path}"
    if method == "GET" and data:
        url, body = f"{url}?{data}", None
    else:
        body = data.encode() if method != "OPTIONS" else None
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - the fake on 127.0.0.1
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as answer:
            status, raw, got = answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as failed:
        status, raw, got = failed.code, failed.read(), dict(failed.headers)
    is_json = got.get("Content-Type", "").startswith("application/json")
    return status, got, json.loads(raw) if is_json else raw.decode()


def customer(fake: FakeStripe) -> str:
    status, _, body = call(
        fake, "POST", "/v1/customers", {"email": "ada@example.com", "metadata[member]": "1"}
    )
    assert status == 200
    return str(body["id"])


def browser_confirm(fake: FakeStripe, intent: dict[str, Any], kind: str, **params: str) -> tuple[int, Any]:
    """What Stripe.js sends: the publishable key, the client secret, the card from the Element."""
    form = {"client_secret": intent["client_secret"], "payment_method_data[type]": "card", **params}
    status, headers, body = call(
        fake, "POST", f"/v1/{kind}/{intent['id']}/confirm", form, key=PUBLISHABLE_KEY
    )
    assert headers["Access-Control-Allow-Origin"] == "*"
    return status, body


def fake_3ds(fake: FakeStripe, url: str, button: str) -> tuple[int, str]:
    """The customer opens the fake 3-D Secure page and presses one of its buttons."""
    status, _, page = call(fake, "GET", url.removeprefix(fake.base), key="")
    assert status == 200 and "FAKE 3-D Secure" in page and f'id="fake-3ds-{button}"' in page
    split = urlsplit(url)
    query = parse_qs(split.query)
    status, headers, _ = call(fake, "POST", f"{split.path}/{button}?{urlencode(query, doseq=True)}", key="")
    return status, headers.get("Location", "")


# -- the shapes ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", shapes.resources())
def test_a_fresh_object_of_every_resource_has_the_shape_of_stripes_example(name):
    shapes.check(shape(name))
    if name != "event":  # the example event carries a plan, which the fake never serves
        shapes.check(shapes.example(name))


def test_the_check_names_an_extra_key_a_missing_key_a_wrong_type_and_a_null_that_is_not_allowed():
    intent = shape("payment_intent")
    intent["colour"] = "blue"  # not in Stripe's example
    del intent["amount_received"]
    intent["amount"] = "5000"  # a string where the example has a number
    intent["currency"] = None  # not nullable
    intent["customer"] = 12  # the example has null; the reference says a string (or a customer)
    intent["latest_charge"] = {**shape("charge"), "paid": "yes"}  # expanded, with a wrong type inside
    found = shapes.problems(intent)
    assert found == [
        "payment_intent.amount_received: missing (Stripe's example has it)",
        "payment_intent.amount: expected number as in Stripe's example, got string",
        "payment_intent.currency: null, but Stripe's example has string and it is not nullable",
        "payment_intent.customer: expected string or customer, got number",
        "charge.paid: expected boolean as in Stripe's example, got string",
        "payment_intent.colour: not in Stripe's example (an extra key)",
    ]


def test_the_check_reaches_list_items_envelopes_open_objects_and_the_error_body():
    charge = shape("charge")
    charge["refunds"]["data"] = [{**shape("refund"), "amount": None}]
    envelope = {"object": "list", "data": [{**shape("customer"), "extra": 1}], "has_more": False}
    intent = shape("payment_intent")
    intent["next_action"] = {"type": "redirect_to_url", "redirect_to_url": {"url": 5}}
    intent["last_payment_error"] = {"type": "card_error", "code": "x", "colour": "red"}
    assert shapes.problems(charge) == [
        "refund.amount: null, but Stripe's example has number and it is not nullable"
    ]
    assert shapes.problems(envelope) == [
        "list.url: missing",
        "list.url: expected string, got null",
        "customer.extra: not in Stripe's example (an extra key)",
    ]
    assert shapes.problems(intent) == [
        "payment_intent.last_payment_error.colour: not a documented key here",
        "payment_intent.next_action.redirect_to_url.url: expected string, got number",
    ]
    assert shapes.problems({"error": {"type": "card_error", "message": "No", "colour": 1}}) == [
        "error.colour: not a documented key here"
    ]
    assert shapes.problems({"error": {"message": "No"}}) == ["error.type: missing"]


def test_an_answer_of_the_wrong_shape_is_a_loud_failure_of_the_fake():
    with pytest.raises(shapes.ShapeMismatch, match=r"payment_intent\.colour"), serving() as fake:
        fake.answer_next("GET", "/v1/payment_intents/pi_1", 200, {**shape("payment_intent"), "colour": 1})
        status, _, body = call(fake, "GET", "/v1/payment_intents/pi_1")
        assert status == 500 and "FAKE STRIPE SHAPE MISMATCH" in body


def test_every_answer_of_a_whole_payment_and_payout_has_stripes_shape(fake):
    # Every JSON answer is checked by the fake before it is sent; this walks one of each.
    cus = customer(fake)
    _, _, intent = call(
        fake,
        "POST",
        "/v1/payment_intents",
        {"amount": 5000, "currency": "eur", "capture_method": "manual", "customer": cus},
    )
    status, body = browser_confirm(
        fake, intent, "payment_intents", **{"payment_method_data[card][token]": "tok_visa"}
    )
    assert status == 200 and body["status"] == "requires_capture"
    _, _, captured = call(
        fake, "POST", f"/v1/payment_intents/{intent['id']}/capture", {"expand[]": "latest_charge"}
    )
    charge = captured["latest_charge"]
    assert captured["status"] == "succeeded" and charge["captured"] is True
    status, _, refund = call(fake, "POST", "/v1/refunds", {"charge": charge["id"], "amount": 1000})
    _, _, account = call(fake, "POST", "/v1/accounts", {"type": "express"})
    fake.complete_onboarding(account["id"])
    _, _, transfer = call(
        fake, "POST", "/v1/transfers", {"amount": 4000, "currency": "eur", "destination": account["id"]}
    )
    _, _, payout = call(
        fake,
        "POST",
        "/v1/payouts",
        {"amount": 4000, "currency": "eur"},
        headers={"Stripe-Account": account["id"]},
    )
    _, _, events = call(fake, "GET", "/v1/events", {"limit": 100})
    assert status == 200 and refund["status"] == "succeeded"
    assert transfer["object"] == "transfer" and payout["object"] == "payout"
    assert [e["type"] for e in reversed(events["data"])] == [
        "payment_intent.amount_capturable_updated",
        "payment_intent.succeeded",
        "charge.refunded",
        "account.updated",
        "payout.paid",
    ]
    for served in [intent, body, captured, refund, account, transfer, payout, events, *events["data"]]:
        shapes.check(served)
    assert fake.shape_failures == []


# -- keys, client secrets, CORS ----------------------------------------------------------


def test_secret_key_endpoints_refuse_a_publishable_key_and_card_numbers_need_one(fake):
    status, _, body = call(fake, "POST", "/v1/customers", {}, key=PUBLISHABLE_KEY)
    assert status == 401 and "publishable API key" in body["error"]["message"]
    status, _, body = call(
        fake, "POST", "/v1/payment_methods", {"type": "card", "card[number]": "4242424242424242"}
    )
    assert status == 402 and "unsafe" in body["error"]["message"]
    status, _, method = call(
        fake,
        "POST",
        "/v1/payment_methods",
        {"type": "card", "card[number]": "4242424242424242"},
        key=PUBLISHABLE_KEY,
    )
    assert status == 200 and method["card"]["last4"] == "4242" and method["customer"] is None
    status, _, body = call(fake, "GET", "/v1/customers/cus_x", key="nope")
    assert status == 401


def test_a_publishable_key_reads_and_confirms_an_intent_only_with_its_client_secret(fake):
    _, _, intent = call(fake, "POST", "/v1/payment_intents", {"amount": 5000, "currency": "eur"})
    path = f"/v1/payment_intents/{intent['id']}"
    wrong = call(fake, "GET", path, {"client_secret": "pi_x_secret_y"}, key=PUBLISHABLE_KEY)
    right = call(fake, "GET", path, {"client_secret": intent["client_secret"]}, key=PUBLISHABLE_KEY)
    capture = call(
        fake, "POST", f"{path}/capture", {"client_secret": intent["client_secret"]}, key=PUBLISHABLE_KEY
    )
    assert wrong[0] == 400 and wrong[2]["error"]["param"] == "client_secret"
    assert right[0] == 200 and right[2]["status"] == "requires_payment_method"
    assert capture[0] == 401


def test_a_browser_on_another_origin_may_call_it(fake):
    status, headers, _ = call(
        fake,
        "OPTIONS",
        "/v1/payment_intents/pi_1/confirm",
        key="",
        headers={"Origin": "http://127.0.0.1:8000", "Access-Control-Request-Method": "POST"},
    )
    assert status == 204 and headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "Authorization" in headers["Access-Control-Allow-Headers"]


# -- 3-D Secure, declines ---------------------------------------------------------------


def test_a_card_that_needs_3d_secure_redirects_to_the_fake_page_then_back(fake):
    _, _, intent = call(
        fake, "POST", "/v1/payment_intents", {"amount": 5000, "currency": "eur", "capture_method": "manual"}
    )
    status, waiting = browser_confirm(
        fake,
        intent,
        "payment_intents",
        return_url="http://127.0.0.1:8000/pay/return?deal=7",
        **{"payment_method_data[card][number]": "4000002760003184"},
    )
    action = waiting["next_action"]
    assert status == 200 and waiting["status"] == "requires_action"
    assert action["type"] == "redirect_to_url"
    assert action["redirect_to_url"]["return_url"] == "http://127.0.0.1:8000/pay/return?deal=7"
    assert action["redirect_to_url"]["url"].startswith(f"{fake.base}/fake/3ds/{intent['id']}")
    status, location = fake_3ds(fake, action["redirect_to_url"]["url"], "complete")
    back = urlsplit(location)
    query = parse_qs(back.query)
    assert status == 303 and back.path == "/pay/return"
    assert query["deal"] == ["7"] and query["payment_intent"] == [intent["id"]]
    assert query["payment_intent_client_secret"] == [intent["client_secret"]]
    assert query["redirect_status"] == ["succeeded"]
    _, _, now = call(fake, "GET", f"/v1/payment_intents/{intent['id']}")
    assert now["status"] == "requires_capture" and now["next_action"] is None


def test_failing_3d_secure_leaves_the_intent_waiting_for_another_card(fake):
    _, _, intent = call(fake, "POST", "/v1/payment_intents", {"amount": 5000, "currency": "eur"})
    _, waiting = browser_confirm(
        fake,
        intent,
        "payment_intents",
        return_url="http://x.test/r",
        **{"payment_method_data[card][token]": "tok_threeDSecure2Required"},
    )
    status, location = fake_3ds(fake, waiting["next_action"]["redirect_to_url"]["url"], "fail")
    _, _, now = call(fake, "GET", f"/v1/payment_intents/{intent['id']}")
    assert status == 303 and parse_qs(urlsplit(location).query)["redirect_status"] == ["failed"]
    assert now["status"] == "requires_payment_method"
    assert now["last_payment_error"]["code"] == "payment_intent_authentication_failure"
    assert [e["type"] for e in fake.events] == ["payment_intent.payment_failed"]


def test_a_declined_card_in_the_browser_is_a_402_card_error_with_the_intent(fake):
    _, _, intent = call(fake, "POST", "/v1/payment_intents", {"amount": 5000, "currency": "eur"})
    status, body = browser_confirm(
        fake, intent, "payment_intents", **{"payment_method_data[card][number]": "4000000000009995"}
    )
    error = body["error"]
    assert status == 402 and error["type"] == "card_error" and error["decline_code"] == "insufficient_funds"
    assert error["payment_intent"]["status"] == "requires_payment_method"


# -- saving cards ------------------------------------------------------------------------


def test_a_card_saved_with_a_setup_intent_is_listed_charged_off_session_and_detached(fake):
    cus = customer(fake)
    _, _, setup = call(fake, "POST", "/v1/setup_intents", {"customer": cus, "usage": "off_session"})
    # a card that asks for 3-D Secure when it is set up, and never again off-session
    _, waiting = browser_confirm(
        fake,
        setup,
        "setup_intents",
        return_url="http://x.test/saved",
        **{"payment_method_data[card][number]": "4000002500003155"},
    )
    status, location = fake_3ds(fake, waiting["next_action"]["redirect_to_url"]["url"], "complete")
    assert status == 303 and parse_qs(urlsplit(location).query)["setup_intent"] == [setup["id"]]
    _, _, read = call(
        fake,
        "GET",
        f"/v1/setup_intents/{setup['id']}",
        {"client_secret": setup["client_secret"]},
        key=PUBLISHABLE_KEY,
    )
    _, _, listed = call(fake, "GET", "/v1/payment_methods", {"customer": cus, "type": "card"})
    [method] = listed["data"]
    assert read["status"] == "succeeded" and read["payment_method"] == method["id"]
    assert listed["object"] == "list" and method["customer"] == cus and method["card"]["last4"] == "3155"
    status, _, paid = call(
        fake,
        "POST",
        "/v1/payment_intents",
        {
            "amount": 2000,
            "currency": "eur",
            "customer": cus,
            "payment_method": method["id"],
            "off_session": "true",
            "confirm": "true",
            "capture_method": "manual",
        },
    )
    assert status == 200 and paid["status"] == "requires_capture"
    _, _, detached = call(fake, "POST", f"/v1/payment_methods/{method['id']}/detach")
    _, _, after = call(fake, "GET", f"/v1/customers/{cus}/payment_methods", {"type": "card"})
    assert detached["customer"] is None and after["data"] == []
    assert "setup_intent.succeeded" in [e["type"] for e in fake.events]


def test_a_card_that_always_authenticates_is_declined_off_session_with_authentication_required(fake):
    cus = customer(fake)
    _, _, method = call(
        fake, "POST", "/v1/payment_methods/pm_card_authenticationRequired/attach", {"customer": cus}
    )
    status, _, body = call(
        fake,
        "POST",
        "/v1/payment_intents",
        {
            "amount": 2000,
            "currency": "eur",
            "customer": cus,
            "payment_method": method["id"],
            "off_session": "true",
            "confirm": "true",
        },
    )
    error = body["error"]
    assert status == 402 and error["code"] == "authentication_required"
    assert error["payment_intent"]["status"] == "requires_payment_method"


def test_a_card_saved_while_paying_belongs_to_the_customer_afterwards(fake):
    cus = customer(fake)
    _, _, intent = call(
        fake,
        "POST",
        "/v1/payment_intents",
        {
            "amount": 5000,
            "currency": "eur",
            "customer": cus,
            "setup_future_usage": "off_session",
            "capture_method": "manual",
        },
    )
    status, body = browser_confirm(
        fake, intent, "payment_intents", **{"payment_method_data[card][token]": "tok_visa"}
    )
    _, _, listed = call(fake, "GET", "/v1/payment_methods", {"customer": cus, "type": "card"})
    assert status == 200 and [m["id"] for m in listed["data"]] == [body["payment_method"]]
    other = customer(fake)
    status, _, refused = call(
        fake,
        "POST",
        "/v1/payment_intents",
        {
            "amount": 100,
            "currency": "eur",
            "customer": other,
            "payment_method": body["payment_method"],
            "confirm": "true",
        },
    )
    assert status == 400 and refused["error"]["code"] == "payment_method_unexpected_state"


# -- webhooks, the runner ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_events_are_posted_signed_to_the_webhook_url_and_the_site_verifies_them(live_server, settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    url = f"{live_server.url}/api/v1/webhooks/payments/stripe"
    with serving(webhook_url=url, webhook_secret=SECRET) as fake:
        cus = customer(fake)
        _, _, intent = call(
            fake,
            "POST",
            "/v1/payment_intents",
            {
                "amount": 5000,
                "currency": "eur",
                "customer": cus,
                "payment_method": "pm_card_createDispute",
                "confirm": "true",
                "capture_method": "manual",
            },
        )
        call(fake, "POST", f"/v1/payment_intents/{intent['id']}/capture")
        fake.flush()
        sent = [e["id"] for e in fake.events]
        statuses = dict(fake.deliveries)
    stored = set(ProviderWebhookEvent.objects.values_list("event_id", flat=True))
    assert [statuses[e] for e in sent] == [200, 200, 200] and stored == set(sent)


def test_a_forged_signature_is_refused_by_the_site(fake, settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    event = shape("event")
    body = json.dumps(event).encode()
    good = StripeProvider().webhook_event(
        body=body, headers={"Stripe-Signature": signature(SECRET, body, int(time.time()))}
    )
    assert good.event_id == event["id"]
    with pytest.raises(WebhookSignatureInvalid):
        StripeProvider().webhook_event(
            body=body, headers={"Stripe-Signature": signature("whsec_other", body, int(time.time()))}
        )


def test_the_fake_runs_as_its_own_process():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "barnraise.ledger.tests.fixtures.stripe.fake", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "FAKE Stripe API (not Stripe) listening on http://127.0.0.1:" in line
        base = line.rsplit(" ", 1)[1].strip()
        request = urllib.request.Request(  # noqa: S310
            f"{base}/v1/customers",
            data=b"email=a%40b.test",
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            assert json.loads(answer.read())["email"] == "a@b.test"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


@pytest.mark.django_db(transaction=True)
def test_the_account_updated_event_it_sends_makes_the_payout_account_ready(live_server, settings, api_as):
    # given a member's payout account at the fake, which sends its events to the site
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    url = f"{live_server.url}/api/v1/webhooks/payments/stripe"
    with fake_stripe(settings, webhook_url=url, webhook_secret=SECRET) as fake:
        settings.PAYMENT_PROVIDER = "stripe"
        member = api_as()
        opened = member.call("POST", "me/payout-account").json()
        [account] = [o for o in fake.objects.values() if o["object"] == "account"]
        # when the owner finishes onboarding at "Stripe"
        fake.complete_onboarding(account["id"])
        fake.flush()
        delivered = list(fake.deliveries)
    # then the signed account.updated event made it ready
    shown = member.call("GET", "me/payout-account").json()
    assert opened["ready"] is False and shown["ready"] is True
    assert [status for _id, status in delivered] == [200]


def test_the_adapter_sees_an_authorization_once_the_customer_passed_3d_secure(settings):
    with fake_stripe(settings) as fake:
        stripe_provider = StripeProvider(max_network_retries=0)
        amount = Money(5000, "EUR")
        waiting = stripe_provider.authorize(
            amount=amount, payment_method="pm_card_authenticationRequired", idempotency_key="a"
        )
        status, _location = fake_3ds(fake, waiting.action_url, "complete")
        read = stripe_provider.authorization_get(authorization_id=waiting.id)
        capture = stripe_provider.capture(authorization_id=waiting.id, amount=amount, idempotency_key="c")
    assert waiting.status == "requires_action" and waiting.action_url.startswith(f"{fake.base}/fake/3ds/")
    assert status == 200  # no return_url was given: the page says it is done
    assert read.status == "authorized" and read.expires_at is not None and capture.status == "captured"
