"""`barnraise serve` and `demo` start gunicorn with its longest request line, and the API refuses
a query string past its own documented limit in JSON: a long request never meets gunicorn's
HTML 414. The gunicorn command is the one the CLI builds, run as a process."""

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from barnraise.cli import _gunicorn_args


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[int]:
    port = _free_port()
    (tmp_path / "var").mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")
    }
    env.update(SECRET_KEY="s" * 50, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    server = subprocess.Popen(  # noqa: S603 - the CLI's own command
        _gunicorn_args("127.0.0.1", port, 1),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _body = _get(port, "/api/v1/nope")
            except OSError:
                time.sleep(0.2)
                continue
            if status == 404:
                break
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _get(port: int, target: str) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _sep, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_a_request_line_up_to_gunicorns_maximum_reaches_the_api_and_gets_json(served: int) -> None:
    # given a request line of about 8000 bytes: past gunicorn's default (4094), within 8190
    target = "/api/v1/nope?q=" + "x" * 7950
    # when
    status, body = _get(served, target)
    # then the API answers, in its own shape
    assert status == 414
    assert b'"code": "uri_too_long"' in body
    assert b"<html" not in body.lower()


def test_a_query_within_the_apis_limit_is_read(served: int) -> None:
    # when
    status, body = _get(served, "/api/v1/nope?q=" + "x" * 4000)
    # then
    assert status == 404
    assert b'"code": "not_found"' in body
