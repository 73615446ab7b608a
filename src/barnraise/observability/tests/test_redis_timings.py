"""Redis commands of the cache and the queue, timed and read from /metrics.

Against the Redis of this machine (127.0.0.1:6379), in a database of its own (14), configured
as the settings configure it when REDIS_URL and METRICS_TOKEN are set."""

from collections.abc import Iterator

import pytest
import redis
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage

from barnraise.observability import redis_timing
from barnraise.observability.tests.conftest import sample, scrape

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/14"
HISTOGRAM = "barnraise_redis_command_duration_seconds"


@pytest.fixture
def on_redis(settings, monkeypatch) -> Iterator[None]:
    settings.REDIS_URL = REDIS_URL
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": redis_timing.cache_options(REDIS_URL),
        }
    }
    storage = RedisStorage("barnraise-redis-timings", **redis_timing.queue_connection(REDIS_URL))
    monkeypatch.setattr(HUEY, "storage", storage)
    monkeypatch.setattr(HUEY, "_immediate", False)  # huey's flag; its setter would swap the storage
    yield
    redis.Redis.from_url(REDIS_URL).flushdb()


def count(text: str, client: str, command: str) -> float:
    return sample(text, f"{HISTOGRAM}_count", client=client, command=command) or 0


def test_cache_and_queue_commands_are_timed_per_command(client, api, on_redis):
    # given the counts so far
    before = scrape(client)
    counts = count(before, "cache", "INCRBY"), count(before, "queue", "LLEN")
    # when someone tries a wrong password (counted by the rate limits, in the cache) and the
    # metrics are scraped (which reads the queue's length from Redis, shown at the next scrape)
    body = {"email": "nobody@example.com", "password": "not-the-password-1", "name": "Nobody"}
    assert api.call("POST", "auth/token", json=body).status_code == 401
    scrape(client)
    # then the cache's INCRBY and the queue's LLEN were timed, by client and command
    text = scrape(client)
    assert count(text, "cache", "INCRBY") > counts[0]
    assert count(text, "queue", "LLEN") > counts[1]
    assert sample(text, f"{HISTOGRAM}_sum", client="cache", command="INCRBY") > 0
    assert sample(text, f"{HISTOGRAM}_bucket", client="cache", command="INCRBY", le="+Inf") == count(
        text, "cache", "INCRBY"
    )


def test_a_command_that_fails_is_timed_and_leaves_nothing_pending(client, on_redis):
    # given the cache's client on the timed connections
    from django.core.cache import cache

    before = scrape(client)
    incrs, gets = count(before, "cache", "INCRBY"), count(before, "cache", "GET")
    # when an increment fails on the server (the value is not a number)
    cache.set("not-a-number", "text")
    with pytest.raises(redis.ResponseError):
        cache.incr("not-a-number")
    # then it was timed once, and the next command is timed as itself
    assert cache.get("not-a-number") == "text"
    text = scrape(client)
    assert count(text, "cache", "INCRBY") == incrs + 1
    assert count(text, "cache", "GET") == gets + 1
