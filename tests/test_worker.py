"""One real huey consumer, in its own process, delivering what a committed transaction queued."""

import json
import os
import subprocess
import time

import pytest

from tests.conftest import BARNRAISE, run

QUEUE_ONE = """
import structlog
from barnraise.accounts.models import User
from barnraise.notifications.services import email_queue
structlog.contextvars.bind_contextvars(request_id="queued-by-shell-0001")  # as a request would
email_queue(to="neighbour@example.com", subject="Your snowblower is booked", text_body="See you at 9.")
print(User.objects.count())
"""

READ_STATUS = """
from barnraise.notifications.models import OutgoingEmail
print("STATUS", OutgoingEmail.objects.get().status)
"""


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["sqlite", "redis"])
def test_worker_delivers_queued_email(tmp_path, broker):
    env = {"REDIS_URL": "redis://127.0.0.1:6379/15"} if broker == "redis" else {}
    if broker == "redis":
        subprocess.run(["redis-cli", "-n", "15", "FLUSHDB"], check=False, capture_output=True)  # noqa: S607
    assert run(["manage", "migrate", "--no-input"], tmp_path, **env).returncode == 0
    # given an email queued by a committed transaction while no worker runs
    queued = run(["manage", "shell", "-c", QUEUE_ONE], tmp_path, **env)
    assert queued.returncode == 0, queued.stderr
    assert "PENDING" not in queued.stdout
    # when a real worker starts
    environ = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    environ.update(env)
    environ.setdefault("REDIS_URL", "")
    worker = subprocess.Popen(  # noqa: S603 - our own command
        [*BARNRAISE, "worker", "--workers", "1"],
        cwd=tmp_path,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and status != "sent":
            time.sleep(1)
            out = run(["manage", "shell", "-c", READ_STATUS], tmp_path, **env).stdout
            status = out.split("STATUS", 1)[-1].strip()
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=20)
    # then the email was sent by the worker (the console backend prints it)
    assert status == "sent", output
    assert "Your snowblower is booked" in output
    # and the worker logged the task as one JSON line, under the id of the work that queued it
    lines = [json.loads(line) for line in output.splitlines() if line.startswith('{"')]
    [task] = [line for line in lines if line.get("event") == "task" and line["task"] == "email_deliver"]
    assert task["request_id"] == "queued-by-shell-0001"
    assert task["outcome"] == "complete"
