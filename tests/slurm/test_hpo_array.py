"""scripts/slurm/hpo.sbatch: a job array of trials, throttled, all joining one journal study."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import optuna
import pytest

from kdgat.hpo.study import load
from kdgat.slurm import jobs

from ..pipeline.workspace import run
from ..slurm_cluster import FINISHED, job_env

pytestmark = pytest.mark.slurm


def watch(job_id: str, timeout: float = 300) -> tuple[list[dict[str, str]], int]:
    """Poll until the array has ended; (final rows, most tasks seen running at once)."""
    peak, deadline = 0, time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = jobs.scontrol_states(job_id)
        peak = max(peak, sum(row["state"] == "RUNNING" for row in rows))
        if len(rows) == 4 and all(row["state"] in FINISHED for row in rows):
            return rows, peak
        time.sleep(0.5)
    raise AssertionError(f"array {job_id} not finished after {timeout} s")


def test_four_trials_two_at_a_time_give_exactly_four_finished_trials(submit_root: Path) -> None:
    run(["dvc", "repro", "graphs@synth"], submit_root)  # trials train on the main graphs
    args = ["--study", "array4", "--model", "gat", "--trials", "4", "--parallel", "2"]
    submitted = subprocess.run(
        ["kdgat", "slurm", "hpo", *args],
        cwd=submit_root,
        env=job_env(submit_root),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert submitted.returncode == 0, submitted.stderr
    job = re.search(r"hpo job array (\d+):", submitted.stdout)[1]  # type: ignore[index]
    rows, peak = watch(job)
    logs = submit_root / ".kdgat/slurm/logs"
    outputs = "\n".join(p.read_text() for p in logs.glob(f"kdgat-hpo-{job}_*.out"))
    assert [row["state"] for row in rows] == ["COMPLETED"] * 4, outputs
    assert peak == 2  # the %2 throttle: never more, although 4 CPUs were free

    study = load("array4", str(submit_root / ".kdgat/hpo/journal.log"))
    trials = study.get_trials()
    finished = {optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED}
    assert sorted(t.number for t in trials) == [0, 1, 2, 3]  # none lost, none twice
    assert all(t.state in finished for t in trials)
    assert len({json.dumps(t.params, sort_keys=True) for t in trials}) == 4
    for trial in trials:
        folder = submit_root / ".kdgat/hpo/array4" / f"trial-{trial.number}"
        assert (folder / "dvclive/metrics.json").is_file()
        assert json.loads((folder / "trial.json").read_text())["number"] == trial.number
    assert study.user_attrs == {"model": "gat", "dataset": "synth", "metric": "val/loss"}
