"""`barnraise serve` as deployed, with two gunicorn workers: /metrics adds up every worker's
counts (prometheus-client's multiprocess files), and each request is one JSON log line."""

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import BARNRAISE, run

TOKEN = "serve-metrics-token-0123456789abcdef"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(port: int, target: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    lines = [f"GET {target} HTTP/1.1", "Host: localhost", "Connection: close"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _sep, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = dict(line.split(": ", 1) for line in header_lines if ": " in line)
    return int(status_line.split(" ", 2)[1]), {k.lower(): v for k, v in parsed.items()}, body


def _sample(text: str, name: str, **labels: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


@pytest.mark.slow
def test_serve_with_two_workers_counts_every_request_once_and_logs_json(tmp_path: Path) -> None:
    env = {"SECRET_KEY": "k" * 50, "METRICS_TOKEN": TOKEN}
    assert run(["manage", "migrate", "--no-input"], tmp_path, **env).returncode == 0
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    environ.update(env, REDIS_URL="")
    environ.pop("LOG_FORMAT", None)
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(  # noqa: S603 - our own command
            [*BARNRAISE, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            cwd=tmp_path,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                try:
                    if _get(port, "/api/v1/health")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.3)
            # when 20 searches arrive, one connection each, spread over the workers
            for n in range(20):
                status, headers, _ = _get(port, "/api/v1/listings?q=lamp", X_Request_ID=f"search-{n:06d}")
                assert status == 200
                assert headers["x-request-id"] == f"search-{n:06d}"
            refused = _get(port, "/metrics")
            scraped = _get(port, "/metrics", Authorization=f"Bearer {TOKEN}")
        finally:
            server.terminate()
            server.wait(timeout=40)
    # then the scrape needs the token, and counts each search once, whichever worker took it
    assert refused[0] == 401
    assert scraped[0] == 200
    text = scraped[2].decode()
    assert _sample(text, "barnraise_http_requests_total", route="api/v1/listings", status="200") == 20
    assert _sample(text, "barnraise_http_request_duration_seconds_count", route="api/v1/listings") == 20
    assert _sample(text, "barnraise_db_query_duration_seconds_count") > 0
    # from files in serve's own directory, one set per process
    [directory] = (tmp_path / "var" / "metrics").iterdir()
    assert directory.name == f"serve-{server.pid}"
    assert len(list(directory.glob("counter_*.db"))) >= 2
    # and the log holds one JSON line per search, without the query string, and no access log
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    searches = [
        line for line in lines if line.get("event") == "request" and line["route"] == "api/v1/listings"
    ]
    assert sorted(line["request_id"] for line in searches) == [f"search-{n:06d}" for n in range(20)]
    assert "lamp" not in log_path.read_text()
    assert '"GET /api/v1/listings' not in log_path.read_text()
