"""`barnraise bench search` runs end to end: data set, three layers, JSON. No speed is asserted."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from barnraise.benchmarks.search import LAYERS, QUERY_TYPES


@pytest.mark.slow
def test_bench_search_writes_every_query_type_in_every_layer(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    environ.pop("REDIS_URL", None)
    command = [
        sys.executable,
        "-m",
        "barnraise.cli",
        "bench",
        "search",
        "--listings",
        "2000",
        "--queries",
        "3",
    ]
    result = subprocess.run(  # noqa: S603 - our own command
        command, cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "var" / "bench" / "search-2000-1.sqlite3").exists()
    files = list((tmp_path / "bench" / "results").glob("search-sqlite-2000-*.json"))
    assert len(files) == 1
    payload = json.loads(files[0].read_text())
    for layer in LAYERS:
        assert set(payload["results_ms"][layer]) == set(QUERY_TYPES)
        for stats in payload["results_ms"][layer].values():
            assert stats["n"] == 3
            assert 0 < stats["p50"] <= stats["p99"]
    assert payload["rows_returned"]["service"]["text_common"] > 0

    # a second run reuses the cached data set, and loads the server with wrk: the search mix
    # and the health-check floor, once per number of server threads asked for
    wrk = ["--wrk", "--wrk-seconds", "1", "--server-threads", "1,2"]
    again = subprocess.run(  # noqa: S603 - our own command
        [*command, *wrk], cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert "(cached)" in again.stdout
    newest = max((tmp_path / "bench" / "results").glob("search-sqlite-2000-*.json"))
    runs = json.loads(newest.read_text())["wrk"]
    assert [(r["load"], r["threads"]) for r in runs] == [
        ("search mix", 1),
        ("health check (floor)", 1),
        ("search mix", 2),
        ("health check (floor)", 2),
    ]
    assert all(r["requests_per_second"] > 0 and r["non_2xx"] == 0 for r in runs)
    assert "2 × 2" in again.stdout

    # and a garbled thread count is refused before any work
    bad = subprocess.run(  # noqa: S603 - our own command
        [*command, "--server-threads", "two"], cwd=tmp_path, env=environ, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "--server-threads" in bad.stderr
