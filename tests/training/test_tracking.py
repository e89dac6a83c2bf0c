"""W&B on top of dvclive, offline (compute nodes have no internet), one stable run per stage."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from kdgat.config import load_params
from kdgat.layout import Layout
from kdgat.pipeline import train_vgae
from kdgat.training.tracking import stable_run_id

from ..helpers import wait_for_histories
from .conftest import DATASET, tiny_params

pytestmark = pytest.mark.slow


@pytest.mark.usefixtures("offline_wandb")
def test_wandb_offline_run_with_a_stable_id(workspace: Path) -> None:
    params = tiny_params(epochs=1, tracking={"wandb": True, "project": "kdgat-test"})
    layout = Layout(workspace)
    layout.params.write_text(yaml.safe_dump(params, sort_keys=False))
    p = load_params(layout.params)
    train_vgae.run(DATASET, p, layout)
    train_vgae.run(DATASET, p, layout)  # a requeued job: the same run, not a new one
    run_id = stable_run_id(f"vgae@{DATASET}")
    runs = sorted((layout.dvclive_root / "vgae" / "wandb").glob("offline-run-*"))
    assert runs, "no offline W&B run was written"
    # offline-run-<date>_<time>-<id>, with "-1" appended when a run starts in the same second
    names = [re.fullmatch(r"offline-run-\d{8}_\d{6}-(\w+?)(-\d+)?", r.name) for r in runs]
    assert all(names), [r.name for r in runs]
    assert {m[1] for m in names if m} == {run_id}
    assert wait_for_histories(runs)  # the history `wandb sync` uploads later
    # dvclive keeps logging beside W&B
    metrics = json.loads((layout.dvclive("vgae", DATASET) / "metrics.json").read_text())
    assert "loss" in metrics["val"]
