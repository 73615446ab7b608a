"""`barnraise manage lockprocesses`: release the new process versions into versions.lock."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from barnraise.commerce import processes
from barnraise.commerce.processes import lock


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # it answers the checks' barnraise.W001
    help = (
        "Write the fingerprint of each process version not yet in commerce/processes/versions.lock "
        "(never rewriting a released one). Commit the file with the new version."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        published = list(processes.PROCESSES.values())
        locked = lock.read()
        changed = [p for p in published if lock.released(locked, p) not in (None, lock.fingerprint(p))]
        for process in lock.add_new(published):
            self.stdout.write(f"Released {process.name} version {process.version}.")
        if changed:
            names = ", ".join(f"{p.name} version {p.version}" for p in changed)
            raise CommandError(
                f"Changed after release, left as released: {names}. Publish a new version instead."
            )
        self.stdout.write("The lock file is up to date.")
