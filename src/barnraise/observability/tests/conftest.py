import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

# The deal fixtures (a provider who can be paid, a customer, a listing).
from barnraise.commerce.tests.conftest import cats, customer, listing, provider  # noqa: F401
from barnraise.observability import logs

METRICS_TOKEN = "test-metrics-token-0123456789abcdef"


class LogLines:
    """What the site logged while the test ran, as the JSON lines a deployment writes."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def records(self, event: str | None = None) -> list[dict[str, Any]]:
        found = [json.loads(line) for line in self.text.splitlines() if line.strip()]
        return [r for r in found if event is None or r.get("event") == event]


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    lines = LogLines()
    handler = logging.StreamHandler(lines.stream)
    handler.setFormatter(logs.formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lines
    finally:
        root.removeHandler(handler)


def scrape(client: Any, token: str = METRICS_TOKEN) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.content
    return response.content.decode()


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus's text format, or None if it is not there."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return None
