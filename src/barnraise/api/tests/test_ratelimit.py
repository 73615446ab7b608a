"""Rate limits on sign-up and token exchange: 429 rate_limited with Retry-After."""

import time_machine

from barnraise.accounts.models import ApiToken, User


def signup(api, n: int, ip: str = "10.0.0.1"):
    payload = {"email": f"m{n}@example.com", "password": "a long enough secret 42", "name": "M"}
    return api.call("POST", "auth/signup", json=payload, REMOTE_ADDR=ip)


def assert_limited(response, window: int) -> None:
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert 1 <= error["details"]["retry_after"] <= window + 1
    assert response["Retry-After"] == str(error["details"]["retry_after"])


def test_signup_is_limited_per_ip(api, db, settings):
    # given
    settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, "signup:ip": (2, 60)}
    assert signup(api, 1).status_code == 202
    assert signup(api, 2).status_code == 202
    # when
    response = signup(api, 3)
    # then
    assert_limited(response, 60)
    assert User.objects.count() == 2
    assert signup(api, 4, ip="10.0.0.2").status_code == 202  # another address is not affected


def test_signup_limit_resets_after_the_window(api, db, settings):
    # given
    settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, "signup:ip": (1, 60)}
    with time_machine.travel(1_800_000_000, tick=False) as clock:
        assert signup(api, 1).status_code == 202
        assert signup(api, 2).status_code == 429
        # when
        clock.shift(61)
        response = signup(api, 3)
    # then
    assert response.status_code == 202


def test_a_spoofed_forwarded_for_does_not_escape_the_limit(api, db, settings):
    # given: no trusted proxy in front
    settings.NUM_PROXIES = 0
    settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, "signup:ip": (1, 60)}
    assert signup(api, 1).status_code == 202
    # when
    payload = {"email": "m2@example.com", "password": "a long enough secret 42", "name": "M"}
    response = api.call(
        "POST", "auth/signup", json=payload, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4"
    )
    # then
    assert_limited(response, 60)


def test_token_is_limited_per_ip(api, make_user, settings):
    # given
    settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, "token:ip": (2, 60)}
    for n in range(3):
        make_user(email=f"m{n}@example.com")
    ok = [
        api.call(
            "POST", "auth/token", json={"email": f"m{n}@example.com", "password": "correct horse battery"}
        )
        for n in range(2)
    ]
    assert [r.status_code for r in ok] == [200, 200]
    # when
    response = api.call(
        "POST", "auth/token", json={"email": "m2@example.com", "password": "correct horse battery"}
    )
    # then
    assert_limited(response, 60)
    assert ApiToken.objects.count() == 2


def test_past_the_per_account_ceiling_failing_addresses_wait_but_a_fresh_one_gets_in(
    api, make_user, settings
):
    # given: someone guessing one member's password from many addresses, past the ceiling
    settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, "login_failed:account": (3, 3600)}
    make_user(email="ada@example.com")
    for n in range(3):
        guess = api.call(
            "POST",
            "auth/token",
            json={"email": "ada@example.com", "password": f"guess {n}"},
            REMOTE_ADDR=f"10.0.1.{n}",
        )
        assert guess.status_code == 401
    # when: a guessing address tries again, even with the right password
    again = api.call(
        "POST",
        "auth/token",
        json={"email": "ADA@example.com ", "password": "correct horse battery"},
        REMOTE_ADDR="10.0.1.0",
    )
    # then it waits
    assert_limited(again, 3600)
    assert ApiToken.objects.count() == 0
    # when: the member, from an address that has not failed
    owner = api.call(
        "POST",
        "auth/token",
        json={"email": "ADA@example.com ", "password": "correct horse battery"},
        REMOTE_ADDR="10.0.2.1",
    )
    # then they get in
    assert owner.status_code == 200
    assert ApiToken.objects.count() == 1
