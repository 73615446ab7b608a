"""The released process versions' fingerprints, kept in `versions.lock` (committed, like
migrations).

A version's fingerprint is the SHA-256 of its behaviour (`Process.behaviour()`: states,
transitions, actors, guards, actions, timers, params), not of its wording. Once a version is
in the lock file it is released: `manage.py check` fails if its behaviour changes (publish a new
version instead), and `barnraise manage lockprocesses` adds new versions, never rewriting one.
"""

import hashlib
import json
from pathlib import Path

from barnraise.commerce.processes.definitions import Process

LOCK_PATH = Path(__file__).with_name("versions.lock")
Lock = dict[str, dict[str, str]]  # process name -> version -> fingerprint


def fingerprint(process: Process) -> str:
    canonical = json.dumps(process.behaviour(), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def read(path: Path | None = None) -> Lock:
    path = path or LOCK_PATH
    if not path.exists():
        return {}
    found: Lock = json.loads(path.read_text(encoding="utf-8"))
    return found


def released(lock: Lock, process: Process) -> str | None:
    """The fingerprint the version was released with, or None if it is not released yet."""
    return lock.get(process.name, {}).get(str(process.version))


def add_new(processes: list[Process], path: Path | None = None) -> list[Process]:
    """Write the versions the lock file lacks into it (existing entries stay as they are);
    returns them."""
    path = path or LOCK_PATH
    lock = read(path)
    new = [p for p in processes if released(lock, p) is None]
    for process in new:
        lock.setdefault(process.name, {})[str(process.version)] = fingerprint(process)
    if new:
        ordered = {
            name: dict(sorted(v.items(), key=lambda kv: int(kv[0]))) for name, v in sorted(lock.items())
        }
        path.write_text(json.dumps(ordered, indent=2) + "\n", encoding="utf-8")
    return new
