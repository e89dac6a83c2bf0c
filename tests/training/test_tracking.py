"""W&B on top of dvclive, offline (compute nodes have no internet), one stable run per stage."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from kdgat.config import load_params
from kdgat.training import stages
from kdgat.training.tracking import stable_run_id

from .conftest import DATASET, tiny_params

pytestmark = pytest.mark.slow


def test_wandb_offline_run_with_a_stable_id(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wandb

    wandb.teardown()  # an earlier test's W&B service and settings must not carry over
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    params = tiny_params(epochs=1, tracking={"wandb": True, "project": "kdgat-test"})
    (workspace / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    p = load_params(workspace / "params.yaml")
    stages.train_vgae(DATASET, p)
    stages.train_vgae(DATASET, p)  # a requeued job: the same run, not a new one
    run_id = stable_run_id(f"vgae@{DATASET}")
    runs = sorted((workspace / "dvclive" / "vgae" / "wandb").glob("offline-run-*"))
    assert runs, "no offline W&B run was written"
    assert {r.name.rsplit("-", 1)[1] for r in runs} == {run_id}
    # The history to `wandb sync` later; wandb's service process writes it, maybe a moment later.
    deadline = time.monotonic() + 60
    while not all(any(r.glob("*.wandb")) for r in runs) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert all(any(r.glob("*.wandb")) for r in runs)
    # dvclive keeps logging beside W&B
    metrics = json.loads((workspace / "dvclive" / "vgae" / DATASET / "metrics.json").read_text())
    assert "loss" in metrics["val"]
