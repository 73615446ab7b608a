"""prometheus-client's multiprocess mode under `barnraise serve` and `worker`.

Each such command gets a directory of its own under METRICS_DIR, named after its process id
(`serve-<pid>`, `worker-<pid>`; gunicorn keeps the pid of `serve`, which it replaces), made
empty at start, and points PROMETHEUS_MULTIPROC_DIR at it before anything imports
prometheus-client; its processes (gunicorn's workers, the worker's threads) write their values
there. `/metrics` adds up every directory under METRICS_DIR, so on one host it shows the site's
and the worker's counts. A directory whose process is gone is removed by the next start, so
METRICS_DIR belongs to one host (one process-id space: containers do not share it).
"""

import os
import shutil
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def prepare(root: Path, kind: str) -> Path:
    """Make this process's empty directory, drop those of dead processes; set the variable."""
    root.mkdir(parents=True, exist_ok=True)
    mine = root / f"{kind}-{os.getpid()}"
    for old in root.iterdir():
        _, _, pid = old.name.rpartition("-")
        if old.is_dir() and pid.isdigit() and (old == mine or not _alive(int(pid))):
            shutil.rmtree(old, ignore_errors=True)
    mine.mkdir()
    os.environ[ENV] = str(mine)
    return mine


def directories(root: Path) -> list[Path]:
    """Every process group's directory on this host."""
    if not root.is_dir():
        return []
    return sorted(path for path in root.iterdir() if path.is_dir())
