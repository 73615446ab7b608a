"""The `barnraise` command as an operator runs it: in a fresh directory, as a subprocess."""

import os
import subprocess
import time

import pytest

from tests.conftest import BARNRAISE, run


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DATABASE_URL": "mysql://db/x"}, "unsupported database"),
        ({"DATABASE_URL": "postgres://postgres@127.0.0.1:1/none"}, "cannot reach the database"),
        ({"REDIS_URL": "redis://127.0.0.1:1/0"}, "cannot reach Redis"),
        ({"REDIS_URL": "http://nope"}, "REDIS_URL"),
        ({"SITE_URL": "not a url"}, "SITE_URL"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 32"),
        ({"EMAIL_URL": "pigeon://coop"}, "EMAIL_URL"),
        ({"PAYOUT_SCHEDULES": "weekly,daily"}, "PAYOUT_SCHEDULES names daily"),
        ({"PAYOUT_SCHEDULES": "weekly", "PAYOUT_SCHEDULE_DEFAULT": "monthly"}, "PAYOUT_SCHEDULE_DEFAULT"),
    ],
)
def test_broken_setting_fails_at_start_with_a_clear_message(tmp_path, env, message):
    # when an operator starts the worker with a setting that is on but broken
    result = run(["worker"], tmp_path, **env)
    # then it stops at once, naming the problem, without a traceback
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_manage_passes_through_and_reports_config_errors(tmp_path):
    # when
    ok = run(["manage", "check"], tmp_path)
    broken = run(["manage", "check"], tmp_path, DEBUG="perhaps")
    # then
    assert ok.returncode == 0, ok.stderr
    assert "no issues" in ok.stdout
    assert broken.returncode != 0
    assert "Traceback" not in broken.stderr


def test_secret_key_is_generated_once_into_var(tmp_path):
    # when the command runs twice without SECRET_KEY
    run(["manage", "check"], tmp_path)
    first = (tmp_path / "var" / "secret_key").read_text()
    run(["manage", "check"], tmp_path)
    # then the key is kept, private to the owner
    assert (tmp_path / "var" / "secret_key").read_text() == first
    assert len(first) >= 50
    assert oct((tmp_path / "var" / "secret_key").stat().st_mode & 0o777) == "0o600"


PAYOUT_STATES = (
    "from barnraise.ledger.models import PayoutAccount as P\n"
    "for a in P.objects.filter(owner__email__startswith='alice.martin@') | "
    "P.objects.filter(owner__email__startswith='bob.nguyen@'):\n"
    "    print(a.owner.email.split('@')[0], 'ready' if a.ready else 'onboarding', a.currently_due)"
)

PAID_OUT_DEALS = (
    "from barnraise.ledger.models import PayoutItem as I\n"
    "for i in I.objects.filter(owner__email__startswith='bob.nguyen@', payout__status='paid', "
    "reference__startswith='transaction:'):\n"
    "    print('paid out for a deal', i.amount_minor > 0)"
)


FAR_AHEAD = (
    "from barnraise.commerce.models import Transaction as T\n"
    "from barnraise.ledger.models import Payment\n"
    "for t in T.objects.filter(customer__email__startswith='alice.martin@', state='scheduled'):\n"
    "    print(t.state, t.process_version, Payment.objects.get(reference=f'transaction:{t.pk}').status)"
)


@pytest.mark.slow
def test_seed_is_idempotent_and_createoperator_works(tmp_path):
    # given a fresh directory: seeding migrates nothing by itself, so migrate first
    assert run(["manage", "migrate", "--no-input"], tmp_path).returncode == 0
    # when the seed runs twice
    first = run(["seed", "--members", "6", "--listings", "20"], tmp_path)
    second = run(["seed", "--members", "6", "--listings", "20"], tmp_path)
    # then the second run adds nothing
    assert first.returncode == 0, first.stderr
    assert "'listings_added': 20" in first.stdout
    assert "'listings_added': 0" in second.stdout
    assert "listings" in first.stderr  # the progress bar
    # and the demo's customer login has a payout account with the bank account still due, the
    # provider login one that finished onboarding (the wallet shows both kinds)
    states = run(["manage", "shell", "-c", PAYOUT_STATES], tmp_path)
    assert states.returncode == 0, states.stderr
    assert "alice.martin onboarding ['external_account']" in states.stdout
    assert "bob.nguyen ready []" in states.stdout
    # and a booking a month ahead waits, accepted, for its saved card to be charged (booking v3 on)
    far = run(["manage", "shell", "-c", FAR_AHEAD], tmp_path)
    assert far.returncode == 0, far.stderr
    assert "scheduled 4 scheduled" in far.stdout, far.stdout
    # and the provider login's completed deal was paid out (its timeline shows the payout)
    paid_out = run(["manage", "shell", "-c", PAID_OUT_DEALS], tmp_path)
    assert "paid out for a deal True" in paid_out.stdout, paid_out.stdout + paid_out.stderr
    # and an operator can be created from the command line
    made = run(
        ["createoperator", "--email", "ops@example.com", "--group", "finance", "--password", "x-9-long-pass"],
        tmp_path,
    )
    assert made.returncode == 0, made.stderr
    assert "finance" in made.stdout


def test_serve_on_postgresql_refuses_to_start_without_secret_key(tmp_path):
    # when an operator serves a PostgreSQL database without SECRET_KEY in the environment
    result = run(["serve"], tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:1/none")
    # then it stops before reaching for the database, naming the variable
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "cannot reach the database" not in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_on_postgresql_with_secret_key_and_on_sqlite_without_pass_the_key_check(tmp_path):
    # given the key in the environment on PostgreSQL, and no key at all on SQLite
    postgres_dir = tmp_path / "pg"
    postgres_dir.mkdir()
    # when both are served (each then stops at an unreachable service, after the key check)
    on_postgres = run(
        ["serve"], postgres_dir, DATABASE_URL="postgres://postgres@127.0.0.1:1/none", SECRET_KEY="k" * 40
    )
    on_sqlite = run(["serve"], tmp_path, REDIS_URL="redis://127.0.0.1:1/0")
    # then neither complains of the key; SQLite keeps today's generated key
    assert "cannot reach the database" in on_postgres.stderr
    assert "SECRET_KEY" not in on_postgres.stderr
    assert "cannot reach Redis" in on_sqlite.stderr
    assert "SECRET_KEY" not in on_sqlite.stderr
    assert (tmp_path / "var" / "secret_key").exists()


def test_worker_verbose_starts_and_logs_each_task(tmp_path):
    # when an operator starts the worker with --verbose (huey's INFO: a line per task)
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")
    }
    worker = subprocess.Popen(  # noqa: S603 - our own command
        [*BARNRAISE, "worker", "--verbose", "--workers", "1"],
        cwd=tmp_path,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 120
        assert worker.stdout is not None
        while time.monotonic() < deadline and worker.poll() is None:
            line = worker.stdout.readline()
            lines.append(line)
            if "The following commands are available" in line or "Scheduler runs every" in line:
                break
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    # then it runs, at INFO, rather than refusing an option
    output = "".join(lines)
    assert "unrecognized arguments" not in output
    assert "Scheduler runs every" in output or "The following commands are available" in output, output


def test_serve_collects_static_files_once_until_they_change(settings, tmp_path, monkeypatch):
    from barnraise import cli

    settings.STATIC_ROOT = str(tmp_path / "static")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    calls = []
    real = cli._manage
    monkeypatch.setattr(cli, "_manage", lambda *args: (calls.append(args[0]), real(*args)))
    # the first start collects; a second start (another process, a restart) finds them collected
    cli._collect_static()
    assert calls == ["collectstatic"] and (tmp_path / "static" / "web" / "site.css").is_file()
    cli._collect_static()
    assert calls == ["collectstatic"]
    # a different storage (hashing them) collects again
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    cli._collect_static()
    assert calls == ["collectstatic", "collectstatic"]
