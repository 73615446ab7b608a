"""Fixed-window rate limits on the shared cache (Redis at scale, the database by default).

Scopes and their (requests, seconds) live in settings.API_RATE_LIMITS. Services call these for
limits that protect a resource whatever the caller (the API or a page); the API layer adds
per-IP limits of its own.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

from barnraise.errors import RateLimited


def _window(scope: str, key: str) -> tuple[str, int, int, float]:
    limit, window = settings.API_RATE_LIMITS[scope]
    now = time.time()
    index = int(now // window)
    # Keys are caller-supplied (an email, an IP): hashed, they are short and safe for any cache.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}:{index}", limit, window, (index + 1) * window - now


def rate_limit(scope: str, key: str) -> None:
    """Count one hit for `key`; raise RateLimited once the scope's limit is passed."""
    cache_key, limit, window, remaining = _window(scope, key)
    cache.add(cache_key, 0, timeout=window + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window + 1)
        count = 1
    if count > limit:
        raise RateLimited(retry_after=max(1, int(remaining) + 1))


def rate_limit_check(scope: str, key: str) -> None:
    """Raise RateLimited if `key` is already over the limit, without counting a hit."""
    cache_key, limit, _window_seconds, remaining = _window(scope, key)
    if int(cache.get(cache_key) or 0) >= limit:
        raise RateLimited(retry_after=max(1, int(remaining) + 1))
