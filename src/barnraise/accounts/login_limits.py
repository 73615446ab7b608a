"""Password attempts, limited so that guessing stops without letting anyone lock a member out.

Only failures count, three ways (scopes in settings.API_RATE_LIMITS):

- `login_failed:pair`, per account and client network: one guesser's budget on one account;
- `login_failed:address`, per client network across accounts: a guesser trying many accounts;
- `login_failed:account`, per account from everywhere: a slower, higher ceiling. Once it is
  passed, only the networks that have themselves failed on the account are turned away, so
  the member, from an address that has not failed, still gets in with the right password.

A client network is an IPv4 address or an IPv6 /64 (`ratelimits.address_network`). The API's
token exchange, the login page and the password checks of signed-in members share the counters.
"""

from django.conf import settings

from barnraise.errors import RateLimited
from barnraise.ratelimits import (
    address_network,
    rate_limit_check,
    rate_limit_count,
    rate_limit_hit,
    rate_limit_retry_after,
)


def _keys(email: str, ip: str) -> tuple[str, str, str]:
    account = email.strip().lower()
    network = address_network(ip)
    return account, network, f"{account}|{network}"


def login_attempt_check(*, email: str, ip: str) -> None:
    """Raise RateLimited if a password for `email` from `ip` may not be checked now."""
    account, network, pair = _keys(email, ip)
    rate_limit_check("login_failed:pair", pair)
    rate_limit_check("login_failed:address", network)
    ceiling, _window = settings.API_RATE_LIMITS["login_failed:account"]
    if rate_limit_count("login_failed:account", account) >= ceiling and rate_limit_count(
        "login_failed:pair", pair
    ):
        raise RateLimited(retry_after=rate_limit_retry_after("login_failed:account", account))


def login_attempt_failed(*, email: str, ip: str) -> None:
    """Count a wrong password for `email` from `ip`."""
    account, network, pair = _keys(email, ip)
    rate_limit_hit("login_failed:pair", pair)
    rate_limit_hit("login_failed:address", network)
    rate_limit_hit("login_failed:account", account)
