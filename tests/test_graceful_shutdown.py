"""SIGTERM stops `barnraise serve` and `barnraise worker` gracefully: what is in flight finishes
(within the bound), then the process exits 0.

Each command runs as its own process with a test-only settings module written into tmp_path
(the real settings plus a slow page, or a slow task), so nothing slow is added to the product.
Killing the worker outright (SIGKILL) is tests/test_worker_kill.py's subject.
"""

import http.client
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import connection

from barnraise.accounts.models import User
from barnraise.catalog.models import Listing
from barnraise.eventlog.models import Event, EventType
from tests.conftest import BARNRAISE, run

pytestmark = pytest.mark.slow

SLOW_SECONDS = 3
BOUND = 10  # --graceful-timeout given to the commands
GRACEFUL_ARGS = ["--workers", "1", "--graceful-timeout", str(BOUND)]

SERVE_SETTINGS = """
from barnraise.config.settings import *  # noqa: F403

from barnraise.config.settings import STORAGES

ROOT_URLCONF = "slow_urls"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# `serve` collects static files at start: copied plainly, without the minutes of hashing and
# compressing that production's storage spends on them.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
"""

# The site's own URLs, and a page that says it has started (a file), then takes its time.
SLOW_URLS = f"""
import os
import time
from pathlib import Path

from django.http import HttpResponse
from django.urls import path

from barnraise.config.urls import urlpatterns as site


def slow(request):
    Path(os.environ["BARNRAISE_TEST_MARKER"]).write_text("started")
    time.sleep({SLOW_SECONDS})
    return HttpResponse("finished")


urlpatterns = [path("slow/", slow), *site]
"""

WORKER_SETTINGS = """
from barnraise.config.settings import *  # noqa: F403
from barnraise.config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "slow_task"]
"""

# A task that says it has started, takes its time inside a transaction, then writes through the
# services (a listing, with its event): cut short, it would leave nothing; let finish, all of it.
SLOW_TASK = f"""
import time
from pathlib import Path

from django.db import transaction
from huey.contrib.djhuey import task

from barnraise.accounts.models import User
from barnraise.catalog.services import category_create, listing_create


@task()
def slow(marker, author_id):
    with transaction.atomic():
        Path(marker).write_text("started")
        time.sleep({SLOW_SECONDS})
        listing_create(
            actor=User.objects.get(pk=author_id),
            kind="rental",
            category=category_create(slug="rooms", name="Rooms", kinds=["rental"]),
            title="Finished",
            unit="hour",
            price_amount_minor=1000,
            currency="EUR",
            seats=1,
            lat=50.0,
            lng=4.0,
            timezone="Europe/Brussels",
        )
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environ(**extra: str) -> dict[str, str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")
    }
    environ.update(extra)
    return environ


def wait_for(check: Callable[[], Any], seconds: float, process: "subprocess.Popen[str]") -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        assert process.poll() is None, process.communicate()[0]
        time.sleep(0.2)
    raise AssertionError(f"nothing after {seconds}s")


def _answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/api/v1/nope")
        return connection.getresponse().status == 404
    except OSError:
        return False


def test_sigterm_lets_serve_finish_a_request_in_flight_and_exit_0(tmp_path: Path) -> None:
    (tmp_path / "slow_settings.py").write_text(SERVE_SETTINGS)
    (tmp_path / "slow_urls.py").write_text(SLOW_URLS)
    marker = tmp_path / "started"
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own command
        [*BARNRAISE, "serve", "--host", "127.0.0.1", "--port", str(port), *GRACEFUL_ARGS],
        cwd=tmp_path,
        env=_environ(
            DJANGO_SETTINGS_MODULE="slow_settings",
            DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
            BARNRAISE_VAR_DIR=str(tmp_path / "var"),
            BARNRAISE_TEST_MARKER=str(marker),
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: _answers(port), 240, server)
        # given a request in flight
        answer: dict[str, Any] = {}

        def ask() -> None:
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            client.request("GET", "/slow/")
            response = client.getresponse()
            answer.update(status=response.status, body=response.read())

        asking = threading.Thread(target=ask)
        asking.start()
        wait_for(marker.exists, 30, server)
        # when the server is asked to stop
        signalled = time.monotonic()
        server.send_signal(signal.SIGTERM)
        # then the request is answered in full, and the server exits 0 within the bound
        asking.join(timeout=BOUND + 5)
        assert answer == {"status": 200, "body": b"finished"}
        assert server.wait(timeout=BOUND + 5) == 0
        assert time.monotonic() - signalled < BOUND
        assert not _answers(port)
    finally:
        if server.poll() is None:
            server.kill()
        server.communicate(timeout=30)


def _database_url() -> str:
    """The test database, as the worker process reaches it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'])}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_sigterm_lets_the_worker_finish_its_running_task_and_exit_0(tmp_path: Path) -> None:
    (tmp_path / "var").mkdir()  # the worker's queue (huey on SQLite)
    (tmp_path / "slow_settings.py").write_text(WORKER_SETTINGS)
    (tmp_path / "slow_task").mkdir()
    (tmp_path / "slow_task" / "__init__.py").write_text("")
    (tmp_path / "slow_task" / "tasks.py").write_text(SLOW_TASK)
    marker = tmp_path / "started"
    author = User.objects.create_user(email="author@example.com", password="pw-123456789", name="Author")
    EmailAddress.objects.create(user=author, email=author.email, primary=True, verified=True)
    env = {
        "DJANGO_SETTINGS_MODULE": "slow_settings",
        "DATABASE_URL": _database_url(),
        "BARNRAISE_VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": settings.SECRET_KEY,
        "REDIS_URL": "",
    }
    worker = subprocess.Popen(  # noqa: S603 - our own command
        [*BARNRAISE, "worker", *GRACEFUL_ARGS],
        cwd=tmp_path,
        env=_environ(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # given a task running
        queued = run(
            [
                "manage",
                "shell",
                "-c",
                f"from slow_task.tasks import slow; slow({str(marker)!r}, {str(author.pk)!r})",
            ],
            tmp_path,
            **env,
        )
        assert queued.returncode == 0, queued.stderr
        wait_for(marker.exists, 60, worker)
        assert not Listing.objects.exists()
        # when the worker is asked to stop
        signalled = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        # then the task finishes, whole, and the worker exits 0 within the bound
        output = worker.communicate(timeout=BOUND + 5)[0]
        assert worker.returncode == 0, output
        assert time.monotonic() - signalled < BOUND
        assert "Traceback" not in output, output
        listing = Listing.objects.get()
        assert listing.title == "Finished"
        assert (
            Event.objects.filter(type=EventType.LISTING_CREATED, subject_id=str(listing.public_id)).count()
            == 1
        )
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate(timeout=30)
