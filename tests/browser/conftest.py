"""What every browser journey shares: one Chromium for the whole run, photos on disk, and the
fake Stripe API (`stripe_fake`) for the journeys on the Stripe path."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.journey import CHROMIUM


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Chromium is not installed (.ci/run installs it)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself (set-up, checks) are plain synchronous code around it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic"],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """Each journey starts with an empty cache: the live server shares this process's, and a
    value an earlier journey left there (the marketplace's currency or area, read at most every
    few minutes) would answer for this one's data."""
    from django.core.cache import cache

    from barnraise import copies

    cache.clear()
    copies.clear_all()


@pytest.fixture(autouse=True)
def media_on_disk(settings: Any) -> Iterator[None]:
    """Photos written under MEDIA_ROOT, where the live server serves them from (the test
    settings keep media in memory, which no server can show), as under `barnraise demo`."""
    folder = Path(settings.MEDIA_ROOT) / f"test-journeys-{os.getpid()}"
    settings.SERVE_MEDIA = True
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder), "base_url": f"/media/{folder.name}/"},
        },
    }
    yield
    shutil.rmtree(folder, ignore_errors=True)


REPO = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "whsec_browser_journey_fake"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Fake:
    """The fake Stripe process and what it saw."""

    def __init__(self, base: str) -> None:
        self.base = base

    def state(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base}/__cluster__/state", timeout=10) as answer:  # noqa: S310
            return dict(json.loads(answer.read()))

    def onboard(self, account_id: str) -> None:
        request = urllib.request.Request(f"{self.base}/__cluster__/onboard/{account_id}", method="POST")  # noqa: S310
        urllib.request.urlopen(request, timeout=10).read()  # noqa: S310

    def delivered(self) -> dict[str, Any]:
        """The state once every event sent so far was delivered (webhooks are sent in order)."""
        deadline = time.monotonic() + 20
        while True:
            state = self.state()
            if len(state["deliveries"]) == len(state["events"]) or time.monotonic() > deadline:
                return state
            time.sleep(0.2)


@pytest.fixture
def stripe_fake(live_server: Any, settings: Any) -> Iterator[Fake]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=f"{REPO / 'src'}:{REPO}")
    hook = f"{live_server.url}/api/v1/webhooks/payments/stripe"
    process = subprocess.Popen(  # noqa: S603 - our own runner
        [sys.executable, "-m", "tests.cluster.stripe_server", str(port), hook, WEBHOOK_SECRET],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    fake = Fake(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                fake.state()
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        settings.PAYMENT_PROVIDER = "stripe"
        settings.STRIPE_SECRET_KEY = "sk_test_fake"
        settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = fake.base
        settings.SITE_URL = live_server.url
        yield fake
    finally:
        process.terminate()
        process.wait(timeout=10)
