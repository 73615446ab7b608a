"""`barnraise demo` stops its server and its worker when it is signalled (issue #17, item 25).

The demo runs as an operator runs it (a subprocess in a fresh directory, the smallest seed), is
sent SIGTERM (`kill <pid>`) or SIGINT (Ctrl-C), and must leave no process and no open port.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting for its parent."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def wait_for(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_the_demo_stops_the_server_and_the_worker(tmp_path: Path, signum: int) -> None:
    # given the demo serving on a free port, with the smallest seed, in a fresh directory
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")
    }
    env["BARNRAISE_VAR_DIR"] = str(tmp_path / "var")
    command = [
        sys.executable,
        "-m",
        "barnraise.cli",
        "demo",
        "--port",
        str(port),
        "--members",
        "2",
        "--listings",
        "0",
    ]
    log = (tmp_path / "demo.log").open("wb")
    demo = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    children: set[int] = set()
    try:
        assert wait_for(lambda: listening(port) or demo.poll() is not None, 240), "the demo did not start"
        assert demo.poll() is None, (tmp_path / "demo.log").read_text()
        # the server's master and its workers, and the task worker
        assert wait_for(lambda: len(descendants(demo.pid)) >= 4, 60), descendants(demo.pid)
        children = descendants(demo.pid)
        # when the demo's own process (only it) is signalled
        os.kill(demo.pid, signum)
        # then it ends, and so does every process it started, and the port is closed
        assert demo.wait(timeout=60) is not None
        assert wait_for(lambda: not any(alive(pid) for pid in children), 30), [
            p for p in children if alive(p)
        ]
        assert not listening(port)
    finally:
        for pid in [demo.pid, *children]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        demo.wait(timeout=10)
        log.close()
