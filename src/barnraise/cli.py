"""The `barnraise` command: demo, serve, worker, seed, createoperator, bench, ledger, backup, restore
and manage."""

import hashlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

SETTINGS = "barnraise.config.settings"


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        raise click.ClickException(f"configuration error: {exc}") from exc


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def _collect_static() -> None:
    """collectstatic, unless the files it would collect are those it collected last time (their
    paths, sizes and times, and the storage that hashes them, in a stamp beside them): hashing
    and compressing 700 files takes a minute or more, which every start, restart and second
    app process on the host paid again."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    found = sorted(
        (path, os.stat(storage.path(path))) for finder in get_finders() for path, storage in finder.list([])
    )
    digest = hashlib.sha256(str(settings.STORAGES["staticfiles"]["BACKEND"]).encode())
    for path, stat in found:
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    root = Path(settings.STATIC_ROOT)
    stamp = root / ".barnraise-collected"
    if stamp.is_file() and stamp.read_text() == digest.hexdigest():
        return
    _manage("collectstatic", "--no-input", "--verbosity", "0")
    stamp.write_text(digest.hexdigest())


def _check_services() -> None:
    """Fail at start-up, clearly, when a configured service cannot be reached."""
    from django.conf import settings
    from django.db import connection

    try:
        connection.ensure_connection()
    except Exception as exc:  # any driver error means the same thing here
        raise click.ClickException(f"cannot reach the database (DATABASE_URL): {exc}") from exc
    if settings.DATABASE_VENDOR == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
            if cursor.fetchone() is None:
                raise click.ClickException(
                    "PostgreSQL needs the PostGIS extension (Debian: postgresql-15-postgis-3)."
                )
    if settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
        except Exception as exc:  # redis raises several connection error types
            raise click.ClickException(f"cannot reach Redis (REDIS_URL): {exc}") from exc


def _prepare() -> None:
    _django()
    _check_services()
    click.echo("Applying migrations…")
    _manage("migrate", "--no-input", "--verbosity", "0")
    _manage("createcachetable", "--verbosity", "0")
    click.echo("Collecting static files…")
    _collect_static()


def _require_shared_secret_key() -> None:
    """On PostgreSQL the site may run on several hosts: a key generated into ./var/secret_key would
    differ on each (sessions, password-reset links and signed URLs made on one host would fail on
    another), so the key must come from the environment. SQLite runs on one host and keeps it."""
    from django.conf import settings

    if settings.DATABASE_VENDOR == "postgresql" and not os.environ.get("SECRET_KEY"):
        raise click.ClickException(
            "SECRET_KEY is not set. On PostgreSQL `barnraise serve` needs the same SECRET_KEY on "
            "every host, from the environment (at least 32 characters, e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
        )


# gunicorn's largest request line (method, path and query, version): past it gunicorn answers
# an HTML 414 of its own. Below it, the API refuses long query strings itself, in JSON
# (settings.API_MAX_QUERY_STRING).
REQUEST_LINE_LIMIT = 8190


# How long SIGTERM lets work in flight finish before the process ends anyway: gunicorn's requests
# (its graceful timeout) and the worker's running tasks (huey's shutdown timeout). A supervisor
# should wait a little longer before it kills (systemd's TimeoutStopSec, compose's
# stop_grace_period): docs/deployment.md.
GRACEFUL_SECONDS = 25

_GRACEFUL = click.option(
    "--graceful-timeout",
    default=GRACEFUL_SECONDS,
    show_default=True,
    type=click.IntRange(1, 3600),
    help="Seconds SIGTERM lets work in flight finish before stopping anyway.",
)


def _observed(kind: str) -> None:
    """Before Django starts: JSON log lines unless LOG_FORMAT says otherwise, and, where metrics
    are scraped (METRICS_TOKEN), this command's own directory for prometheus-client's
    multiprocess files (barnraise.observability.multiprocess)."""
    os.environ.setdefault("LOG_FORMAT", "json")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        token, root = settings.METRICS_TOKEN, settings.METRICS_DIR
    except ImproperlyConfigured as exc:
        raise click.ClickException(f"configuration error: {exc}") from exc
    if token:
        from barnraise.observability import multiprocess

        multiprocess.prepare(root, kind)


def _gunicorn_args(
    host: str, port: int, workers: int, graceful: int = GRACEFUL_SECONDS, proxies: str = "127.0.0.1"
) -> list[str]:
    from django.conf import settings

    # In JSON, the site writes one line per request itself (without the query string, which
    # gunicorn's access log would print, password-reset keys and all).
    access_log = [] if settings.LOG_FORMAT == "json" else ["--access-logfile", "-"]
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "barnraise.config.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(settings.SERVE_THREADS),
        *access_log,
        "--forwarded-allow-ips",
        proxies,
        "--limit-request-line",
        str(REQUEST_LINE_LIMIT),
        # SIGTERM: stop accepting, finish the requests in flight for this long, exit 0.
        "--graceful-timeout",
        str(graceful),
    ]


def _worker_args(workers: int) -> list[str]:
    return [sys.executable, "-m", "barnraise.cli", "worker", "--workers", str(workers)]


# The signals that ask the demo to stop: Ctrl-C (SIGINT), `kill` (SIGTERM) and a closed terminal.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _run_together(commands: Sequence[list[str]]) -> None:
    """Run child processes side by side; stop them all when one ends or when we are asked to stop.

    SIGTERM and SIGHUP are turned into the KeyboardInterrupt that Ctrl-C raises, so `kill <pid>`
    stops the children as Ctrl-C does; without it the default action ended this process alone
    and left the server and the worker running.
    """
    previous = {signum: signal.signal(signum, signal.default_int_handler) for signum in STOP_SIGNALS}
    children: list[subprocess.Popen[bytes]] = []
    try:
        children.extend(subprocess.Popen(cmd) for cmd in commands)  # noqa: S603 - our own commands
        while all(child.poll() is None for child in children):
            try:
                children[0].wait(timeout=1)
            except subprocess.TimeoutExpired:
                continue
    except KeyboardInterrupt:
        pass
    finally:
        # A second signal must not cut the clean-up short and orphan a child.
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        _stop(children)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop(children: Sequence[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACEFUL_SECONDS + 5  # their own bound, and a margin
    for child in children:
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@click.group()
@click.version_option(package_name="barnraise")
def main() -> None:
    """Barnraise, an open-source engine for peer-to-peer marketplaces."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--members", default=50, show_default=True, type=click.IntRange(2, 100_000))
@click.option("--listings", default=300, show_default=True, type=click.IntRange(0, 10_000_000))
def demo(host: str, port: int, members: int, listings: int) -> None:
    """Migrate, seed a demo marketplace (once) and serve it with a worker beside it."""
    os.environ.setdefault("SITE_URL", f"http://{host}:{port}")
    # The demo shows real streets: OpenStreetMap's standard tiles (credited on the map). With no
    # network the pins still draw on a plain ground; `serve` uses only what the operator sets.
    os.environ.setdefault("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    # The demo has no reverse proxy: Django's file view serves its photos from the disk.
    os.environ.setdefault("SERVE_MEDIA", "1")
    os.environ.setdefault("LOG_FORMAT", "console")  # a person reads these, the children's too
    _observed("demo")  # gunicorn's workers share this directory; the worker makes its own
    _prepare()
    from barnraise.demo import seed

    seed.run(members=members, listings=listings, progress=True)
    click.echo("")
    click.secho(f"Barnraise demo: http://{host}:{port}/", bold=True)
    for login in seed.DEMO_LOGINS:
        click.echo(f"  {login.role:<9} {login.email}  password: {seed.DEMO_PASSWORD}")
    click.echo(f"  operator  {seed.OPERATOR_EMAIL}  password: {seed.DEMO_PASSWORD}  (/admin/)")
    click.echo("Emails are printed by the worker below. Ctrl-C (or `kill` of this process) stops all.\n")
    _run_together([_gunicorn_args(host, port, 2), _worker_args(1)])


@main.command()
@click.option("--host", default="0.0.0.0", show_default=True)  # noqa: S104 - a server binds all
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--migrate/--no-migrate", default=False, help="Apply migrations first.")
@_GRACEFUL
@click.option(
    "--forwarded-allow-ips",
    "proxies",
    envvar="FORWARDED_ALLOW_IPS",
    default="127.0.0.1",
    show_default=True,
    help="Addresses of the reverse proxies whose X-Forwarded-* headers are believed (comma-separated; "
    "a proxy on another host or container needs its address here).",
)
def serve(host: str, port: int, workers: int, migrate: bool, graceful_timeout: int, proxies: str) -> None:
    """Serve the site with gunicorn (for PostgreSQL deployments; run workers separately).

    SIGTERM stops it gracefully: no new connections, the requests in flight finish (for
    --graceful-timeout seconds at most), exit status 0."""
    # Public media come from a reverse proxy, the object store or a CDN, never from Django's
    # file view (docs/deployment.md); this holds for the gunicorn process it becomes.
    os.environ["SERVE_MEDIA"] = "0"
    _observed("serve")
    _django()
    _require_shared_secret_key()
    _check_services()
    if migrate:
        _manage("migrate", "--no-input")
    _collect_static()
    args = _gunicorn_args(host, port, workers, graceful_timeout, proxies)
    os.execv(sys.executable, args)  # noqa: S606 - our own command


@main.command()
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--verbose", is_flag=True, help="Log every task; by default only warnings and errors.")
@_GRACEFUL
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="Enqueue the sweepers on their schedule. With several worker processes, let one do it.",
)
def worker(workers: int, verbose: bool, graceful_timeout: int, periodic: bool) -> None:
    """Run the task worker (huey consumer): emails, timers, sweepers.

    SIGTERM stops it gracefully: no new tasks, the running ones finish (for --graceful-timeout
    seconds at most), exit status 0. SIGINT (Ctrl-C) stops at once. Either way a step cut short
    leaves nothing behind: each is one database transaction, and the sweepers pick it up again."""
    _observed("worker")
    _django()
    _check_services()
    if verbose:
        import logging

        logging.getLogger("huey").setLevel(logging.INFO)
    # The sweepers run every minute: at INFO their lines would drown what matters.
    _manage(
        "run_huey",
        "--workers",
        str(workers),
        "--worker-type",
        "thread",
        # huey's default is the other way round (SIGTERM interrupts, SIGINT waits); supervisors
        # (systemd, container runtimes) stop with SIGTERM, so that is the one that waits.
        "--graceful-signal",
        "TERM",
        "--shutdown-timeout",
        str(graceful_timeout),
        # run_huey has --quiet and --huey-verbose (DEBUG), no --verbose: its INFO is the default.
        *([] if verbose else ["--quiet"]),
        *(() if periodic else ("--no-periodic",)),
    )


@main.command()
@click.option("--members", default=50, show_default=True, type=click.IntRange(2, 100_000))
@click.option("--listings", default=300, show_default=True, type=click.IntRange(0, 10_000_000))
@click.option("--seed", "random_seed", default=7, show_default=True, help="Random seed.")
def seed(members: int, listings: int, random_seed: int) -> None:
    """Seed demo data. Idempotent: a second run adds only what is missing."""
    _django()
    _check_services()
    from barnraise.demo import seed as demo_seed

    counts = demo_seed.run(members=members, listings=listings, random_seed=random_seed, progress=True)
    click.echo(f"Seeded: {counts}")


@main.command()
@click.option("--email", required=True)
@click.option("--name", default="Operator", show_default=True)
@click.option(
    "--group",
    "groups",
    multiple=True,
    type=click.Choice(["support", "finance", "admin"]),
    help="Repeat for several groups. Default: support.",
)
@click.password_option()
def createoperator(email: str, name: str, groups: tuple[str, ...], password: str) -> None:
    """Create an operator: a staff member in the support, finance and/or admin groups."""
    _django()
    args = ["createoperator", "--email", email, "--name", name, "--password", password]
    for group in groups:
        args += ["--group", group]
    _manage(*args)


@main.group()
def bench() -> None:
    """Benchmarks: a cached data set, timed in layers; JSON written to bench/results/."""


def _bench_database(default: str) -> Callable[[Any], Any]:
    return click.option(
        "--database",
        "vendor",
        default=default,
        show_default=True,
        type=click.Choice(["sqlite", "postgresql"]),
    )


def _bench_server(creates: str, *aliases: str) -> Callable[[Any], Any]:
    return click.option(
        "--postgres-url",
        *aliases,
        "postgres_url",
        envvar="BENCH_POSTGRES_URL",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        show_default=True,
        help=f"PostgreSQL server to create {creates} on.",
    )


_BENCH_OUTPUT = click.option(
    "--output-dir", default="bench/results", show_default=True, type=click.Path(file_okay=False)
)


@bench.command("search")
@click.option("--listings", default=10_000, show_default=True, type=click.IntRange(100, 10_000_000))
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0, 2**31))
@_bench_database("sqlite")
@click.option(
    "--queries",
    default=50,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Timed runs per query type and layer.",
)
@click.option("--wrk", "use_wrk", is_flag=True, help="Also load the server with wrk -t2 -c32.")
@click.option("--wrk-seconds", default=15, show_default=True, type=click.IntRange(1, 3600))
@click.option(
    "--server-threads",
    default="",
    help="With --wrk: gthread threads per worker, comma-separated for one wrk run each (e.g. 1,2,4); "
    "by default the SERVE_THREADS setting, as `barnraise serve` runs.",
)
@_bench_server("barnraise_bench_N_S")
@click.option("--rebuild", is_flag=True, help="Load the data set again even if cached.")
@_BENCH_OUTPUT
def bench_search(
    listings: int,
    seed: int,
    vendor: str,
    queries: int,
    use_wrk: bool,
    wrk_seconds: int,
    server_threads: str,
    postgres_url: str,
    rebuild: bool,
    output_dir: str,
) -> None:
    """Search: N listings, a fixed query mix, p50/p95/p99 as bare SQL, service layer and HTTP."""
    from pathlib import Path

    from barnraise.benchmarks import search as search_bench
    from barnraise.benchmarks import search_data

    try:
        threads = tuple(int(part) for part in server_threads.split(",")) if server_threads else ()
    except ValueError:
        threads = (0,)
    if not all(1 <= n <= 64 for n in threads):
        raise click.BadParameter(
            "give whole numbers from 1 to 64, comma-separated", param_hint="--server-threads"
        )
    target = search_data.target(vendor, listings, seed, postgres_url)
    try:
        reused = search_data.prepare_storage(target, rebuild)
    except Exception as exc:  # any driver error: the server cannot be reached or used
        raise click.ClickException(f"cannot prepare the bench database: {exc}") from exc
    # The bench database, for Django here and for the gunicorn children; never debug mode.
    os.environ["DATABASE_URL"] = target.url
    os.environ["DEBUG"] = "0"
    _django()
    options = search_bench.Options(
        listings=listings,
        seed=seed,
        vendor=vendor,
        queries=queries,
        wrk=use_wrk,
        wrk_seconds=wrk_seconds,
        server_threads=threads,
        output_dir=Path(output_dir),
    )
    payload, path = search_bench.run(target, options, reused, click.echo)
    click.echo(search_bench.render(payload))
    click.echo(f"JSON: {path}")


@bench.command("bookings")
@_bench_database("postgresql")
@click.option("--seconds", default=20, show_default=True, type=click.IntRange(1, 3600), help="Per layer.")
@click.option(
    "--processes",
    default=1,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Processes the 32 clients are spread over, in both layers (2: like `barnraise serve`'s workers).",
)
@_bench_server("barnraise_bench_bookings")
@_BENCH_OUTPUT
def bench_bookings(vendor: str, seconds: int, processes: int, postgres_url: str, output_dir: str) -> None:
    """Bookings: 32 clients on 100 hot listings through the engine, beside a hand-written-SQL floor."""
    from pathlib import Path

    from barnraise.benchmarks import bookings as bookings_bench

    target = bookings_bench.target(vendor, postgres_url)
    try:
        bookings_bench.prepare_storage(target)
    except Exception as exc:  # any driver error: the server cannot be reached or used
        raise click.ClickException(f"cannot prepare the bench database: {exc}") from exc
    os.environ["DATABASE_URL"] = target.url
    os.environ["DEBUG"] = "0"
    _django()
    payload, path = bookings_bench.run(target, seconds, Path(output_dir), click.echo, processes)
    click.echo(bookings_bench.render(payload))
    click.echo(f"JSON: {path}")


@bench.command("ledger")
@_bench_database("postgresql")
@click.option(
    "--postings",
    default=10_000_000,
    show_default=True,
    type=click.IntRange(1000, 1_000_000_000),
    help="Size of the cached data set the trial balance is timed on.",
)
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0, 2**31))
@click.option("--seconds", default=20, show_default=True, type=click.IntRange(1, 3600), help="Per layer.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256))
@click.option(
    "--batch",
    default=100,
    show_default=True,
    type=click.IntRange(2, 5000),
    help="Entries per entries_post call in the batched engine layer.",
)
@click.option(
    "--since",
    default=50_000,
    show_default=True,
    type=click.IntRange(0, 100_000_000),
    help="Postings added after the snapshot, before the trial balance is timed.",
)
@_bench_server("barnraise_bench_ledger_N_S", "--database-url")
@click.option("--rebuild", is_flag=True, help="Load the data set again even if cached.")
@click.option("--verify/--no-verify", default=True, show_default=True, help="Also time ledger_verify().")
@_BENCH_OUTPUT
def bench_ledger(
    vendor: str,
    postings: int,
    seed: int,
    seconds: int,
    threads: int,
    batch: int,
    since: int,
    postgres_url: str,
    rebuild: bool,
    verify: bool,
    output_dir: str,
) -> None:
    """Ledger: postings/s through entry_post and entries_post beside hand-written SQL, trial
    balance at N postings."""
    from pathlib import Path

    from barnraise.benchmarks import ledger as ledger_bench
    from barnraise.benchmarks import ledger_load

    target = ledger_load.target(vendor, postings, seed, postgres_url)
    try:
        reused = ledger_load.prepare_storage(target, rebuild)
    except Exception as exc:  # any driver error: the server cannot be reached or used
        raise click.ClickException(f"cannot prepare the bench database: {exc}") from exc
    os.environ["DATABASE_URL"] = target.url
    os.environ["DEBUG"] = "0"
    _django()
    options = ledger_bench.Options(
        postings=postings,
        seed=seed,
        seconds=seconds,
        threads=threads,
        since=since,
        verify=verify,
        batch=batch,
        output_dir=Path(output_dir),
    )
    payload, path = ledger_bench.run(target, options, reused, click.echo)
    click.echo(ledger_bench.render(payload))
    click.echo(f"JSON: {path}")


@bench.command("pages")
@_bench_database("sqlite")
@click.option("--requests", default=50, show_default=True, type=click.IntRange(1, 100_000), help="Per page.")
@click.option("--members", default=50, show_default=True, type=click.IntRange(3, 100_000))
@click.option("--listings", default=300, show_default=True, type=click.IntRange(10, 1_000_000))
@click.option(
    "--lcp-loads",
    default=5,
    show_default=True,
    type=click.IntRange(0, 100),
    help="Cold loads per page in headless Chromium for the largest contentful paint; 0: skip.",
)
@_bench_server("barnraise_bench_pages")
@click.option("--rebuild", is_flag=True, help="Seed a fresh database even if one is kept.")
@_BENCH_OUTPUT
def bench_pages(
    vendor: str,
    requests: int,
    members: int,
    listings: int,
    lcp_loads: int,
    postgres_url: str,
    rebuild: bool,
    output_dir: str,
) -> None:
    """Pages: server time (p50/p95) and phone paint (LCP) of every page with the demo data."""
    from pathlib import Path

    from barnraise.benchmarks import pages as pages_bench
    from barnraise.benchmarks import pages_paint as lcp

    target = pages_bench.target(vendor, postgres_url)
    try:
        pages_bench.prepare_storage(target, rebuild)
    except Exception as exc:  # any driver error: the server cannot be reached or used
        raise click.ClickException(f"cannot prepare the bench database: {exc}") from exc
    os.environ["DATABASE_URL"] = target.url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SERVE_MEDIA", "1")  # the demo's photos, for the paint
    _django()
    logging.getLogger("barnraise.requests").setLevel(logging.WARNING)  # a line per request: noise here
    options = pages_bench.Options(
        requests=requests,
        members=members,
        listings=listings,
        output_dir=Path(output_dir),
        lcp_loads=lcp_loads,
    )
    try:
        payload, path = pages_bench.run(target, options, click.echo)
    except lcp.PaintUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(pages_bench.render(payload))
    click.echo(f"JSON: {path}")


@main.group()
def ledger() -> None:
    """The money ledger: checks for operators."""


@ledger.command("verify")
def ledger_verify() -> None:
    """Scan every entry, posting and balance snapshot; exit 1 if anything is off."""
    _django()
    _check_services()
    _ledger_verify()


def _ledger_verify() -> None:
    from barnraise.ledger.verify import ledger_verify as verify

    result = verify()
    click.echo(
        f"Ledger: {result.entries} entries, {result.postings} postings, "
        f"{result.accounts} accounts, {result.snapshots} snapshots."
    )
    for currency, total in sorted(result.totals.items()):
        click.echo(f"  {currency}: postings sum to {total}")
    if result.problems:
        for problem in result.problems:
            click.secho(f"  problem: {problem}", fg="red", err=True)
        raise SystemExit(1)
    click.echo("No problems found.")


def _sqlite_database(action: str) -> Path:
    """The SQLite database file of DATABASE_URL; on PostgreSQL, what to use instead."""
    from django.conf import settings
    from django.db import connections

    if settings.DATABASE_VENDOR != "sqlite":
        raise click.ClickException(
            f"`barnraise {action}` is for SQLite. On PostgreSQL use its own tools: pg_dump for a "
            "logical backup, or base backups with WAL archiving for point-in-time recovery "
            "(docs/deployment.md, Backups)."
        )
    connections.close_all()  # the restore must find the database unused, by this process too
    return Path(str(settings.DATABASES["default"]["NAME"])).resolve()


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup(path: str) -> None:
    """Copy the SQLite database to PATH (a new file), safely while the site serves."""
    from barnraise.backups import BackupError, sqlite_backup

    _django()
    database = _sqlite_database("backup")
    try:
        size = sqlite_backup(database, Path(path))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backed up {database} to {path} ({size} bytes).")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def restore(path: str) -> None:
    """Replace the SQLite database with the backup at PATH (stop the server and worker first)."""
    from barnraise.backups import BackupError, sqlite_restore

    _django()
    database = _sqlite_database("restore")
    try:
        sqlite_restore(Path(path), database)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored {database} from {path}.")
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        # The ledger's checks read today's tables: verify once the backup's schema has caught up.
        count = len(pending)
        missing = "1 migration is" if count == 1 else f"{count} migrations are"
        click.echo(
            f"{missing} not applied to it yet: run `barnraise manage migrate`, "
            "then `barnraise ledger verify`."
        )
        return
    _ledger_verify()


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Run a Django management command: barnraise manage migrate, shell, …"""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["barnraise manage", *args])


if __name__ == "__main__":
    main()
