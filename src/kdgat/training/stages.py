"""Stages train_vgae@, train_gat@ and distill@<dataset>: params -> models on disk.

Pure wiring: resolve settings (a model section may override the top-level lr,
epochs, batch_size), build the models from their size in params.yaml, train,
and write ``models/<dataset>/<model>/`` with weights, thresholds and a model card.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kdgat.config import Overrides, Params
from kdgat.graphs.loader import GraphLoader
from kdgat.graphs.store import open_store
from kdgat.models.gat import GATClassifier
from kdgat.models.sizes import count_parameters
from kdgat.models.vgae import VGAE
from kdgat.training.artifacts import load_typed, write_outputs
from kdgat.training.curriculum import CurriculumSampler
from kdgat.training.data import GraphData
from kdgat.training.losses import class_weights
from kdgat.training.modules import (
    DistilledGATTask,
    DistilledVGAETask,
    GATTask,
    GraphTask,
    VGAETask,
    collect_scores,
)
from kdgat.training.run import Settings, finish, fit

GRAPHS, MODELS, DVCLIVE = Path("data/graphs"), Path("models"), Path("dvclive")


def settings(p: Params, section: Overrides) -> Settings:
    """Top-level training defaults, overridden where the model section says so."""
    return Settings(
        epochs=section.epochs or p.epochs,
        lr=section.lr or p.lr,
        batch_size=section.batch_size or p.batch_size,
        weight_decay=p.weight_decay,
        patience=p.patience,
        precision=p.precision,
        accumulate_grad_batches=p.accumulate_grad_batches,
        accelerator=p.accelerator,
        seed=p.seed,
        threshold_method=p.threshold.method,
        wandb=p.tracking.wandb,
        project=p.tracking.project,
    )


def store_meta(dataset: str) -> dict[str, Any]:
    return json.loads((GRAPHS / dataset / "meta.json").read_text())


def model_shapes(meta: dict[str, Any]) -> dict[str, int]:
    return {
        "in_channels": len(meta["node_features"]),
        "edge_dim": len(meta["edge_features"]),
        "vocab_size": meta["vocab_size"],
    }


def store_expectation(meta: dict[str, Any]) -> dict[str, Any]:
    """What the model is built for; a store built otherwise is refused."""
    keys = ("format_version", "window", "stride", "node_features", "edge_features", "vocab_size")
    return {k: meta[k] for k in keys}


@dataclass(frozen=True)
class Setup:
    """What a training run needs: the task (model inside), its data, how it was built."""

    task: GraphTask
    data: GraphData
    arguments: dict[str, Any]
    settings: Settings
    reload_every_epoch: bool = False  # the curriculum's sampler changes every epoch


def _run(dataset: str, name: str, kind: str, run: Setup) -> dict[str, Any]:
    """Fit the run, write ``models/<dataset>/<name>/`` and drop its checkpoints."""
    meta = store_meta(dataset)
    run_name = f"{name}@{dataset}"
    fingerprint = {"arguments": run.arguments, "source_hash": meta["source_hash"]}
    results = fit(
        run.task,
        run.data,
        run_name,
        DVCLIVE / name / dataset,
        run.settings,
        fingerprint,
        run.reload_every_epoch,
    )
    card = {
        "model": name,
        "dataset": dataset,
        "data_hash": meta["source_hash"],
        "settings": vars(run.settings),
    }
    write_outputs(MODELS / dataset / name, kind, run.arguments, run.task.model, results, card)
    finish(run_name)
    return {"parameters": count_parameters(run.task.model), **results}


def vgae_setup(dataset: str, p: Params) -> Setup:
    """The VGAE teacher's run: one-class, on benign training graphs only."""
    meta, s = store_meta(dataset), settings(p, p.vgae)
    arguments = {**model_shapes(meta), **p.vgae.large.model_dump()}
    task = VGAETask(
        VGAE(**arguments),
        meta["vocab_size"],
        s.lr,
        s.weight_decay,
        p.vgae.loss_weights,
        p.vgae.score_weights,
    )
    data = GraphData(
        GRAPHS / dataset, s.batch_size, s.seed, benign_only=True, expect=store_expectation(meta)
    )
    return Setup(task, data, arguments, s)


def train_vgae(dataset: str, p: Params) -> dict[str, Any]:
    """The VGAE teacher, on benign training graphs only."""
    return _run(dataset, "vgae", "vgae", vgae_setup(dataset, p))


def vgae_hardness(dataset: str, p: Params, batch_size: int) -> np.ndarray:
    """The trained VGAE's anomaly score of every training graph (the curriculum's input)."""
    model, arguments = load_typed(MODELS / dataset / "vgae", VGAE)
    task = VGAETask(
        model, arguments["vocab_size"], 0.0, 0.0, p.vgae.loss_weights, p.vgae.score_weights
    )
    scores, _ = collect_scores(
        task, GraphLoader(open_store(GRAPHS / dataset / "train"), batch_size)
    )
    return scores


def gat_setup(dataset: str, p: Params) -> Setup:
    """The GAT teacher's run, with the curriculum from the trained VGAE when ``gat.curriculum``."""
    meta, s = store_meta(dataset), settings(p, p.gat)
    arguments = {**model_shapes(meta), **p.gat.large.model_dump()}
    labels = np.asarray(open_store(GRAPHS / dataset / "train").arrays.y)
    curriculum = None
    if p.gat.curriculum:
        sampler = CurriculumSampler(
            labels, vgae_hardness(dataset, p, s.batch_size), s.epochs, s.seed
        )
        curriculum = sampler.indices
    task = GATTask(
        GATClassifier(**arguments),
        s.lr,
        s.weight_decay,
        p.gat.loss,
        class_weights(labels),
        p.gat.focal_gamma,
    )
    data = GraphData(
        GRAPHS / dataset,
        s.batch_size,
        s.seed,
        epoch_indices=curriculum,
        expect=store_expectation(meta),
    )
    return Setup(task, data, arguments, s, reload_every_epoch=curriculum is not None)


def train_gat(dataset: str, p: Params) -> dict[str, Any]:
    """The GAT teacher (with the VGAE-driven curriculum when ``gat.curriculum``)."""
    return _run(dataset, "gat", "gat", gat_setup(dataset, p))


def distill(dataset: str, p: Params) -> dict[str, dict[str, Any]]:
    """Small GAT and small VGAE students from their frozen teachers."""
    meta, s = store_meta(dataset), settings(p, p.kd)
    shapes = model_shapes(meta)
    teacher_gat, _ = load_typed(MODELS / dataset / "gat", GATClassifier)
    teacher_vgae, _ = load_typed(MODELS / dataset / "vgae", VGAE)
    gat_args = {**shapes, **p.gat.small.model_dump()}
    gat = DistilledGATTask(
        GATClassifier(**gat_args),
        teacher_gat,
        s.lr,
        s.weight_decay,
        p.kd.temperature,
        p.kd.alpha,
    )
    vgae_args = {**shapes, **p.vgae.small.model_dump()}
    vgae = DistilledVGAETask(
        VGAE(**vgae_args),
        teacher_vgae,
        meta["vocab_size"],
        s.lr,
        s.weight_decay,
        p.vgae.loss_weights,
        p.vgae.score_weights,
        p.kd.latent_weight,
        p.kd.recon_weight,
    )
    root, expect = GRAPHS / dataset, store_expectation(meta)
    gat_data = GraphData(root, s.batch_size, s.seed, expect=expect)
    vgae_data = GraphData(root, s.batch_size, s.seed, benign_only=True, expect=expect)
    return {
        "gat_small": _run(dataset, "gat_small", "gat", Setup(gat, gat_data, gat_args, s)),
        "vgae_small": _run(dataset, "vgae_small", "vgae", Setup(vgae, vgae_data, vgae_args, s)),
    }
