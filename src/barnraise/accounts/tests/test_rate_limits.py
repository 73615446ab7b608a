"""Account-level limits that hold whoever calls: the API or the pages."""

import pytest
from django.test import Client

from barnraise.errors import RateLimited


@pytest.mark.django_db
def test_failed_token_requests_stop_the_guessing_address_but_successes_do_not(api, make_user, settings):
    # given
    settings.API_RATE_LIMITS = {
        **settings.API_RATE_LIMITS,
        "login_failed:pair": (2, 300),
        "token:ip": (100, 60),
    }
    make_user(email="jo@example.com", password="right-password-1")
    good = {"email": "jo@example.com", "password": "right-password-1"}
    bad = {"email": "jo@example.com", "password": "wrong"}
    # when the member gets tokens many times, nothing stops them
    for _ in range(5):
        assert api.call("POST", "auth/token", json=good).status_code == 200
    # when someone guesses twice from one address
    assert api.call("POST", "auth/token", json=bad, REMOTE_ADDR="10.9.9.9").status_code == 401
    assert api.call("POST", "auth/token", json=bad, REMOTE_ADDR="10.9.9.9").status_code == 401
    # then that address waits a while, even with the right password
    locked = api.call("POST", "auth/token", json=good, REMOTE_ADDR="10.9.9.9")
    assert locked.status_code == 429
    assert locked.json()["error"]["details"]["retry_after"] > 0
    # and the member's own address is not affected
    assert api.call("POST", "auth/token", json=good).status_code == 200


@pytest.mark.django_db
def test_verification_resend_from_the_page_is_limited_too(
    make_user, settings, mailoutbox, django_capture_on_commit_callbacks
):
    # given an unverified member on the site
    from barnraise.accounts.services import user_email_verification_send

    settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, "verification:account": (2, 600)}
    user = make_user(verified=False)
    client = Client()
    client.force_login(user)
    # when they press "send the link again" repeatedly
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):
            client.post("/email/verify/")
    # then only two emails left
    assert len(mailoutbox) == 2
    with pytest.raises(RateLimited):
        user_email_verification_send(user=user)
