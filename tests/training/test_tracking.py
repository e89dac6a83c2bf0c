"""W&B on top of dvclive, offline (compute nodes have no internet), one stable run per stage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from kdgat.config import load_params
from kdgat.training import stages
from kdgat.training.tracking import stable_run_id

from ..helpers import wait_for_histories
from .conftest import DATASET, tiny_params

pytestmark = pytest.mark.slow


@pytest.mark.usefixtures("offline_wandb")
def test_wandb_offline_run_with_a_stable_id(workspace: Path) -> None:
    params = tiny_params(epochs=1, tracking={"wandb": True, "project": "kdgat-test"})
    (workspace / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    p = load_params(workspace / "params.yaml")
    stages.train_vgae(DATASET, p)
    stages.train_vgae(DATASET, p)  # a requeued job: the same run, not a new one
    run_id = stable_run_id(f"vgae@{DATASET}")
    runs = sorted((workspace / "dvclive" / "vgae" / "wandb").glob("offline-run-*"))
    assert runs, "no offline W&B run was written"
    assert {r.name.rsplit("-", 1)[1] for r in runs} == {run_id}
    assert wait_for_histories(runs)  # the history `wandb sync` uploads later
    # dvclive keeps logging beside W&B
    metrics = json.loads((workspace / "dvclive" / "vgae" / DATASET / "metrics.json").read_text())
    assert "loss" in metrics["val"]
