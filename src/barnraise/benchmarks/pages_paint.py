"""Largest contentful paint of each page, as a phone sees it: `barnraise bench pages --lcp-loads N`.

The site is served over HTTP from this process (Django's threaded WSGI server, WhiteNoise serving
the collected static files, the demo's photos from MEDIA_ROOT) and loaded in headless Chromium
at 375×812 with touch, the CPU slowed 4× through the DevTools protocol (the slowdown Lighthouse's
phone profile uses) and no network throttling (the server is local). Every load is cold: a new
browser context, so no cache and no service worker; logged-in pages carry the demo login's
session cookie. The paint is the last `largest-contentful-paint` entry the page reported once
it has loaded and settled for a moment, read through a script installed by the DevTools
protocol (the site's CSP is untouched). The median of the loads is reported, never asserted.
"""

import os
import shutil
import statistics
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from barnraise.benchmarks.pages import Page

CHROMIUM = os.environ.get("CHROMIUM", "chromium")
CPU_SLOWDOWN = 4
VIEWPORT = {"width": 375, "height": 812}
SETTLE_MS = 500  # after the load event, for late images and fonts to report their paint
OBSERVE = """
window.__barnraiseLcp = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) { window.__barnraiseLcp = entry.startTime; }
}).observe({type: "largest-contentful-paint", buffered: true});
"""


class PaintUnavailable(RuntimeError):
    """Chromium or Playwright is missing: say so, or run with --lcp-loads 0."""


@contextmanager
def _served() -> Iterator[str]:
    """The site over HTTP on a free local port, for as long as the block runs."""
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=False)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def measure(
    found: list["Page"], clients: dict[str, Any], loads: int, say: Callable[[str], None]
) -> dict[str, dict[str, float]]:
    """{path: {"median", "min", "max", "n"}} of each page's paint in ms over `loads` cold loads."""
    with _chromium() as browser:
        return measure_in(browser, found, clients, loads, say)


@contextmanager
def _chromium() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        raise PaintUnavailable(f"{CHROMIUM} is not installed: install it, or run with --lcp-loads 0")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # a production install without the dev extras
        raise PaintUnavailable(
            "Playwright is not installed (pip install -e '.[dev]'), or run with --lcp-loads 0"
        ) from exc
    # Playwright's sync API runs an event loop in this thread; the ORM is used by the server's
    # threads only while it runs.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic"],
        )
        try:
            yield browser
        finally:
            browser.close()


def measure_in(
    browser: Any, found: list["Page"], clients: dict[str, Any], loads: int, say: Callable[[str], None]
) -> dict[str, dict[str, float]]:
    """`measure` with a Chromium already running (Playwright's Browser)."""
    cookies = {who: client.cookies.get("sessionid") for who, client in clients.items()}
    paints: dict[str, dict[str, float]] = {}
    with _served() as base:
        for page in found:
            samples = [_paint(browser, base, page, cookies[page.who]) for _ in range(loads)]
            paints[page.path] = {
                "n": len(samples),
                "median": round(statistics.median(samples), 1),
                "min": round(min(samples), 1),
                "max": round(max(samples), 1),
            }
            say(f"{page.name}: LCP median {paints[page.path]['median']:.0f} ms")
    return paints


def _paint(browser: Any, base: str, page: "Page", session: Any) -> float:
    context = browser.new_context(viewport=VIEWPORT, has_touch=True, is_mobile=True, device_scale_factor=2)
    try:
        if session is not None:
            context.add_cookies([{"name": "sessionid", "value": session.value, "url": base}])
        context.add_init_script(OBSERVE)
        tab = context.new_page()
        cdp = context.new_cdp_session(tab)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        tab.goto(base + page.path, wait_until="load")
        tab.wait_for_timeout(SETTLE_MS)
        return float(tab.evaluate("window.__barnraiseLcp") or 0.0)
    finally:
        context.close()
