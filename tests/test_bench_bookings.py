"""`barnraise bench bookings` runs end to end (speed is measured, never asserted)."""

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_bench_bookings_runs_and_writes_json(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    result = subprocess.run(  # noqa: S603 - our own command
        [
            sys.executable,
            "-m",
            "barnraise.cli",
            "bench",
            "bookings",
            "--database",
            "sqlite",
            "--seconds",
            "1",
            "--processes",
            "2",
            "--output-dir",
            str(tmp_path / "out"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "double bookings: 0" in result.stdout
    (written,) = (tmp_path / "out").glob("bookings-sqlite-*.json")
    payload = json.loads(written.read_text())
    assert payload["double_bookings"] == 0 and payload["processes"] == 2
    assert [r["layer"] for r in payload["results"]] == [
        "engine (transaction_create)",
        "floor: the same booking by hand",
        "floor: the calendar only",
    ]
    assert all(row["booked"] > 0 for row in payload["results"])
