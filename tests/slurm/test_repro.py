"""scripts/slurm/repro.sbatch: a job reproduces a target in its own worktree; the main
workspace then restores every stage of it from DVC's run-cache instead of running it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..pipeline.workspace import SECOND, ran_stages, run
from ..slurm_cluster import sbatch, wait_for

pytestmark = pytest.mark.slurm

TARGET = f"graphs@{SECOND}"  # the other tests build synth's graphs; nobody else builds these
STAGES = {f"ingest@{SECOND}", TARGET}


def test_a_job_builds_a_target_and_main_restores_it_from_the_run_cache(submit_root: Path) -> None:
    log = submit_root.parent / "repro-%j.out"
    args = [f"--output={log}", "--cpus-per-task=1", "scripts/slurm/repro.sbatch", TARGET]
    job = sbatch(submit_root, args)
    (row,) = wait_for(job)
    output = Path(str(log).replace("%j", job)).read_text()
    assert row["state"] == "COMPLETED", output
    assert ran_stages(output) == STAGES
    worktree = submit_root.parent / "scratch" / "worktrees" / job
    assert f"workspace {worktree}" in output
    assert not worktree.exists()  # removed: its outputs are in the shared cache
    assert not (submit_root / "data/graphs" / SECOND).exists()  # not built in main

    restored = run(["dvc", "repro", TARGET], submit_root).stdout
    assert ran_stages(restored) == set()
    for stage in sorted(STAGES):
        assert f"Stage '{stage}' is cached - skipping run, checking out outputs" in restored
    assert (submit_root / "data/graphs" / SECOND / "train/meta.json").is_file()
    assert "up to date" in run(["dvc", "status", TARGET], submit_root).stdout.lower()
