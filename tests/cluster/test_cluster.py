"""`make test-cluster`: the cluster test's driver, run as CI runs it (marker `cluster`, outside
the default run). It needs PostgreSQL's server binaries, PostGIS, Redis, nginx and the
cluster's tool environment (.venv-cluster, made by `make test-cluster`)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cluster.run import PG_BIN, REPO, TOOLS_PY

pytestmark = pytest.mark.cluster


def test_the_cluster_survives_its_faults():
    for need in ("nginx", "redis-server", "psql"):
        assert shutil.which(need), f"{need} is not installed"
    assert (PG_BIN / "initdb").exists(), f"no PostgreSQL server binaries in {PG_BIN}"
    assert Path(TOOLS_PY).exists(), "no cluster tool environment: run `make test-cluster`"
    # when the short profile runs: services, load and faults
    profile = os.environ.get("CLUSTER_PROFILE", "short")
    result = subprocess.run(
        [sys.executable, "-m", "tests.cluster.run", "--profile", profile], cwd=REPO, timeout=1800
    )
    # then every end-of-run check passed (the driver prints what failed, and the logs)
    assert result.returncode == 0
