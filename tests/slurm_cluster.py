"""A real single-node SLURM cluster (scripts/ci/start_slurm.sh), and the time-limit job.

Fixtures imported by tests/conftest.py. The requeue job of tests/slurm/test_requeue.py
is submitted by the first SLURM test (tests/slurm/conftest.py): it spends about two
minutes waiting for SLURM's signal while the other SLURM tests run.

The cluster advertises 4 CPUs on a 2-core machine (SLURM_CPUS) so that a job array
throttled to 2 has room to show the throttle. Jobs run as root here; on a cluster
they run as the user. The cluster is stopped at the end only if this session
started it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kdgat.slurm import jobs

from .pipeline.workspace import (
    REPO,
    commit,
    env,
    make_workspace,
    update_params,
)
from .slurm import requeue

CI = REPO / "scripts" / "ci"
FINISHED = jobs.FINISHED


def _running() -> bool:
    pid = Path("/run/slurm/slurmctld.pid")
    if not pid.is_file():
        return False
    status = Path(f"/proc/{pid.read_text().strip()}/status")
    return status.is_file() and "\nState:\tZ" not in status.read_text()


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[None]:
    """Start the cluster (installing it on first use); stop it afterwards if we started it."""
    if os.geteuid() != 0:
        pytest.skip("the test cluster runs slurmctld/slurmd as root; run the tests as root")
    if not shutil.which("sbatch") and not shutil.which("apt-get"):
        pytest.skip("no SLURM and no apt-get to install it (Debian's slurmctld/slurmd)")
    started_here = not _running()
    result = subprocess.run(
        [str(CI / "start_slurm.sh")],
        env={**os.environ, "SLURM_CPUS": "4"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"start_slurm.sh failed:\n{result.stdout}\n{result.stderr}"
    yield
    if started_here:
        subprocess.run([str(CI / "stop_slurm.sh")], capture_output=True, timeout=120)


def job_env(root: Path) -> dict[str, str]:
    """What the jobs need: the venv, scratch for worktrees, one CPU each."""
    return env(
        {
            "KDGAT_VENV": sys.prefix,
            "KDGAT_SCRATCH": str(root.parent / "scratch"),
            "KDGAT_CPUS": "1",
            "KDGAT_MEM": "1G",
            "KDGAT_SBATCH_EXTRA": "",
            "PYTHONUNBUFFERED": "1",
        }
    )


def sbatch(root: Path, args: list[str], extra_env: dict[str, str] | None = None) -> str:
    """Submit from ``root``; the job id."""
    result = subprocess.run(
        ["sbatch", "--parsable", *args],
        cwd=root,
        env={**job_env(root), **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split(";")[0]


def wait_for(job_id: str, timeout: float = 300) -> list[dict[str, str]]:
    """Poll until every task of the job has ended; its final rows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = jobs.scontrol_states(job_id)
        if rows and all(row["state"] in FINISHED for row in rows):
            return rows
        time.sleep(1)
    raise AssertionError(f"job {job_id} still not finished after {timeout} s: {rows}")


@dataclass(frozen=True)
class RequeueJob:
    id: str
    log: Path
    scratch: Path
    watcher: threading.Thread


@pytest.fixture(scope="session")
def requeue_job(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RequeueJob | None]:
    """The time-limit job of test_requeue.py, submitted by the first SLURM test.

    It spends most of its minutes waiting for SLURM's signal, so the other SLURM tests
    (collected before test_requeue.py, tests/parallel.py) run meanwhile; a thread cancels
    it once a requeued run has resumed, and test_requeue.py checks its log.
    """
    if not any(item.path.name == "test_requeue.py" for item in request.session.items):
        yield None
        return
    try:
        request.getfixturevalue("slurm_cluster")
    except pytest.skip.Exception:  # no cluster here: test_requeue.py skips, not this test
        yield None
        return
    root = make_workspace(tmp_path_factory.mktemp("requeue") / "repo")
    update_params(root, {"vgae.epochs": requeue.EPOCHS, "patience": requeue.EPOCHS})
    commit(root, "long training")
    log, scratch = root.parent / "requeue.out", root.parent / "scratch"
    # USR1 30 s before a 2-minute limit. SLURM checks limits every 30 s and sends the signal
    # up to one tick early: 60 to 90 s after the start, once the training has done epochs.
    args = ["--time=2", "--signal=B:USR1@30", "--cpus-per-task=1", f"--output={log}"]
    args.append("scripts/slurm/repro.sbatch")
    job = sbatch(root, [*args, "train_vgae@synth-42"], {"KDGAT_SCRATCH": str(scratch)})
    watcher = requeue.cancel_once_resumed(job, log, timeout=400)
    yield RequeueJob(job, log, scratch, watcher)
    subprocess.run(["scancel", job], capture_output=True)
