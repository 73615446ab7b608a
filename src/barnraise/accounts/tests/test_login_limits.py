"""Wrong passwords stop the guesser, never the member: the API's token exchange and the login page."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from barnraise.accounts.models import ApiToken
from barnraise.conftest import ApiClient

RIGHT = "correct horse battery"
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"


def token(api, password: str, ip: str, email: str = "ada@example.com"):
    return api.call("POST", "auth/token", json={"email": email, "password": password}, REMOTE_ADDR=ip)


def page_login(password: str, ip: str, email: str = "ada@example.com"):
    return Client(REMOTE_ADDR=ip).post("/accounts/login/", {"login": email, "password": password})


def test_an_attacker_failing_on_the_api_cannot_lock_the_owner_out(api, make_user):
    # given
    make_user(email="ada@example.com")
    # when someone guesses 12 times from one address
    guesses = [token(api, f"guess {n}", ATTACKER).status_code for n in range(12)]
    # then the guesser is stopped after 10, even with the right password
    assert guesses == [401] * 10 + [429] * 2
    assert token(api, RIGHT, ATTACKER).status_code == 429
    # and the owner, from their own address, gets in at once
    assert token(api, RIGHT, OWNER).status_code == 200
    assert ApiToken.objects.count() == 1


def test_an_attacker_failing_on_the_login_page_cannot_lock_the_owner_out(make_user):
    # given
    make_user(email="ada@example.com")
    # when someone guesses 12 times on the page from one address
    for n in range(12):
        assert page_login(f"guess {n}", ATTACKER).status_code == 200  # the form again
    # then the guesser is refused even with the right password
    refused = page_login(RIGHT, ATTACKER)
    assert refused.status_code == 200
    assert "Too many failed login attempts" in refused.content.decode()
    # and the owner, from their own address, is let in
    owned = page_login(RIGHT, OWNER)
    assert owned.status_code == 302
    assert owned["Location"] == "/"


def test_the_page_and_the_api_share_the_guessers_budget(api, make_user):
    # given
    make_user(email="ada@example.com")
    # when someone alternates between the page and the API
    for n in range(5):
        page_login(f"page guess {n}", ATTACKER)
        token(api, f"api guess {n}", ATTACKER)
    # then both are closed to them
    assert token(api, RIGHT, ATTACKER).status_code == 429
    assert "Too many failed login attempts" in page_login(RIGHT, ATTACKER).content.decode()
    assert token(api, RIGHT, OWNER).status_code == 200


@pytest.mark.parametrize(
    ("neighbour", "limited"),
    [("2001:db8:aa:bb::99", True), ("2001:db8:aa:bb:ffff:1:2:3", True), ("2001:db8:aa:cc::1", False)],
)
def test_an_ipv6_client_is_limited_by_its_64(api, make_user, neighbour, limited):
    # given a guesser who used up their budget from one address of a /64
    make_user(email="ada@example.com")
    for n in range(10):
        assert token(api, f"guess {n}", "2001:db8:aa:bb::1").status_code == 401
    # when they move to another address
    response = token(api, RIGHT, neighbour)
    # then the same /64 is still limited, another is not
    assert (response.status_code == 429) is limited


def test_one_address_guessing_many_accounts_is_stopped(api, make_user, settings):
    # given
    settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, "login_failed:address": (4, 300)}
    for n in range(3):
        make_user(email=f"m{n}@example.com")
    # when one address tries two passwords on each account
    codes = [
        token(api, f"guess {k}", ATTACKER, email=f"m{n}@example.com").status_code
        for n in range(3)
        for k in range(2)
    ]
    # then it is stopped across accounts, and the members are not
    assert codes == [401] * 4 + [429] * 2
    assert token(api, RIGHT, ATTACKER, email="m2@example.com").status_code == 429
    assert all(token(api, RIGHT, OWNER, email=f"m{n}@example.com").status_code == 200 for n in range(3))


@pytest.mark.django_db(transaction=True)
def test_while_an_attacker_hammers_from_several_threads_the_owner_keeps_getting_in(make_user):
    # given
    make_user(email="ada@example.com")

    def attack(worker: int) -> list[int]:
        api = ApiClient()
        try:
            return [token(api, f"guess {worker}-{n}", ATTACKER).status_code for n in range(8)]
        finally:
            connection.close()

    # when three threads guess at once while the owner signs in on the API and the page
    with ThreadPoolExecutor(max_workers=3) as pool:
        attacks = [pool.submit(attack, worker) for worker in range(3)]
        owner = [token(ApiClient(), RIGHT, OWNER).status_code for _ in range(3)]
        owner.append(page_login(RIGHT, OWNER).status_code)
        codes = [code for future in attacks for code in future.result()]
    # then the guesses were cut off after the pair's budget, and the owner was never refused
    assert owner == [200, 200, 200, 302]
    assert codes.count(401) <= 10 + 2  # a few may pass the check together before the count
    assert codes.count(429) >= 12
    assert token(ApiClient(), RIGHT, ATTACKER).status_code == 429
    assert token(ApiClient(), RIGHT, OWNER).status_code == 200
