"""`kdgat slurm submit`: one array task per stale dataset chain, then a collect job (afterok)
that restores everything in the main workspace from the run-cache, exports, and pushes."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from kdgat.slurm.submit import pipeline_stages

from ..pipeline.workspace import SECOND, named, ran_stages, run
from ..slurm_cluster import job_env

pytestmark = pytest.mark.slurm

DATASETS = ("synth", SECOND)


def kdgat(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["kdgat", *args], cwd=root, env=job_env(root), capture_output=True, text=True, timeout=600
    )


def test_dry_run_prints_the_commands_and_submits_nothing(submit_root: Path) -> None:
    last = submit_root / ".kdgat/slurm/last.json"
    before = last.read_text() if last.exists() else None
    result = kdgat(submit_root, "slurm", "submit", "train_vgae", "--dry-run")
    assert result.returncode == 0, result.stderr
    chain, collect = result.stdout.strip().splitlines()
    assert "--array=0-1" in chain
    assert chain.endswith("train_vgae@synth-42 train_vgae@synth_b-42")
    assert "'--dependency=afterok:<chain-job-id>'" in collect
    assert "--in-place train_vgae@synth-42 train_vgae@synth_b-42" in collect
    assert "KDGAT_REV=" in chain
    assert "--cpus-per-task=1" in chain
    assert (last.read_text() if last.exists() else None) == before  # nothing recorded


def test_two_datasets_run_as_two_chain_jobs_then_one_collect_job(submit_root: Path) -> None:
    per_dataset, stages = pipeline_stages(submit_root)
    exports = "export" in stages  # with the lakehouse stage: the whole pipeline, then export
    stage = per_dataset[-1] if exports else "train_vgae"
    submitted = kdgat(submit_root, "slurm", "submit", stage)
    assert submitted.returncode == 0, submitted.stderr
    chain = re.search(r"chain +job (\d+)", submitted.stdout)
    collect = re.search(r"collect +job (\d+)", submitted.stdout)
    assert chain, submitted.stdout
    assert collect, submitted.stdout
    shown = subprocess.run(
        ["scontrol", "show", "job", "-o", collect[1]], capture_output=True, text=True
    ).stdout
    assert f"Dependency=afterok:{chain[1]}_*" in shown

    status = kdgat(submit_root, "slurm", "status", "--wait", "--json", "--interval", "2")
    rows = json.loads(status.stdout)
    assert status.returncode == 0, status.stdout
    assert sorted((r["kind"], r["id"]) for r in rows) == [
        ("chain", f"{chain[1]}_0"),
        ("chain", f"{chain[1]}_1"),
        ("collect", collect[1]),
    ]
    assert {r["state"] for r in rows} == {"COMPLETED"}
    finals = [named(stage, dataset) for dataset in DATASETS]
    assert sorted(r["targets"] for r in rows if r["kind"] == "chain") == finals

    log = next((submit_root / ".kdgat/slurm/logs").glob(f"kdgat-collect-{collect[1]}.out"))
    collected = log.read_text()
    assert ran_stages(collected) <= ({"export", "figures"} if exports else set()), collected
    for final in finals:
        assert f"Stage '{final}' is cached - skipping run" in collected
    assert "up to date" in run(["dvc", "status", *finals], submit_root).stdout.lower()
    if exports:
        lakehouse = submit_root / "lakehouse"
        for dataset in DATASETS:
            assert list(lakehouse.rglob(f"dataset={dataset}")), f"{dataset} not in {lakehouse}"

    again = kdgat(submit_root, "slurm", "submit", stage)
    assert again.returncode == 0
    assert "nothing to submit" in again.stdout
