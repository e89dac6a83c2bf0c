"""Train one trial: the pipeline's own model, task and data code with the trial's params.

Nothing here writes a DVC output: the trial's checkpoints go to
``.kdgat/runs/hpo-<study>-<n>_<dataset>/`` (removed when it ends) and its dvclive
curves to ``.kdgat/hpo/<study>/trial-<n>/dvclive``, so trials may run while the
pipeline itself runs, and many trials may share one workspace.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import lightning.pytorch as pl

from kdgat.config import Params
from kdgat.errors import HPOError
from kdgat.training import stages
from kdgat.training.run import finish, fit

MODELS = ("gat", "vgae")


def _require(path: Path, stage: str) -> None:
    if not path.exists():
        raise HPOError(f"{path} not found: a trial trains on it; fix: dvc repro {stage}")


def train(
    model: str,
    dataset: str,
    p: Params,
    run_name: str,
    dvclive_dir: Path,
    callbacks: list[pl.Callback],
) -> dict[str, Any]:
    """Fit ``model`` on ``dataset`` with params ``p``; return fit()'s results.

    ``callbacks`` join the Trainer through the task's ``configure_callbacks`` hook,
    which Lightning merges with the Trainer's own: fit() builds the Trainer itself.
    """
    if model not in MODELS:
        raise HPOError(f"--model {model!r}: trials train one of {', '.join(MODELS)}")
    _require(stages.GRAPHS / dataset / "meta.json", f"graphs@{dataset}")
    if model == "gat" and p.gat.curriculum:
        _require(stages.MODELS / dataset / "vgae" / "model.pt", f"train_vgae@{dataset}")
    run = stages.gat_setup(dataset, p) if model == "gat" else stages.vgae_setup(dataset, p)
    run.task.configure_callbacks = lambda: callbacks  # type: ignore[method-assign]
    # W&B, when on, logs the study through Optuna's callback; trials log to dvclive only.
    s = dataclasses.replace(run.settings, wandb=False)
    fingerprint = {
        "arguments": run.arguments,
        "source_hash": stages.store_meta(dataset)["source_hash"],
    }
    try:
        return fit(
            run.task, run.data, run_name, dvclive_dir, s, fingerprint, run.reload_every_epoch
        )
    finally:
        finish(run_name)
