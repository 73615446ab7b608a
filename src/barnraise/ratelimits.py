"""Fixed-window rate limits on the shared cache (Redis at scale, the database by default).

Scopes and their (requests, seconds) live in settings.API_RATE_LIMITS. Services call these for
limits that protect a resource whatever the caller (the API or a page); the API layer adds
per-IP limits of its own. Key a limit on `address_network(ip)` rather than the raw address: an
IPv6 client holds a whole /64, and would otherwise get a fresh budget per address.
"""

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import cache

from barnraise.errors import RateLimited


def address_network(ip: str) -> str:
    """The unit a client's address is limited by: an IPv4 address, or an IPv6 address's /64."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def _window(scope: str, key: str) -> tuple[str, int, int, float]:
    limit, window = settings.API_RATE_LIMITS[scope]
    now = time.time()
    index = int(now // window)
    # Keys are caller-supplied (an email, an IP): hashed, they are short and safe for any cache.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}:{index}", limit, window, (index + 1) * window - now


def _retry_after(remaining: float) -> int:
    return max(1, int(remaining) + 1)


def rate_limit_hit(scope: str, key: str) -> int:
    """Count one hit for `key` in the scope's current window; return the count so far."""
    cache_key, _limit, window, _remaining = _window(scope, key)
    cache.add(cache_key, 0, timeout=window + 1)
    try:
        return int(cache.incr(cache_key))
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window + 1)
        return 1


def rate_limit(scope: str, key: str) -> None:
    """Count one hit for `key`; raise RateLimited once the scope's limit is passed."""
    count = rate_limit_hit(scope, key)
    _cache_key, limit, _window_seconds, remaining = _window(scope, key)
    if count > limit:
        raise RateLimited(retry_after=_retry_after(remaining))


def rate_limit_count(scope: str, key: str) -> int:
    """How many hits `key` has in the scope's current window, without counting one."""
    cache_key, _limit, _window_seconds, _remaining = _window(scope, key)
    return int(cache.get(cache_key) or 0)


def rate_limit_check(scope: str, key: str) -> None:
    """Raise RateLimited if `key` is already over the limit, without counting a hit."""
    _cache_key, limit, _window_seconds, remaining = _window(scope, key)
    if rate_limit_count(scope, key) >= limit:
        raise RateLimited(retry_after=_retry_after(remaining))


def rate_limit_retry_after(scope: str, key: str) -> int:
    """Seconds until the scope's current window for `key` ends."""
    _cache_key, _limit, _window_seconds, remaining = _window(scope, key)
    return _retry_after(remaining)
