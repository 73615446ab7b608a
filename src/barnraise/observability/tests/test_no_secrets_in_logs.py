"""No password, token, key, message body or card in the logs: a member's journey through the
API (sign up, confirm, log in, book and pay, message), with every line the site wrote kept
and searched."""

import logging
import re

import pytest
from django.conf import settings as django_settings
from django.core import mail

from barnraise.commerce.tests.conftest import slot
from barnraise.conftest import TEST_CARD, ApiClient, after_commit
from barnraise.ledger.tests.fixtures.stripe.fake import fake_stripe

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple-97"
MESSAGE = "The key is under the blue flowerpot by the shed"
SIGNUP = {"email": "grace@example.com", "password": PASSWORD, "name": "Grace Hopper"}


@pytest.fixture
def everything_logged():
    """Every level, as an operator chasing a problem might set LOG_LEVEL=DEBUG."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    yield
    root.setLevel(level)


@pytest.mark.parametrize("payments", ["sandbox", "stripe"])
def test_a_members_journey_leaves_no_secret_in_the_logs(
    payments, provider, listing, log_lines, everything_logged, settings
):
    card = TEST_CARD
    if payments == "stripe":
        stripe = fake_stripe(settings)
        stripe.__enter__()
        settings.PAYMENT_PROVIDER = "stripe"
        card = "pm_card_visa"
    try:
        api = ApiClient()
        # sign up, confirm the address with the key from the email, and log in for a token
        after_commit(lambda: api.call("POST", "auth/signup", json=SIGNUP))
        key = re.search(r"/accounts/confirm-email/(\S+)/", mail.outbox[-1].body).group(1)
        confirmed = api.call("POST", "auth/email/confirm", json={"key": key})
        assert confirmed.status_code == 200, confirmed.content
        login = {"email": SIGNUP["email"], "password": PASSWORD}
        token = api.call("POST", "auth/token", json=login).json()["token"]
        wrong = api.call("POST", "auth/token", json={**login, "password": PASSWORD + "x"})
        assert wrong.status_code in (401, 403)
        member = ApiClient(token=token)
        # book and pay with a card
        start, end = slot()
        body = {"listing_id": str(listing().public_id), "start": start, "end": end, "payment_method": card}
        booked = after_commit(lambda: member.call("POST", "transactions", json=body))
        assert booked.status_code == 201, booked.content
        # and write to the provider
        sent = after_commit(
            lambda: member.call(
                "POST", f"transactions/{booked.json()['id']}/messages", json={"body": MESSAGE}
            )
        )
        assert sent.status_code == 201, sent.content
        # a page with the token in its query string, as a careless client might send
        member.call("GET", "listings", data={"q": "bikes", "token": token})
    finally:
        if payments == "stripe":
            stripe.__exit__(None, None, None)
    # then the journey was logged (one line per request at least) and no secret is in it
    assert len(log_lines.records("request")) >= 7
    assert log_lines.records("provider_call")
    for secret in (PASSWORD, token, key, MESSAGE, card, django_settings.SECRET_KEY):
        assert secret not in log_lines.text, secret[:12]
    # nor the card's digits split up (a group of four standing alone, not inside a timestamp's
    # microseconds), or the message's words
    assert not re.search(r"(?<![\d.])4242(?!\d)", log_lines.text)
    assert "flowerpot" not in log_lines.text
