"""The per-command directories of prometheus-client's multiprocess files (serve, worker)."""

import os

from barnraise.observability import multiprocess


def test_a_start_empties_its_own_directory_and_drops_only_those_of_dead_processes(tmp_path, monkeypatch):
    monkeypatch.setenv(multiprocess.ENV, "restored-after-the-test")
    # given the directory a dead worker left, a running server's, and a stale one of our own
    dead = tmp_path / "worker-99999999"
    running = tmp_path / f"serve-{os.getppid()}"
    stale = tmp_path / f"worker-{os.getpid()}"
    for directory in (dead, running, stale):
        directory.mkdir()
        (directory / "counter_1.db").write_bytes(b"old")
    # when a worker starts
    mine = multiprocess.prepare(tmp_path, "worker")
    # then its directory is new and empty, the dead one is gone, the running one is kept
    assert mine == stale and list(mine.iterdir()) == []
    assert not dead.exists()
    assert (running / "counter_1.db").exists()
    assert os.environ[multiprocess.ENV] == str(mine)
    assert multiprocess.directories(tmp_path) == sorted([running, mine])
