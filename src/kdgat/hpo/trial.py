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
import numpy as np

from kdgat.config import Params
from kdgat.errors import HPOError
from kdgat.graphs.store import open_store
from kdgat.models.gat import GATClassifier
from kdgat.models.vgae import VGAE
from kdgat.training import stages
from kdgat.training.curriculum import CurriculumSampler
from kdgat.training.data import GraphData
from kdgat.training.losses import class_weights
from kdgat.training.modules import GATTask, GraphTask, VGAETask
from kdgat.training.run import Settings, finish, fit

MODELS = ("gat", "vgae")


def _build_vgae(dataset: str, p: Params, meta: dict[str, Any]) -> tuple[GraphTask, GraphData]:
    """As stage train_vgae: one-class on benign training graphs."""
    s = stages.settings(p, p.vgae)
    arguments = {**stages.model_shapes(meta), **p.vgae.large.model_dump()}
    task = VGAETask(
        VGAE(**arguments),
        meta["vocab_size"],
        s.lr,
        s.weight_decay,
        p.vgae.loss_weights,
        p.vgae.score_weights,
    )
    root = stages.GRAPHS / dataset
    data = GraphData(
        root, s.batch_size, s.seed, benign_only=True, expect=stages.store_expectation(meta)
    )
    return task, data


def _build_gat(dataset: str, p: Params, meta: dict[str, Any]) -> tuple[GraphTask, GraphData]:
    """As stage train_gat, with the curriculum from the workspace's trained VGAE."""
    s = stages.settings(p, p.gat)
    arguments = {**stages.model_shapes(meta), **p.gat.large.model_dump()}
    root = stages.GRAPHS / dataset
    labels = np.asarray(open_store(root / "train").arrays.y)
    curriculum = None
    if p.gat.curriculum:
        _require(stages.MODELS / dataset / "vgae" / "model.pt", f"train_vgae@{dataset}")
        hardness = stages.vgae_hardness(dataset, p, s.batch_size)
        curriculum = CurriculumSampler(labels, hardness, s.epochs, s.seed).indices
    task = GATTask(
        GATClassifier(**arguments),
        s.lr,
        s.weight_decay,
        p.gat.loss,
        class_weights(labels),
        p.gat.focal_gamma,
    )
    data = GraphData(
        root, s.batch_size, s.seed, epoch_indices=curriculum, expect=stages.store_expectation(meta)
    )
    return task, data


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
    meta = stages.store_meta(dataset)
    build = _build_gat if model == "gat" else _build_vgae
    task, data = build(dataset, p, meta)
    task.configure_callbacks = lambda: callbacks  # type: ignore[method-assign]
    section = p.gat if model == "gat" else p.vgae
    # W&B, when on, logs the study through Optuna's callback; trials log to dvclive only.
    s: Settings = dataclasses.replace(stages.settings(p, section), wandb=False)
    fingerprint = {"arguments": repr(task.model), "source_hash": meta["source_hash"]}
    try:
        return fit(task, data, run_name, dvclive_dir, s, fingerprint)
    finally:
        finish(run_name)
