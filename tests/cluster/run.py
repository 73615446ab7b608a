"""The cluster test: Barnraise on several processes of this machine, under load, through faults.

    python -m tests.cluster.run [--profile short|long] [--keep]

(`make test-cluster`; CLUSTER_PROFILE=long for the long profile.) It starts, each on a free port
of 127.0.0.1 and with its files in one temporary directory:

- a private PostgreSQL (its own `initdb` data directory), so restarting it touches nothing else;
- a private Redis (no persistence): the cache and the task queue;
- moto's S3 server with two buckets, media and private: both stores of the app processes
  (MEDIA_STORAGE_URL, PRIVATE_STORAGE_URL), so no host keeps an uploaded file;
- the fake Stripe API (tests/cluster/stripe_server.py) as the payment provider;
- two `barnraise serve` behind nginx, and two `barnraise worker`.

locust (tests/cluster/journeys.py) walks the marketplace journey through nginx meanwhile, and
the driver injects the faults: kill -9 of one app process (restarted), kill -9 of a worker
while the timer sweeper that posts the settlements runs (found from the worker's own log
line), and an immediate-mode restart of PostgreSQL. At the end it checks the invariants (see
`verdict`) and prints requests per second and p50/p99 per journey step; the long profile also
writes them to bench/results/cluster-<date>.json. Exit status 0 only when every check passed.
"""

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("CLUSTER_PG_BIN", "/usr/lib/postgresql/15/bin"))
PY = sys.executable
# locust and moto run from a virtualenv of their own (`make test-cluster` builds it from
# tests/cluster/requirements.lock): locust needs brotli, with which whitenoise's collectstatic
# would also compress every static file with brotli, which the app's own environment lacks.
TOOLS_PY = os.environ.get("CLUSTER_TOOLS_PYTHON", str(REPO / ".venv-cluster" / "bin" / "python"))
GRACE = 30.0  # seconds after a fault (once recovered) in which errors are allowed

BUCKETS = {"MEDIA_STORAGE_URL": "barnraise-media", "PRIVATE_STORAGE_URL": "barnraise-private"}


@dataclass
class Profile:
    name: str
    seconds: int  # of load
    users: int
    members: int
    providers: int
    app_kills: tuple[int, ...]  # seconds into the load
    worker_kills_after: tuple[int, ...]  # the first sweep at least this far into the load
    pg_restarts: tuple[int, ...]


PROFILES = {
    "short": Profile("short", 90, 8, 30, 10, (10,), (20,), (50,)),
    "long": Profile("long", 600, 16, 60, 20, (60, 330), (120, 420), (220, 500)),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status < 500:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {seconds:.0f}s")
        time.sleep(0.3)


@dataclass
class Fault:
    kind: str
    started: float
    recovered: float = 0.0
    note: str = ""


@dataclass
class Cluster:
    profile: Profile
    root: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    as_postgres: list[str] = field(default_factory=list)

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def log(self, message: str) -> None:
        print(f"[cluster {time.strftime('%H:%M:%S')}] {message}", flush=True)

    # --- processes ---------------------------------------------------------------------------

    def spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        out = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            args, cwd=REPO, env=env or self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()
        self.procs[name] = proc
        return proc

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.get(name)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)  # the process and what it started (gunicorn's workers)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def run(self, name: str, args: list[str], timeout: float = 300) -> None:
        with open(self.logs / f"{name}.log", "ab") as out:
            subprocess.run(
                args,
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=timeout,
            )

    def barnraise(self, *args: str) -> list[str]:
        return [PY, "-m", "barnraise.cli", *args]

    # --- services ----------------------------------------------------------------------------

    def start_postgres(self) -> None:
        data, sockets = self.root / "pg", self.root / "pgsock"
        data.mkdir()
        sockets.mkdir()
        if os.geteuid() == 0:  # initdb refuses root: the server runs as the postgres user
            shutil.chown(data, "postgres")
            shutil.chown(sockets, "postgres")
            self.root.chmod(0o755)
            self.logs.chmod(0o777)
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        port = self.ports["postgres"] = free_port()
        subprocess.run(
            [
                *self.as_postgres,
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={sockets} "
            "-c fsync=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB"
        )
        (data / "cluster.options").write_text(options)
        self.pg_ctl("start", "-o", options)
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "-q",
                "-c",
                "CREATE DATABASE barnraise",
            ],
            check=True,
        )

    def pg_ctl(self, action: str, *extra: str) -> None:
        subprocess.run(
            [
                *self.as_postgres,
                str(PG_BIN / "pg_ctl"),
                action,
                "-D",
                str(self.root / "pg"),
                "-w",
                "-t",
                "60",
                "-l",
                str(self.logs / "postgres.log"),
                *extra,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start_services(self) -> None:
        self.logs.mkdir(parents=True)
        self.start_postgres()
        self.log(f"PostgreSQL on {self.ports['postgres']}")
        port = self.ports["redis"] = free_port()
        self.spawn(
            "redis",
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            env=dict(os.environ),
        )
        port = self.ports["s3"] = free_port()
        self.spawn(
            "moto", [TOOLS_PY, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env=dict(os.environ)
        )
        port = self.ports["stripe"] = free_port()
        stripe_env = dict(os.environ, PYTHONPATH=f"{REPO / 'src'}:{REPO}")
        self.spawn("stripe", [PY, "-m", "tests.cluster.stripe_server", str(port)], env=stripe_env)
        s3 = f"http://127.0.0.1:{self.ports['s3']}"
        wait_http(f"{s3}/", 60)
        for bucket in BUCKETS.values():
            urllib.request.urlopen(urllib.request.Request(f"{s3}/{bucket}", method="PUT"), timeout=10).read()
        wait_http(f"http://127.0.0.1:{self.ports['stripe']}/__cluster__/state", 30)
        self.ports["lb"] = free_port()
        self.ports["app1"], self.ports["app2"] = free_port(), free_port()
        var = self.root / "var"
        self.env = dict(
            os.environ,
            PYTHONPATH=f"{REPO / 'src'}:{REPO}",
            DJANGO_SETTINGS_MODULE="barnraise.config.settings",
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{self.ports['postgres']}/barnraise",
            REDIS_URL=f"redis://127.0.0.1:{self.ports['redis']}/0",
            SECRET_KEY="cluster-test-" + "k" * 40,
            SITE_URL=f"http://127.0.0.1:{self.ports['lb']}",
            NUM_PROXIES="1",
            DEBUG="0",
            LOG_LEVEL="INFO",
            EMAIL_URL="memory://",
            BARNRAISE_VAR_DIR=str(var),
            # Uploaded files on moto's S3 server (with moto's stock credentials); the local
            # directories must stay empty, which `verdict` checks.
            # moto keeps ACLs: the media are written public-read, as on a store with ACLs.
            MEDIA_STORAGE_URL=f"s3://{BUCKETS['MEDIA_STORAGE_URL']}?endpoint={s3}&acl=public-read",
            PRIVATE_STORAGE_URL=f"s3://{BUCKETS['PRIVATE_STORAGE_URL']}?endpoint={s3}",
            # Metrics on, as in production: the Redis commands and the statements are timed.
            METRICS_TOKEN="cluster-metrics-token-" + "m" * 24,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            MEDIA_ROOT=str(self.root / "media"),
            PRIVATE_MEDIA_ROOT=str(self.root / "private"),
            PAYMENT_PROVIDER="stripe",
            STRIPE_SECRET_KEY="sk_test_cluster",
            STRIPE_WEBHOOK_SECRET="whsec_cluster",
            STRIPE_API_BASE=f"http://127.0.0.1:{self.ports['stripe']}",
        )

    def prepare_database(self) -> None:
        p = self.profile
        self.run("migrate", self.barnraise("manage", "migrate", "--no-input", "--verbosity", "0"))
        world = [PY, "-m", "tests.cluster.world", "setup", str(p.members), str(p.providers)]
        self.run("world", [*world, str(self.root / "world.json")])

    def start_app(self, n: int) -> None:
        port = self.ports[f"app{n}"]
        # Each its own VAR_DIR: `serve` collects the static files at start, so two never write
        # one directory at once (a host of its own each, as in production).
        env = dict(self.env, BARNRAISE_VAR_DIR=str(self.root / f"var-app{n}"))
        args = self.barnraise("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2")
        self.spawn(f"app{n}", args, env=env)

    def wait_app(self, n: int) -> None:
        wait_http(f"http://127.0.0.1:{self.ports[f'app{n}']}/api/v1/health", 180)

    def start_worker(self, n: int) -> None:
        self.spawn(f"worker{n}", self.barnraise("worker", "--workers", "2", "--verbose"))

    def start_balancer(self) -> None:
        conf_dir = self.root / "nginx"
        for sub in ("temp/body", "temp/proxy", "temp/fastcgi", "temp/uwsgi", "temp/scgi"):
            (conf_dir / sub).mkdir(parents=True)
            (conf_dir / sub).chmod(0o777)
        user = "user root root;" if os.geteuid() == 0 else ""
        conf = f"""
{user}
worker_processes 1;
pid {conf_dir}/nginx.pid;
error_log {self.logs}/nginx-error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log {self.logs}/nginx-access.log;
    client_body_temp_path {conf_dir}/temp/body;
    proxy_temp_path {conf_dir}/temp/proxy;
    fastcgi_temp_path {conf_dir}/temp/fastcgi;
    uwsgi_temp_path {conf_dir}/temp/uwsgi;
    scgi_temp_path {conf_dir}/temp/scgi;
    client_max_body_size 20m;
    upstream barnraise {{
        server 127.0.0.1:{self.ports["app1"]} max_fails=1 fail_timeout=3s;
        server 127.0.0.1:{self.ports["app2"]} max_fails=1 fail_timeout=3s;
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{self.ports["lb"]};
        location / {{
            proxy_pass http://barnraise;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}
}}
"""
        (conf_dir / "nginx.conf").write_text(conf)
        self.spawn(
            "nginx", ["nginx", "-p", str(conf_dir), "-c", str(conf_dir / "nginx.conf")], env=dict(os.environ)
        )
        wait_http(f"http://127.0.0.1:{self.ports['lb']}/api/v1/health", 30)

    def start(self) -> None:
        self.start_services()
        self.log("services up; migrating and seeding")
        self.prepare_database()
        for n in (1, 2):
            self.start_app(n)
            self.start_worker(n)
        for n in (1, 2):
            self.wait_app(n)
        self.start_balancer()
        self.log(
            f"cluster up: nginx on {self.ports['lb']}, apps on {self.ports['app1']}/{self.ports['app2']}"
        )

    def stop(self) -> None:
        for name in list(self.procs):
            self.kill(name, signal.SIGTERM if name == "nginx" else signal.SIGKILL)
        if (self.root / "pg" / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.pg_ctl("stop", "-m", "immediate")

    # --- faults ------------------------------------------------------------------------------

    def kill_app(self) -> None:
        fault = Fault("kill -9 app1", time.time())
        self.faults.append(fault)
        self.log("fault: kill -9 app process 1")
        self.kill("app1")
        time.sleep(3)
        self.start_app(1)
        self.wait_app(1)
        fault.recovered = time.time()
        self.log(f"app process 1 back after {fault.recovered - fault.started:.1f}s")

    def kill_worker_in_sweep(self, until: float) -> None:
        """Kill -9 the worker whose log says it started the timer sweeper (the settlements' batch)."""
        offsets = {n: (self.logs / f"worker{n}.log").stat().st_size for n in (1, 2)}
        while time.time() < until:
            for n in (1, 2):
                path = self.logs / f"worker{n}.log"
                with path.open("rb") as f:
                    f.seek(offsets[n])
                    new = f.read()
                offsets[n] += len(new)
                if b"Executing barnraise.timers.tasks.timers_sweep" in new:
                    fault = Fault(f"kill -9 worker{n} in the timer sweep", time.time())
                    self.faults.append(fault)
                    self.kill(f"worker{n}")
                    self.log(f"fault: killed worker {n} as its timer sweep started")
                    time.sleep(2)
                    self.start_worker(n)
                    fault.recovered = time.time()
                    return
            time.sleep(0.05)
        self.log("no timer sweep seen in the worker logs: worker fault skipped")
        self.faults.append(Fault("kill -9 worker (no sweep seen)", time.time(), time.time(), "skipped"))

    def restart_postgres(self) -> None:
        fault = Fault("restart PostgreSQL (immediate)", time.time())
        self.faults.append(fault)
        self.log("fault: PostgreSQL restart, immediate mode")
        options = (self.root / "pg" / "cluster.options").read_text()
        self.pg_ctl("restart", "-m", "immediate", "-o", options)
        fault.recovered = time.time()
        self.log(f"PostgreSQL back after {fault.recovered - fault.started:.1f}s")

    def inject(self, started: float) -> None:
        """The app and PostgreSQL faults at their times; the worker faults each in a thread of
        their own, since they wait for a sweep to start (one a minute on each worker)."""
        p = self.profile
        watchers = [
            threading.Thread(target=self.inject_one, args=(started, at, "worker"), daemon=True)
            for at in p.worker_kills_after
        ]
        for watcher in watchers:
            watcher.start()
        plan = sorted([(t, "app") for t in p.app_kills] + [(t, "pg") for t in p.pg_restarts])
        for at, kind in plan:
            self.inject_one(started, at, kind)
        for watcher in watchers:
            watcher.join(timeout=p.seconds)

    def inject_one(self, started: float, at: float, kind: str) -> None:
        delay = started + at - time.time()
        if delay > 0:
            time.sleep(delay)
        try:
            if kind == "app":
                self.kill_app()
            elif kind == "worker":
                self.kill_worker_in_sweep(until=started + min(at + 120, self.profile.seconds - 5))
            else:
                self.restart_postgres()
        except Exception as exc:  # a fault that cannot be injected fails the run, later
            self.faults.append(Fault(f"{kind} fault failed: {exc}", time.time(), time.time(), "error"))

    # --- load --------------------------------------------------------------------------------

    def load(self) -> tuple[float, float]:
        p = self.profile
        env = dict(
            self.env,
            CLUSTER_WORLD=str(self.root / "world.json"),
            CLUSTER_REQUEST_LOG=str(self.root / "requests.jsonl"),
            CLUSTER_TOLD=str(self.root / "told.txt"),
            CLUSTER_PHOTO=str(self.root / "photo.jpg"),
            # where the photos' URLs must point: the media bucket, not the app processes
            CLUSTER_MEDIA_URL=f"http://127.0.0.1:{self.ports['s3']}/{BUCKETS['MEDIA_STORAGE_URL']}/",
        )
        from PIL import Image

        Image.new("RGB", (96, 64), (200, 120, 40)).save(self.root / "photo.jpg", format="JPEG")
        args = [
            TOOLS_PY,
            "-m",
            "locust",
            "-f",
            str(REPO / "tests/cluster/journeys.py"),
            "--headless",
            "-u",
            str(p.users),
            "-r",
            str(max(1, p.users // 4)),
            "-t",
            f"{p.seconds}s",
            "--host",
            f"http://127.0.0.1:{self.ports['lb']}",
            "--stop-timeout",
            "20",
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
        ]
        started = time.time()
        locust = self.spawn("locust", args, env=env)
        injector = threading.Thread(target=self.inject, args=(started,), daemon=True)
        injector.start()
        locust.wait(timeout=p.seconds + 120)
        ended = time.time()
        injector.join(timeout=120)
        return started, ended

    def settle(self, seconds: float = 150) -> float:
        """Wait until the sweepers have finished what the faults left (a provider call is retried
        a minute after it was last touched; a due timer at the next sweep); return the time
        before which every timer must have fired."""
        deadline = time.time() + seconds
        command = [PY, "-m", "tests.cluster.world", "unsettled"]
        while True:
            asked = time.time()
            answer = subprocess.run(
                command, cwd=REPO, env=self.env, capture_output=True, text=True, check=True
            )
            left = json.loads(answer.stdout.strip().splitlines()[-1])
            if not any(left.values()) or time.time() > deadline:
                return asked
            self.log(f"waiting for the sweepers: {left}")
            time.sleep(5)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summarise(cluster: Cluster, started: float, ended: float) -> dict[str, Any]:
    lines = (cluster.root / "requests.jsonl").read_text().splitlines()
    requests = [json.loads(line) for line in lines if line.strip()]
    windows = [(f.started, (f.recovered or f.started) + GRACE) for f in cluster.faults]
    # A request is excused when it was under way at some moment of a window.
    bad_outside = [
        r
        for r in requests
        if (r["status"] == 0 or r["status"] >= 500)
        and not any(r["t"] <= b and r["t"] + r["ms"] / 1000 >= a for a, b in windows)
    ]
    seconds = max(ended - started, 1.0)
    steps: dict[str, dict[str, Any]] = {}
    for name in sorted({r["step"] for r in requests}):
        mine = [r for r in requests if r["step"] == name]
        times = [r["ms"] for r in mine if 200 <= r["status"] < 300]
        steps[name] = {
            "requests": len(mine),
            "per_second": round(len(mine) / seconds, 2),
            "p50_ms": round(percentile(times, 50), 1),
            "p99_ms": round(percentile(times, 99), 1),
            "errors_5xx_or_dropped": sum(1 for r in mine if r["status"] == 0 or r["status"] >= 500),
            "statuses": dict(sorted(Counter(str(r["status"]) for r in mine).items())),
        }
    told = (cluster.root / "told.txt").read_text().split("\n") if (cluster.root / "told.txt").exists() else []
    return {
        "seconds": round(seconds, 1),
        "requests": len(requests),
        "per_second": round(len(requests) / seconds, 2),
        "steps": steps,
        "errors_outside_fault_windows": bad_outside[:50],
        "errors_outside_fault_windows_count": len(bad_outside),
        "deals": sorted({line.split()[1] for line in told if line.startswith("deal ")}),
        "listings": sorted({line.split()[1] for line in told if line.startswith("listing ")}),
        "reviews": steps.get("review", {}).get("requests", 0),
    }


def verdict(cluster: Cluster, load: dict[str, Any], cutoff: float) -> dict[str, Any]:
    """The end-of-run checks; `problems` is empty when all passed."""
    problems: list[str] = []
    told_path = cluster.root / "told.json"
    told_path.write_text(
        json.dumps({"deals": load["deals"], "listings": load["listings"], "timers_due_before": cutoff})
    )
    cluster.run(
        "check", [PY, "-m", "tests.cluster.world", "check", str(told_path), str(cluster.root / "check.json")]
    )
    db = json.loads((cluster.root / "check.json").read_text())
    problems += db["problems"]
    with urllib.request.urlopen(
        f"http://127.0.0.1:{cluster.ports['stripe']}/__cluster__/state", timeout=30
    ) as a:
        stripe = json.loads(a.read())
    for operation, obj, count in stripe["executed"]:
        if count > 1:
            problems.append(f"the fake Stripe carried out {operation} {count} times on {obj}")
    intents = {k: v for k, v in stripe["objects"].items() if v.get("object") == "payment_intent"}
    for pi, payment in db["payments"].items():
        intent = intents.get(pi)
        if intent is None:
            problems.append(f"payment {pi} is not at Stripe")
            continue
        captured_here = payment["status"] in ("captured", "released", "refunded")
        if captured_here != (intent["status"] == "succeeded"):
            problems.append(f"payment {pi} is {payment['status']} here and {intent['status']} at Stripe")
    verify = subprocess.run(
        cluster.barnraise("ledger", "verify"),
        cwd=REPO,
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if verify.returncode != 0:
        problems.append(f"barnraise ledger verify failed: {verify.stdout}{verify.stderr}")
    sums = [line for line in verify.stdout.splitlines() if "postings sum to" in line]
    problems += [
        f"trial balance not zero: {line.strip()}" for line in sums if not line.strip().endswith(" 0")
    ]
    if load["errors_outside_fault_windows_count"]:
        problems.append(
            f"{load['errors_outside_fault_windows_count']} requests got a 5xx or no answer outside the "
            f"{GRACE:.0f}s after a fault, e.g. {load['errors_outside_fault_windows'][:3]}"
        )
    problems += [f"fault not injected: {f.kind}" for f in cluster.faults if f.note in ("error", "skipped")]
    problems += redis_timed(cluster)
    kept = [
        str(path.relative_to(cluster.root))
        for folder in ("media", "private")
        for path in (cluster.root / folder).rglob("*")
        if path.is_file()
    ]
    if kept:
        problems.append(f"uploaded files were kept on the local disk, not the store: {kept[:5]}")
    if not load["steps"].get("photo_fetch", {}).get("requests"):
        problems.append("no photo was fetched back from the media bucket")
    if not load["deals"] or not load["reviews"]:
        problems.append("no journey reached its end: the load did nothing")
    return {
        "problems": problems,
        "database": {k: v for k, v in db.items() if k not in ("payments", "problems")},
        "payments": len(db["payments"]),
        "stripe_requests": stripe["requests"],
        "ledger_verify": verify.stdout.strip(),
    }


def redis_timed(cluster: Cluster) -> list[str]:
    """The app processes timed their Redis commands: /metrics (read with the token through the
    balancer) counts the cache's commands."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{cluster.ports['lb']}/metrics",
        headers={"Authorization": f"Bearer {cluster.env['METRICS_TOKEN']}"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read().decode()
    counted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith('barnraise_redis_command_duration_seconds_count{client="cache"')
    )
    return [] if counted > 0 else ["/metrics counts no Redis command of the cache"]


def render(load: dict[str, Any]) -> str:
    rows = [f"{'step':<14}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'5xx/drop':>9}"]
    for name, s in load["steps"].items():
        rows.append(
            f"{name:<14}{s['requests']:>9}{s['per_second']:>8}{s['p50_ms']:>9}{s['p99_ms']:>9}"
            f"{s['errors_5xx_or_dropped']:>9}"
        )
    rows.append(f"{'all':<14}{load['requests']:>9}{load['per_second']:>8}")
    return "\n".join(rows)


def print_logs(root: Path) -> None:
    for path in sorted((root / "logs").glob("*.log")):
        lines = path.read_text(errors="replace").splitlines()
        print(f"\n----- {path.name} (last 40 of {len(lines)} lines) -----")
        print("\n".join(lines[-40:]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--profile", choices=sorted(PROFILES), default=os.environ.get("CLUSTER_PROFILE", "short")
    )
    parser.add_argument("--keep", action="store_true", help="Keep the temporary directory.")
    args = parser.parse_args()
    profile = PROFILES[args.profile]
    root = Path(tempfile.mkdtemp(prefix="barnraise-cluster-"))
    cluster = Cluster(profile, root)
    ok = False
    began = time.time()
    try:
        cluster.start()
        started, ended = cluster.load()
        cluster.log("load over; waiting for the sweepers")
        cutoff = cluster.settle()
        load = summarise(cluster, started, ended)
        checks = verdict(cluster, load, cutoff)
        result = {
            "profile": profile.name,
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count()},
            "users": profile.users,
            "faults": [
                {
                    "kind": f.kind,
                    "at_s": round(f.started - started, 1),
                    "recovered_after_s": round((f.recovered or f.started) - f.started, 1),
                }
                for f in cluster.faults
            ],
            "load": {k: v for k, v in load.items() if k not in ("deals", "listings")},
            "deals": len(load["deals"]),
            "checks": checks,
            "wall_seconds": round(time.time() - began, 1),
        }
        (root / "results.json").write_text(json.dumps(result, indent=2))
        print(render(load))
        for fault in result["faults"]:
            print(f"fault at {fault['at_s']}s: {fault['kind']} (back after {fault['recovered_after_s']}s)")
        print(f"deals: {len(load['deals'])}, reviews: {load['reviews']}; {checks['ledger_verify']}")
        if profile.name == "long":
            out = REPO / "bench" / "results" / f"cluster-{dt.datetime.now(dt.UTC).date().isoformat()}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result, indent=2))
            print(f"JSON: {out}")
        for problem in checks["problems"]:
            print(f"PROBLEM: {problem}")
        ok = not checks["problems"]
        print(f"cluster test {'passed' if ok else 'FAILED'} in {time.time() - began:.0f}s")
    except Exception as exc:
        print(f"cluster test FAILED: {exc!r}")
    finally:
        cluster.stop()
        if not ok:
            print_logs(root)
            print(f"\nLogs and data kept in {root}")
        elif not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"Kept {root}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
