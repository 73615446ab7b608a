"""What every browser journey shares: one Chromium for the whole run, and photos on disk."""

import os
import shutil
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
