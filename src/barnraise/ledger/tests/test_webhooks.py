"""Provider webhooks through the HTTP API as Stripe sends them: verified, stored first, processed
once in the worker, retried by the sweeper. Events are signed here with Stripe's documented
scheme (`Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of "<t>.<body>">`)."""

import json
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from barnraise.ledger.models import ProviderWebhookEvent
from barnraise.ledger.providers.stripe import StripeProvider
from barnraise.ledger.tests.conftest import SECRET, deliver, dispute_event, signed
from barnraise.ledger.tests.fixtures.stripe.fake import fake_stripe
from barnraise.ledger.webhooks import (
    register_webhook_handler,
    unregister_webhook_handler,
    webhook_events_sweep,
)
from barnraise.money import Money

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def webhook_secret(settings) -> None:
    settings.STRIPE_WEBHOOK_SECRET = SECRET


@pytest.fixture
def handled() -> Iterator[list[ProviderWebhookEvent]]:
    seen: list[ProviderWebhookEvent] = []
    register_webhook_handler("charge.dispute.created", seen.append)
    yield seen
    unregister_webhook_handler("charge.dispute.created", seen.append)


def test_a_signed_event_is_stored_then_processed_after_commit(
    client, handled, django_capture_on_commit_callbacks
):
    # given a dispute event signed as Stripe signs it
    body = dispute_event()
    # when Stripe delivers it
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, body, signed(body))
    # then it is stored, and its handler ran once, in the worker
    assert response.status_code == 200 and response.json() == {"received": True, "duplicate": False}
    event = ProviderWebhookEvent.objects.get()
    assert (event.provider, event.event_id, event.type) == ("stripe", "evt_1", "charge.dispute.created")
    assert event.payload["data"]["object"]["charge"] == "ch_1"
    assert event.processed_at is not None and event.attempts == 1
    assert [e.event_id for e in handled] == ["evt_1"]


def test_a_redelivery_is_answered_200_and_not_processed_again(
    client, handled, django_capture_on_commit_callbacks
):
    body = dispute_event()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, body, signed(body))
    # when Stripe delivers the same event again (a retry after a timeout)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = deliver(client, body, signed(body))
    # then
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert callbacks == [] and len(handled) == 1 and ProviderWebhookEvent.objects.count() == 1


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "t=1,v1=deadbeef",
        "garbage",
        "other-secret",
        "stale",  # signed correctly, but 10 minutes ago: outside the 5-minute tolerance
    ],
)
def test_a_bad_signature_is_400_and_nothing_is_stored(client, handled, signature):
    body = dispute_event()
    if signature == "other-secret":
        signature = signed(body, secret="whsec_other")
    elif signature == "stale":
        signature = signed(body, at=int(time.time()) - 600)
    response = deliver(client, body, signature)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webhook_signature_invalid"
    assert not ProviderWebhookEvent.objects.exists() and handled == []


def test_a_changed_body_does_not_match_its_signature(client):
    body = dispute_event()
    tampered = body.replace(b'"amount": 5000', b'"amount": 1')
    response = deliver(client, tampered, signed(body))
    assert response.status_code == 400 and not ProviderWebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "body", [b'{"hello": "world"}', b"not json", b'{"id": "evt_1", "type": "x' + b"y" * 80 + b'"}']
)
def test_a_signed_body_that_is_not_an_event_is_400(client, body):
    response = deliver(client, body, signed(body))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webhook_payload_invalid"
    assert not ProviderWebhookEvent.objects.exists()


def test_a_provider_that_is_not_configured_is_404_naming_no_setting(client, settings):
    # given Stripe without its signing secret (the marketplace does not take Stripe's webhooks)
    settings.STRIPE_WEBHOOK_SECRET = ""
    body = dispute_event()
    # when
    response = deliver(client, body, signed(body))
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "SECRET" not in response.content.decode()
    assert not ProviderWebhookEvent.objects.exists()


@pytest.mark.parametrize("provider", ["sandbox", "paypal"])
def test_a_provider_without_webhooks_is_404(client, provider):
    body = dispute_event()
    response = client.post(
        f"/api/v1/webhooks/payments/{provider}", data=body, content_type="application/json"
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_no_token_csrf_or_idempotency_key_is_needed(handled, django_capture_on_commit_callbacks):
    # given a client that enforces CSRF, with no session and no bearer token
    client = Client(enforce_csrf_checks=True)
    body = dispute_event()
    # when delivered with an Idempotency-Key header (ignored: the event id is the key)
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, body, signed(body), HTTP_IDEMPOTENCY_KEY="abc")
    assert response.status_code == 200 and len(handled) == 1


def test_a_failing_handler_is_recorded_and_retried_by_the_sweeper(client, django_capture_on_commit_callbacks):
    # given a handler that fails once
    calls: list[str] = []

    def flaky(event: ProviderWebhookEvent) -> None:
        calls.append(event.event_id)
        if len(calls) == 1:
            raise RuntimeError("ledger busy")

    register_webhook_handler("charge.dispute.created", flaky)
    try:
        body = dispute_event()
        with django_capture_on_commit_callbacks(execute=True):
            response = deliver(client, body, signed(body))
        failed = ProviderWebhookEvent.objects.get()
        # when the sweeper runs: not before a minute has passed, then again
        assert webhook_events_sweep() == 0
        with time_machine.travel(timezone.now() + timedelta(minutes=2)):
            swept = webhook_events_sweep()
        # then
        done = ProviderWebhookEvent.objects.get()
        assert response.status_code == 200
        assert failed.processed_at is None and failed.attempts == 1 and "ledger busy" in failed.last_error
        assert swept == 1 and done.processed_at is not None and done.attempts == 2 and done.last_error == ""
        assert calls == ["evt_1", "evt_1"]
        # and a processed event is never swept again
        with time_machine.travel(timezone.now() + timedelta(minutes=5)):
            assert webhook_events_sweep() == 0
    finally:
        unregister_webhook_handler("charge.dispute.created", flaky)


def test_an_event_without_handlers_is_marked_processed(client, django_capture_on_commit_callbacks):
    event = json.loads(dispute_event("evt_2"))
    event["type"] = "payout.paid"
    body = json.dumps(event).encode()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, body, signed(body))
    assert ProviderWebhookEvent.objects.get().processed_at is not None


def test_the_fake_stripes_dispute_event_is_received(
    client, settings, handled, django_capture_on_commit_callbacks
):
    # given a capture on a card that Stripe's docs say opens a dispute
    with fake_stripe(settings) as fake:
        stripe_provider = StripeProvider(max_network_retries=0)
        amount = Money(5000, "EUR")
        auth = stripe_provider.authorize(
            amount=amount, payment_method="pm_card_createDispute", idempotency_key="a"
        )
        capture = stripe_provider.capture(authorization_id=auth.id, amount=amount, idempotency_key="c")
        [event] = [e for e in fake.events if e["type"] == "charge.dispute.created"]
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    body = json.dumps(event).encode()
    # when the event it would send arrives
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, body, signed(body))
    # then the handler gets the dispute for that capture
    assert response.status_code == 200
    assert [e.payload["data"]["object"]["charge"] for e in handled] == [capture.id]
