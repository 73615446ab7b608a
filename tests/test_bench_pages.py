"""`barnraise bench pages` runs end to end, tiny, on the test database (speed is never asserted)."""

import json
from pathlib import Path

import pytest
from django.db import connection

from barnraise.benchmarks import pages as pages_bench


@pytest.mark.django_db
def test_bench_pages_times_every_main_page_and_writes_json(tmp_path: Path) -> None:
    # given a tiny demo marketplace on the test database
    options = pages_bench.Options(requests=2, members=3, listings=8, output_dir=tmp_path, migrate=False)
    said: list[str] = []

    # when the bench runs
    payload, path = pages_bench.run(pages_bench.Target(connection.vendor, ""), options, said.append)

    # then every main page answered 200 (or the bench would have stopped) and was timed
    assert [row["page"] for row in payload["results"]] == [
        "home",
        "search: filters, near a place",
        "search: words, map area",
        "listing detail",
        "transaction page",
        "deals inbox",
        "messages",
        "wallet",
        "dashboard",
        "notifications",
        "processes",
        "console: queue",
        "console: member",
        "console: deal",
    ]
    assert all(row["ms"]["n"] == 2 and row["ms"]["p95"] > 0 for row in payload["results"])
    assert all(row["bytes"] > 1000 for row in payload["results"])
    queries = {row["page"]: row["queries"] for row in payload["results"]}
    assert queries["dashboard"] > 0 and queries["processes"] == 0  # the processes are code, not rows
    assert payload["demo"]["seeded"]["deals_added"] > 0
    # and the JSON on disk is the payload, the table names each page, the goal is reported
    assert path.name.startswith(f"pages-{connection.vendor}-")
    assert json.loads(path.read_text()) == json.loads(json.dumps(payload, default=str))
    table = pages_bench.render(payload)
    assert "| dashboard" in table and "goal p95 < 300 ms" in table
    assert payload["goal"]["slowest_p95_ms"] == max(r["ms"]["p95"] for r in payload["results"])
    assert any("Seeding the demo data" in line for line in said)
