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

    # then the pages were found in the URLconf, as the first login that gets HTML sees them
    pages = {row["page"]: row["as"] for row in payload["results"]}
    pages_seen = {
        "/": "anonymous",
        "search": "anonymous",
        "listings/<uuid:public_id>": "anonymous",
        "transactions/<uuid:transaction_id>": "customer",
        "wallet": "customer",
        "dashboard": "customer",
        "processes/<slug:name>": "anonymous",
        "console": "operator",
        "console/members/<uuid:member_id>": "operator",
        "console/deals/<uuid:deal_id>": "operator",
        "console/items/<str:kind>/<str:item_id>": "operator",
        "skills-tests": "anonymous",
    }
    for page, who in pages_seen.items():
        assert pages[page] == who, page
    assert not any(page.startswith(("admin", "api", "media")) for page in pages)
    # and what is not a page is listed with why: a form's target answers no HTML to a GET
    why = {row["route"]: row["why"] for row in payload["not_pages"]}
    assert "405" in why["transactions/<uuid:transaction_id>/step/"]
    assert all(row["ms"]["n"] == 2 and row["ms"]["p95"] > 0 for row in payload["results"])
    # (a whole page is more than a kilobyte; htmx's fragments, such as search/count, are less)
    assert all(row["bytes"] > 1000 for row in payload["results"] if row["page"] in pages_seen)
    fragments = {row["page"] for row in payload["results"] if row["fragment"]}
    assert "search/count" in fragments and not fragments & set(pages_seen)
    queries = {row["page"]: row["queries"] for row in payload["results"]}
    assert queries["dashboard"] > 0 and queries["processes"] == 0  # the processes are code, not rows
    assert payload["demo"]["seeded"]["deals_added"] > 0
    # and the JSON on disk is the payload, the table names each page, the goal is reported
    assert path.name.startswith(f"pages-{connection.vendor}-")
    assert json.loads(path.read_text()) == json.loads(json.dumps(payload, default=str))
    table = pages_bench.render(payload)
    assert "| dashboard" in table and "goal p95 ≤ 100 ms" in table
    assert payload["goal"]["slowest_p95_ms"] == max(r["ms"]["p95"] for r in payload["results"])
    assert any("Seeding the demo data" in line for line in said)
