"""`barnraise bench search`: a cached data set of N listings and a fixed query mix, timed in
three layers in one run.

- sql: exactly the statement barnraise.search.backends.base.build produces, on the raw DB-API
  cursor (no Django in between): the floor.
- service: search.query.parse + search.selectors.listing_summaries_search (what
  GET /api/v1/listings calls), result summaries loaded.
- http: real HTTP to gunicorn (2 gthread workers, as `barnraise serve`) over one keep-alive
  connection; with --wrk also wrk -t2 -c32 rotating through the same mix.

The data set lives in its own database per (N, seed, vendor): var/bench/search-N-S.sqlite3 or
the PostgreSQL database barnraise_bench_N_S. The caller points DATABASE_URL at it before Django
starts (see database_url); a table bench_meta marks a finished load, so a rerun reuses it.
"""

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings

from barnraise.benchmarks import report
from barnraise.benchmarks.search_data import (
    CITIES,
    COMMON_TERMS,
    LAYERS,
    QUERY_TYPES,
    Target,
    rare_terms,
)
from barnraise.benchmarks.search_load import (
    _document_frequency,
    load,
    read_meta,
)

# ---------------------------------------------------------------------------------------------
# The query mix


def _next_window(zone: str) -> tuple[datetime, datetime]:
    """Next week's Tuesday 10:00-12:00 local time: inside the weekday plans, ahead of notice."""
    tz = ZoneInfo(zone)
    today = datetime.now(tz).date() + timedelta(days=3)
    day = today + timedelta(days=(1 - today.weekday()) % 7)
    start = datetime.combine(day, dtime(10), tzinfo=tz)
    return start, start + timedelta(hours=2)


def query_mix() -> dict[str, list[dict[str, str]]]:
    """Each query type with a few variants; runs rotate through them."""
    usd_cities = [c for c in CITIES if c[4] == "USD"][:3]
    start, end = _next_window("America/New_York")

    def at(city: tuple[Any, ...], radius: str) -> dict[str, str]:
        return {"lat": f"{city[1] + 0.01:.4f}", "lng": f"{city[2] - 0.01:.4f}", "radius_km": radius}

    return {
        "text_common": [{"q": term} for term in COMMON_TERMS],
        "text_rare": [{"q": term} for term in rare_terms()],
        "geo": [at(city, "10") for city in CITIES[:3]],
        "geo_text": [
            {**at(city, "25"), "q": term} for city, term in zip(CITIES[:3], COMMON_TERMS, strict=True)
        ],
        "geo_price_window": [
            {
                **at(city, "25"),
                "currency": "USD",
                "min_price": "1000",
                "max_price": "6000",
                "start": start.isoformat(),
                "end": end.isoformat(),
            }
            for city in usd_cities
        ],
        "attr_category": [
            {"category": "bikes", "attr.frame_size": "M"},
            {"category": "equipment", "attr.power": "electric"},
            {"category": "rooms", "attr.wifi": "true"},
        ],
    }


def _path(params: dict[str, str]) -> str:
    return "/api/v1/listings?" + urlencode(params)


# ---------------------------------------------------------------------------------------------
# Timing


@dataclass
class Run:
    runs: int
    warmup: int = 2
    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # rows returned, first variant


def _time(run: Run, layer: str, mix: dict[str, list[Any]], call: Callable[[Any], int]) -> None:
    for qtype, variants in mix.items():
        for variant in variants:
            for _ in range(run.warmup):
                call(variant)
        samples: list[float] = []
        for i in range(run.runs):
            variant = variants[i % len(variants)]
            begin = time.perf_counter_ns()
            rows = call(variant)
            samples.append((time.perf_counter_ns() - begin) / 1e6)
            if i == 0:
                run.counts.setdefault(layer, {})[qtype] = rows
        run.samples.setdefault(layer, {})[qtype] = samples


def time_sql(run: Run, mix: dict[str, list[dict[str, str]]]) -> None:
    from django.db import connection

    from barnraise.search.backends import dialect
    from barnraise.search.backends.base import build
    from barnraise.search.query import parse
    from barnraise.search.selectors import first_batch, id_floors, prefix_attempts

    connection.ensure_connection()
    raw = connection.connection
    built: dict[str, list[tuple[str, list[Any]]]] = {}
    for qtype, variants in mix.items():
        built[qtype] = []
        for params in variants:
            query = parse(params)
            with connection.cursor() as django_cursor:  # the service's first statement
                floor = next(id_floors(query, dialect(), django_cursor))
            prefix = prefix_attempts(query, dialect())[0]
            b = build(query, dialect(), first_batch(query), id_floor=floor, prefix=prefix)
            built[qtype].append((b.sql, b.params))
    if connection.vendor == "sqlite":
        cursor = raw.cursor()

        def call(item: tuple[str, list[Any]]) -> int:
            cursor.execute(item[0].replace("%s", "?"), item[1])
            return len(cursor.fetchall())

    else:
        import psycopg

        # Django runs psycopg 3 with client-side binding; so does the floor.
        cursor = psycopg.ClientCursor(raw)

        def call(item: tuple[str, list[Any]]) -> int:
            cursor.execute(item[0], item[1])
            return len(cursor.fetchall())

    _time(run, "sql", built, call)
    if connection.vendor == "postgresql":
        raw.rollback()


def time_service(run: Run, mix: dict[str, list[dict[str, str]]]) -> None:
    from barnraise.search.query import parse
    from barnraise.search.selectors import listing_summaries_search

    def call(params: dict[str, str]) -> int:
        results = listing_summaries_search(parse(params))
        return len(results.hits)

    _time(run, "service", mix, call)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """gunicorn on a free localhost port, with the worker settings of `barnraise serve` unless
    told another number of threads per worker."""

    def __init__(self, workers: int = 2, threads: int | None = None):
        self.port = free_port()
        self.workers = workers
        self.threads: int = threads or settings.SERVE_THREADS
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()

    def __enter__(self) -> "Server":
        args = [
            sys.executable,
            "-m",
            "gunicorn",
            "barnraise.config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(self.threads),
        ]
        self.process = subprocess.Popen(args, env=dict(os.environ), stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/listings?limit=1")
                if conn.getresponse().status == 200:
                    conn.close()
                    return self
            except OSError:
                time.sleep(0.2)
        text = self._log_text()
        self.stop()
        raise RuntimeError(f"gunicorn did not start:\n{text}")

    def _log_text(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def time_http(run: Run, mix: dict[str, list[dict[str, str]]], port: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(params: dict[str, str]) -> int:
        conn.request("GET", _path(params), headers={"Connection": "keep-alive"})
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status} for {params}: {body[:300]!r}")
        return len(json.loads(body)["results"])

    try:
        _time(run, "http", mix, call)
    finally:
        conn.close()


WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
"""


HEALTH_PATH = "/api/v1/health"  # the floor under wrk: the whole stack, one `SELECT 1`


def run_wrk(mix: dict[str, list[dict[str, str]]] | None, port: int, seconds: int) -> dict[str, Any]:
    """wrk -t2 -c32 rotating through the mix's URLs (or, without a mix, the health check)."""
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    paths = [_path(params) for variants in mix.values() for params in variants] if mix else [HEALTH_PATH]
    lua = WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        command = [binary, "-t2", "-c32", f"-d{seconds}s", "--latency", "-s", script.name]
        output = subprocess.run(
            [*command, f"http://127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    return parse_wrk(output) | {"command": " ".join(command[1:]), "urls": len(paths)}


def parse_wrk(output: str) -> dict[str, Any]:
    def number(pattern: str) -> float | None:
        match = re.search(pattern, output)
        return float(match.group(1)) if match else None

    def millis(label: str) -> float | None:
        match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        if not match:
            return None
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
        return round(float(match.group(1)) * scale, 2)

    return {
        "requests_per_second": number(r"Requests/sec:\s+([\d.]+)"),
        "latency_p50_ms": millis("50%"),
        "latency_p99_ms": millis("99%"),
        "non_2xx": int(number(r"Non-2xx or 3xx responses:\s+(\d+)") or 0),
        "errors": "Socket errors" in output,
        "raw": output.strip().splitlines(),
    }


# ---------------------------------------------------------------------------------------------
# The command


@dataclass
class Options:
    listings: int
    seed: int
    vendor: str
    queries: int
    wrk: bool = False
    wrk_seconds: int = 15
    # gthread threads per worker, one wrk run each; none: the SERVE_THREADS setting
    server_threads: tuple[int, ...] = ()
    output_dir: Path = Path("bench/results")
    layers: tuple[str, ...] = LAYERS
    progress: bool = True


def run(
    t: Target, options: Options, reused: bool, echo: Callable[[str], None]
) -> tuple[dict[str, Any], Path]:
    """Load (unless reused) and time. Django must already be set up on t.url."""
    from django.db import connection

    if reused:  # the code may have gained migrations since the load
        from django.core.management import call_command

        call_command("migrate", "--no-input", "--verbosity", "0")
    meta = read_meta() if reused else load(t, options.progress)
    how = "cached" if reused else f"loaded in {meta['load_seconds']}s + indexes {meta['index_seconds']}s"
    echo(f"data set: {options.listings} listings, seed {options.seed}, {t.vendor} ({how})")
    from django.db import connection as conn

    conn.ensure_connection()
    terms = {
        term: _document_frequency(t.vendor, conn.connection, term) for term in [*COMMON_TERMS, *rare_terms()]
    }
    meta["term_share"] = {k: round(v / max(t.listings, 1), 5) for k, v in terms.items()}
    echo("term shares: " + ", ".join(f"{k} {v:.3%}" for k, v in meta["term_share"].items()))
    mix = query_mix()
    bench = Run(runs=options.queries)
    if "sql" in options.layers:
        echo("timing: bare SQL…")
        time_sql(bench, mix)
    if "service" in options.layers:
        echo("timing: service layer…")
        time_service(bench, mix)
    connection.close()  # the server's workers get their own connections
    wrk_results: list[dict[str, Any]] = []
    if "http" in options.layers:
        with Server(workers=2) as server:
            echo(f"timing: HTTP (gunicorn, 2 workers, port {server.port})…")
            time_http(bench, mix, server.port)
    if options.wrk:
        for threads in options.server_threads or (settings.SERVE_THREADS,):
            with Server(workers=2, threads=threads) as server:
                for name, urls in (("search mix", mix), ("health check (floor)", None)):
                    echo(
                        f"load: wrk -t2 -c32 -d{options.wrk_seconds}s, {name}, 2 workers × {threads} threads…"
                    )
                    found = run_wrk(urls, server.port, options.wrk_seconds)
                    wrk_results.append({"load": name, "workers": 2, "threads": threads, **found})
    results = {
        layer: {qtype: report.summary(samples) for qtype, samples in by_type.items()}
        for layer, by_type in bench.samples.items()
    }
    payload = {
        "benchmark": "search",
        "vendor": t.vendor,
        "database_version": _database_version(),
        "listings": options.listings,
        "seed": options.seed,
        "queries_per_type": options.queries,
        "started_at": datetime.now(UTC).isoformat(),
        "machine": report.machine(),
        "data_set": meta,
        "query_mix": mix,
        "rows_returned": bench.counts,
        "results_ms": results,
        "wrk": wrk_results,
    }
    path = report.write_json(options.output_dir, f"search-{t.vendor}-{options.listings}", payload)
    return payload, path


def _database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        return f"{connection.vendor} {cursor.fetchone()[0]}"


def render(payload: dict[str, Any]) -> str:
    results = payload["results_ms"]
    layers = [layer for layer in LAYERS if layer in results]
    headers = ["query", "rows"]
    for layer in layers:
        headers += [f"{layer} p50", f"{layer} p95", f"{layer} p99"]
    if "service" in results and "http" in results:
        headers.append("http-service p50")
    rows: list[list[Any]] = []
    for qtype in QUERY_TYPES:
        row: list[Any] = [
            qtype,
            payload["rows_returned"].get("service", payload["rows_returned"].get("sql", {})).get(qtype, ""),
        ]
        for layer in layers:
            stats = results[layer].get(qtype, {})
            row += [stats.get("p50", ""), stats.get("p95", ""), stats.get("p99", "")]
        if "service" in results and "http" in results:
            row.append(results["http"][qtype]["p50"] - results["service"][qtype]["p50"])
        rows.append(row)
    lines = [
        f"search benchmark: {payload['listings']} listings, {payload['database_version']}, "
        f"{payload['queries_per_type']} runs per query type (ms)",
        report.table(headers, rows),
    ]
    if payload.get("wrk"):
        lines += ["", "wrk -t2 -c32, gunicorn gthread:"]
        lines.append(
            report.table(
                ["load", "workers × threads", "req/s", "p50 ms", "p99 ms", "non-2xx"],
                [
                    [
                        w["load"],
                        f"{w['workers']} × {w['threads']}",
                        w["requests_per_second"],
                        w["latency_p50_ms"],
                        w["latency_p99_ms"],
                        w["non_2xx"],
                    ]
                    for w in payload["wrk"]
                ],
            )
        )
    return "\n".join(lines)
