"""`barnraise bench pages`: the server time and the phone paint of every page, with the demo
marketplace.

The demo data (`barnraise.demo.seed`, as `make demo` seeds it) is loaded into a bench database
of its own: var/bench/pages.sqlite3 or PostgreSQL `barnraise_bench_pages`, kept between runs
(the seed is idempotent; `--rebuild` starts again). The pages are found in the URLconf, their
paths filled with demo objects; each is requested as the first of the visitor, the demo's two
logins and the operator that gets HTML back. Server time: through Django's test client in this
process, the whole stack from the middleware to the rendered template, without sockets or a
WSGI server; two warm-up requests per page, then N timed ones, p50/p95 per page. Paint: see
`pages_paint`. A table, and JSON in bench/results/. The goals (p95 ≤ 100 ms on every page, a
median largest contentful paint ≤ 1.5 s) are reported, never asserted.
"""

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from barnraise.benchmarks import pages_paint as lcp
from barnraise.benchmarks import report

GOAL_P95_MS = 100.0
GOAL_LCP_MS = 1500.0
WARM_UP = 2
DATABASE = "barnraise_bench_pages"


@dataclass(frozen=True)
class Target:
    vendor: str
    url: str
    admin_url: str = ""


@dataclass(frozen=True)
class Options:
    requests: int
    members: int
    listings: int
    output_dir: Path
    migrate: bool = True  # False when the caller's database is migrated already (the tests)
    lcp_loads: int = 0  # cold loads per page in headless Chromium; 0: server time only


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # "anonymous", "customer", "provider" or "operator": the demo login it is requested as
    path: str
    whole: bool = True  # a whole document; False: a fragment htmx swaps into one (no paint of its own)


def target(vendor: str, postgres_url: str) -> Target:
    if vendor == "sqlite":
        var = Path(os.environ.get("BARNRAISE_VAR_DIR", Path.cwd() / "var")).resolve()
        return Target(vendor, f"sqlite:///{var / 'bench' / 'pages.sqlite3'}")
    parts = urlsplit(postgres_url)
    return Target(vendor, urlunsplit(parts._replace(path=f"/{DATABASE}")), postgres_url)


def prepare_storage(t: Target, rebuild: bool) -> None:
    """The bench database: kept from the last run unless `rebuild`; created when missing."""
    if t.vendor == "sqlite":
        path = Path(t.url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        if rebuild:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(t.admin_url, autocommit=True) as admin:
        if rebuild:
            admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}"')
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone() is None:
            admin.execute(f'CREATE DATABASE "{DATABASE}"')


def seed(options: Options, say: Callable[[str], None]) -> dict[str, int]:
    """Migrate and collect the static files (unless told not to), then seed the demo marketplace:
    only what is missing is added."""
    from django.core.management import call_command

    from barnraise.demo import seed as demo_seed

    if options.migrate:
        say("Migrating the bench database…")
        call_command("migrate", "--no-input", "--verbosity", "0")
        call_command("createcachetable", "--verbosity", "0")
        # Pages name their static files through the manifest, as when served (`barnraise serve`).
        call_command("collectstatic", "--no-input", "--verbosity", "0")
    say(f"Seeding the demo data ({options.members} members, {options.listings} listings)…")
    return demo_seed.run(members=options.members, listings=options.listings)


# Areas of the URLconf that hold no pages: the admin (Django's own), the JSON API, the metrics
# endpoint and the files under /media/. Everything else that answers a GET with HTML is a page.
SKIPPED_PREFIXES = ("admin/", "api/", "^api/", "metrics", "media/")
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
WHO = ("anonymous", "customer", "provider", "operator")  # the order a page is tried in


def _routes(patterns: list[Any], prefix: str = "") -> list[str]:
    from django.urls import URLPattern, URLResolver

    found = []
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            found.append(route)
    return found


def _values() -> dict[str, str]:
    """A demo object for each path parameter the URLconf uses, seen by the demo logins."""
    from barnraise.accounts.models import SkillAttempt, SkillTest, User
    from barnraise.casework.selectors import queue_items
    from barnraise.catalog.models import Listing
    from barnraise.commerce.models import Transaction
    from barnraise.demo.seed import DEMO_LOGINS, OPERATOR_EMAIL
    from barnraise.ledger.models import PayoutAccount
    from barnraise.notifications.models import Notification
    from barnraise.reputation.models import Review

    customer = User.objects.get(email=DEMO_LOGINS[0].email)
    provider = User.objects.get(email=DEMO_LOGINS[1].email)
    listing = (
        Listing.objects.filter(author=provider, status=Listing.Status.PUBLISHED, photos__isnull=False)
        .order_by("id")
        .first()
    )
    deal = Transaction.objects.filter(customer=customer).exclude(state="initial").order_by("id").first()
    if listing is None or deal is None:
        raise RuntimeError("The demo data has no listing with photos or no deal: seed it first.")
    values = {
        "public_id": str(listing.public_id),
        "transaction_id": str(deal.pk),
        "deal_id": str(deal.pk),
        "user_id": str(provider.pk),
        "member_id": str(provider.pk),
        "name": "booking",
    }
    optional: dict[str, Any] = {
        "notification_id": Notification.objects.filter(recipient=provider).order_by("id").first(),
        "review_id": Review.objects.order_by("id").first(),
        "test_id": SkillTest.objects.order_by("id").first(),
        "attempt_id": SkillAttempt.objects.filter(user=customer).order_by("id").first(),
    }
    for name, row in optional.items():
        if row is not None:
            values[name] = str(row.pk)
    account = PayoutAccount.objects.filter(owner=provider).first()
    if account is not None:
        values["account_id"] = account.external_id
    operator = User.objects.get(email=OPERATOR_EMAIL)
    waiting = queue_items(viewer=operator)
    if waiting:  # the console's page of one item of its queue (portfolio items' routes are forms')
        values |= {"kind": waiting[0].kind, "item_id": waiting[0].id}
    return values


def pages(clients: dict[str, Any]) -> tuple[list[Page], list[dict[str, str]]]:
    """Every page of the URLconf, its path filled with demo objects, and who first sees it (the
    first of WHO it answers 200 with HTML to); and the routes that are not pages, with why."""
    from django.urls import get_resolver

    values = _values()
    found: list[Page] = []
    left: list[dict[str, str]] = []
    for route in _routes(get_resolver().url_patterns):
        if route.startswith(SKIPPED_PREFIXES):
            continue
        missing = [m["name"] for m in PARAMETER.finditer(route) if m["name"] not in values]
        if route.startswith("^") or missing:
            left.append({"route": route, "why": f"no demo object for {', '.join(missing) or 'a pattern'}"})
            continue
        path = "/" + PARAMETER.sub(lambda m: values[m["name"]], route)
        answers = []
        for who in WHO:
            response = clients[who].get(path)
            html = response.get("Content-Type", "").startswith("text/html")
            if response.status_code == 200 and html:
                whole = b"<html" in response.content[:500]
                found.append(Page(route.rstrip("/") or "/", who, path, whole))
                break
            answers.append(f"{who} {response.status_code}{'' if html else ' (not HTML)'}")
        else:
            left.append({"route": route, "why": "; ".join(answers)})
    return found, left


def clients_for_demo() -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client

    from barnraise.accounts.models import User
    from barnraise.demo.seed import DEMO_LOGINS, OPERATOR_EMAIL

    host = next((h for h in settings.ALLOWED_HOSTS if h and h[0] not in ".*"), "localhost")
    clients = {}
    for who, email in (
        ("anonymous", None),
        ("customer", DEMO_LOGINS[0].email),
        ("provider", DEMO_LOGINS[1].email),
        ("operator", OPERATOR_EMAIL),
    ):
        client = Client(SERVER_NAME=host)
        if email:
            client.force_login(User.objects.get(email=email))
        clients[who] = client
    return clients


def time_page(client: Any, page: Page, requests: int) -> dict[str, Any]:
    """Warm up, count the queries of one request, then time `requests` requests."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARM_UP):
        response = client.get(page.path)
        if response.status_code != 200:
            raise RuntimeError(f"{page.name}: {page.path} answered {response.status_code}")
    with CaptureQueriesContext(connection) as captured:
        client.get(page.path)
    queries = len(captured.captured_queries)  # now: the next request empties the log
    samples = []
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(page.path)
        samples.append((time.perf_counter() - began) * 1000)
    return {
        "page": page.name,
        "as": page.who,
        "path": page.path,
        "fragment": not page.whole,
        "queries": queries,
        "bytes": len(response.content),
        "ms": report.summary(samples),
    }


def _database_version() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"sqlite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    return f"postgresql {version}"


def run(t: Target, options: Options, say: Callable[[str], None]) -> tuple[dict[str, Any], Path]:
    seeded = seed(options, say)
    clients = clients_for_demo()
    found, left = pages(clients)
    say(f"{len(found)} pages found in the URLconf ({len(left)} routes are not pages or need an object).")
    rows = []
    for page in found:
        say(f"{page.name}: {options.requests} requests…")
        rows.append(time_page(clients[page.who], page, options.requests))
    if options.lcp_loads:
        say(f"Largest contentful paint: {options.lcp_loads} cold loads per page, 4× CPU slowdown…")
        paints = lcp.measure([p for p in found if p.whole], clients, options.lcp_loads, say)
        for row in rows:
            row["lcp_ms"] = paints.get(row["path"])
    slowest = max(row["ms"]["p95"] for row in rows)
    goal: dict[str, Any] = {
        "p95_ms_at_most": GOAL_P95_MS,
        "met": slowest <= GOAL_P95_MS,
        "slowest_p95_ms": slowest,
    }
    if options.lcp_loads:
        latest = max(row["lcp_ms"]["median"] for row in rows if row["lcp_ms"])
        goal |= {"lcp_ms_at_most": GOAL_LCP_MS, "lcp_met": latest <= GOAL_LCP_MS, "slowest_lcp_ms": latest}
    payload: dict[str, Any] = {
        "benchmark": "pages",
        "database": t.vendor,
        "database_version": _database_version(),
        "requests": options.requests,
        "warm_up": WARM_UP,
        "lcp_loads": options.lcp_loads,
        "demo": {"members": options.members, "listings": options.listings, "seeded": seeded},
        "machine": report.machine(),
        "results": rows,
        "not_pages": left,
        "goal": goal,
    }
    path = report.write_json(options.output_dir, f"pages-{t.vendor}", payload)
    return payload, path


def render(payload: dict[str, Any]) -> str:
    paints = bool(payload["lcp_loads"])
    headers = ["page", "as", "queries", "KiB", "p50 ms", "p95 ms", "max ms"] + (["LCP ms"] if paints else [])
    rows = [
        [
            r["page"],
            r["as"],
            r["queries"],
            round(r["bytes"] / 1024, 1),
            r["ms"]["p50"],
            r["ms"]["p95"],
            r["ms"]["max"],
        ]
        + ([r["lcp_ms"]["median"] if r["lcp_ms"] else "fragment"] if paints else [])
        for r in payload["results"]
    ]
    goal = payload["goal"]
    lines = [
        report.table(headers, rows),
        "",
        f"{len(rows)} pages found in the URLconf; {len(payload['not_pages'])} routes are not pages "
        "(actions, fragments, redirects) or need an object the demo lacks (in the JSON).",
        f"{payload['requests']} requests per page after {payload['warm_up']} warm-ups, "
        f"{payload['database_version']}, in-process (Django's test client).",
        f"goal p95 ≤ {goal['p95_ms_at_most']:.0f} ms on every page: {'met' if goal['met'] else 'not met'} "
        f"(slowest p95 {goal['slowest_p95_ms']:.1f} ms)",
    ]
    if paints:
        lines.append(
            f"goal LCP ≤ {goal['lcp_ms_at_most']:.0f} ms (median of {payload['lcp_loads']} cold loads, "
            f"375×812, 4× CPU slowdown): {'met' if goal['lcp_met'] else 'not met'} "
            f"(slowest {goal['slowest_lcp_ms']:.0f} ms)"
        )
    return "\n".join(lines)
