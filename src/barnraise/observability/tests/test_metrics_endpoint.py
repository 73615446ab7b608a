"""/metrics, as a Prometheus scraper reads it: behind a bearer token, with the site's counts."""

import pytest
from huey.contrib.djhuey import HUEY
from huey.storage import MemoryStorage

from barnraise.commerce.tests.conftest import slot
from barnraise.conftest import TEST_CARD, after_commit
from barnraise.notifications.services import email_queue
from barnraise.observability.tests.conftest import METRICS_TOKEN, sample, scrape

pytestmark = pytest.mark.django_db


def test_without_the_token_the_metrics_are_refused(client):
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-metrics-token-at-all"})
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")
    assert b"barnraise_" not in wrong.content
    basic = client.get("/metrics", headers={"Authorization": f"Basic {METRICS_TOKEN}"})
    assert basic.status_code == 401


def test_with_no_token_configured_there_is_no_endpoint(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_with_the_token_it_answers_prometheus_text(client):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    for name in ("barnraise_timers_due", "barnraise_provider_calls_pending", "barnraise_queue_depth"):
        assert sample(response.content.decode(), name) is not None, name


def test_a_request_shows_in_its_routes_histogram_and_counter(client, api):
    # given the count for the listing search route so far
    route = "api/v1/listings"
    before = (
        sample(scrape(client), "barnraise_http_requests_total", method="GET", route=route, status="200") or 0
    )
    # when a visitor searches, and asks for a page that does not exist
    assert api.call("GET", "listings").status_code == 200
    assert api.call("GET", "no-such-thing").status_code == 404
    # then the route (its URL pattern, not the path) is counted, and timed
    text = scrape(client)
    assert (
        sample(text, "barnraise_http_requests_total", method="GET", route=route, status="200") == before + 1
    )
    assert sample(text, "barnraise_http_request_duration_seconds_count", method="GET", route=route) >= 1
    assert sample(text, "barnraise_http_requests_total", method="GET", route="api/v1/", status="404") >= 1
    assert "/api/v1/no-such-thing" not in text
    # and the database statements it ran were timed
    assert sample(text, "barnraise_db_query_duration_seconds_count", kind="orm") > 0


def test_deal_counters_follow_the_deals(client, customer, provider, listing):
    # given a marketplace where no booking has started yet
    room = listing()
    text = scrape(client)
    started = sample(text, "barnraise_deals_started_total", process="booking") or 0
    direct = sample(text, "barnraise_db_query_duration_seconds_count", kind="direct") or 0
    # when a customer books and pays
    start, end = slot()
    body = {"listing_id": str(room.public_id), "start": start, "end": end, "payment_method": TEST_CARD}
    created = after_commit(lambda: customer.call("POST", "transactions", json=body))
    assert created.status_code == 201, created.content
    # then one more booking has started, none has completed
    text = scrape(client)
    assert sample(text, "barnraise_deals_started_total", process="booking") == started + 1
    assert sample(text, "barnraise_deals_completed_total", process="booking") == 0
    # and the booking's hand-written statements (barnraise.db's fast path) were timed too
    assert sample(text, "barnraise_db_query_duration_seconds_count", kind="direct") > direct


def test_queue_depth_and_age_count_what_waits(client, monkeypatch):
    # given a queue that keeps what is enqueued (the tests run tasks at once otherwise)
    monkeypatch.setattr(HUEY, "storage", MemoryStorage("barnraise"))
    monkeypatch.setattr(HUEY, "_immediate", False)  # huey's flag; its setter would open the file
    assert sample(scrape(client), "barnraise_queue_depth") == 0
    # when an email is queued and committed, and no worker runs
    after_commit(lambda: email_queue(to="a@example.com", subject="Hello", text_body="Hi."))
    # then it waits in the queue, named by its task, with its age
    text = scrape(client)
    assert sample(text, "barnraise_queue_depth") == 1
    assert sample(text, "barnraise_queue_tasks", task="email_deliver") == 1
    assert sample(text, "barnraise_queue_oldest_age_seconds", task="email_deliver") >= 0
