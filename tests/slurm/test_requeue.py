"""A training job near its time limit: SLURM signals it, the training checkpoints, the job
requeues itself, and the requeued job resumes in the same worktree where training stopped.

The job is submitted when the session starts (tests/slurm_cluster.py's requeue_job): it
spends most of its time waiting for SLURM's signal, while the other tests run.
"""

from __future__ import annotations

import pytest

from ..slurm_cluster import RequeueJob, wait_for
from .requeue import handovers, resumed, runs_of

pytestmark = pytest.mark.slurm


def test_a_signalled_job_requeues_and_training_continues(requeue_job: RequeueJob | None) -> None:
    if requeue_job is None:
        pytest.skip("no SLURM cluster here (see slurm_cluster)")
    requeue_job.watcher.join(timeout=420)  # it cancels the job once a run has resumed
    (row,) = wait_for(requeue_job.id, timeout=60)
    output = requeue_job.log.read_text()
    runs = runs_of(output)
    assert resumed(runs), output
    assert all(after[0] >= before[-1] for before, after in handovers(runs)), output
    assert "requeueing job" in output
    assert "resuming vgae_synth-42 from" in output
    assert int(row["restarts"]) >= 1, row
    assert row["state"] == "CANCELLED", row
    worktree = requeue_job.scratch / "worktrees" / requeue_job.id
    assert output.count(f"reusing worktree {worktree}") == len(runs) - 1
