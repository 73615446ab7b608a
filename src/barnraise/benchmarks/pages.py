"""`barnraise bench pages`: the server time of each main page, with the demo marketplace.

The demo data (`barnraise.demo.seed`, as `make demo` seeds it) is loaded into a bench database
of its own: var/bench/pages.sqlite3 or PostgreSQL `barnraise_bench_pages`, kept between runs
(the seed is idempotent; `--rebuild` starts again). Each page is requested through Django's
test client in this process, as the demo's two logins or anonymously: the whole stack from the
middleware to the rendered template, without sockets or a WSGI server. Two warm-up requests per
page, then N timed ones; p50/p95 per page in a table and JSON in bench/results/. The goal is
p95 under 300 ms; it is reported, never asserted.
"""

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from barnraise.benchmarks import report

GOAL_P95_MS = 300.0
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


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # "anonymous", "customer", "provider" or "operator": the demo login it is requested as
    path: str


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


def pages() -> list[Page]:
    """The main pages, with ids taken from the demo data."""
    from barnraise.accounts.models import User
    from barnraise.catalog.models import Listing
    from barnraise.commerce.models import Transaction
    from barnraise.demo import data
    from barnraise.demo.seed import DEMO_LOGINS

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
    lat, lng = data.CITY_LAT, data.CITY_LNG
    area = f"{lng - 0.06:.4f},{lat - 0.03:.4f},{lng + 0.06:.4f},{lat + 0.03:.4f}"
    return [
        Page("home", "anonymous", "/"),
        Page(
            "search: filters, near a place",
            "anonymous",
            f"/search/?kind=rental&category=spaces&price_to=80&currency=USD&lat={lat}&lng={lng}"
            "&radius_km=10&sort=distance",
        ),
        Page("search: words, map area", "anonymous", f"/search/?q=bike&bbox={area}"),
        Page("listing detail", "customer", f"/listings/{listing.public_id}/"),
        Page("transaction page", "customer", f"/transactions/{deal.pk}/"),
        Page("deals inbox", "provider", "/transactions/?as=provider"),
        Page("messages", "provider", "/messages/"),
        Page("wallet", "provider", "/wallet/"),
        Page("dashboard", "provider", "/dashboard/"),
        Page("notifications", "provider", "/notifications/"),
        Page("processes", "anonymous", "/processes/"),
        Page("console: queue", "operator", "/console/"),
        Page("console: member", "operator", f"/console/members/{provider.pk}/"),
        Page("console: deal", "operator", f"/console/deals/{deal.pk}/"),
    ]


def _clients() -> dict[str, Any]:
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
    clients = _clients()
    rows = []
    for page in pages():
        say(f"{page.name}: {options.requests} requests…")
        rows.append(time_page(clients[page.who], page, options.requests))
    slowest = max(row["ms"]["p95"] for row in rows)
    payload: dict[str, Any] = {
        "benchmark": "pages",
        "database": t.vendor,
        "database_version": _database_version(),
        "requests": options.requests,
        "warm_up": WARM_UP,
        "demo": {"members": options.members, "listings": options.listings, "seeded": seeded},
        "machine": report.machine(),
        "results": rows,
        "goal": {"p95_ms_under": GOAL_P95_MS, "met": slowest < GOAL_P95_MS, "slowest_p95_ms": slowest},
    }
    path = report.write_json(options.output_dir, f"pages-{t.vendor}", payload)
    return payload, path


def render(payload: dict[str, Any]) -> str:
    headers = ["page", "as", "queries", "KiB", "p50 ms", "p95 ms", "max ms"]
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
        for r in payload["results"]
    ]
    goal = payload["goal"]
    verdict = "met" if goal["met"] else "not met"
    return "\n".join(
        [
            report.table(headers, rows),
            "",
            f"{payload['requests']} requests per page after {payload['warm_up']} warm-ups, "
            f"{payload['database_version']}, in-process (Django's test client).",
            f"goal p95 < {goal['p95_ms_under']:.0f} ms on every page: {verdict} "
            f"(slowest p95 {goal['slowest_p95_ms']:.1f} ms)",
        ]
    )
