"""What the training stages share: a model of ``kdgat.pipeline.models`` -> a model folder.

Pure wiring: resolve settings (a model section may override the top-level lr,
epochs, batch_size; students take the ``kd`` section's), build the network from
its size in params.yaml, pick its task by role (classifier or autoencoder,
distilled or not), train, and write ``models/<dataset>/<model>/`` with weights,
thresholds and a model card. The stages and HPO trials build their runs here, so
a trial trains exactly what the stage would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from kdgat.config import Overrides, Params
from kdgat.errors import KdgatError
from kdgat.graphs.loader import GraphLoader
from kdgat.graphs.store import open_store
from kdgat.layout import TRAIN, VAL, Layout
from kdgat.models import registry
from kdgat.models.classifier import GraphClassifier
from kdgat.models.runtime import configure_torch
from kdgat.models.sizes import count_parameters
from kdgat.models.vgae import VGAE
from kdgat.pipeline import entry
from kdgat.pipeline.models import CURRICULUM_SCORER, MODELS, TrainedModel, trained_by
from kdgat.training.artifacts import load_typed, write_outputs
from kdgat.training.curriculum import CurriculumSampler
from kdgat.training.data import GraphData
from kdgat.training.losses import class_weights
from kdgat.training.modules import (
    ClassifierTask,
    DistilledClassifierTask,
    DistilledVGAETask,
    GraphTask,
    VGAETask,
    collect_scores,
)
from kdgat.training.run import Run, Settings, finish, fit, seed_all


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
        threads=p.threads,
    )


def store_meta(layout: Layout, dataset: str) -> dict[str, Any]:
    """The dataset's graph metadata (feature names, vocabulary, source hash)."""
    path = entry.require(layout.graphs(dataset).meta, f"graphs@{dataset}")
    return dict(json.loads(path.read_text()))


def model_shapes(meta: dict[str, Any]) -> dict[str, int]:
    """Constructor sizes a graph model takes from the store: feature counts, vocabulary."""
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


def setup(layout: Layout, dataset: str, p: Params, name: str) -> Setup:
    """The training run of model ``name`` (``kdgat.pipeline.models.MODELS``) on ``dataset``."""
    model = MODELS[name]
    meta = store_meta(layout, dataset)
    section = getattr(p, model.section)
    s = settings(p, p.kd if model.teacher else section)
    arguments = {**model_shapes(meta), **getattr(section, model.size).model_dump()}
    configure_torch(s.threads)  # before any work: the curriculum's scoring runs first
    # Seeded before the network exists: its initial weights are the first random draw.
    seed_all(s.seed)
    network = registry.build(model.network, arguments)
    if isinstance(network, VGAE):
        task: GraphTask = _autoencoder_task(layout, dataset, p, model, network, s)
        data = graph_data(layout, dataset, s, meta, benign_only=True)
        return Setup(task, data, arguments, s)
    assert isinstance(network, GraphClassifier)
    labels = np.asarray(open_store(layout.store(dataset, TRAIN)).arrays.y)
    task = _classifier_task(layout, dataset, p, model, network, s, labels)
    curriculum = None
    if not model.teacher and section.curriculum:
        hardness = vgae_hardness(layout, dataset, p, s.batch_size)
        curriculum = CurriculumSampler(labels, hardness, s.epochs, s.seed).indices
    data = graph_data(layout, dataset, s, meta, epoch_indices=curriculum)
    return Setup(task, data, arguments, s, reload_every_epoch=curriculum is not None)


def _autoencoder_task(
    layout: Layout, dataset: str, p: Params, model: TrainedModel, network: VGAE, s: Settings
) -> GraphTask:
    weights = {"loss_weights": p.vgae.loss_weights, "score_weights": p.vgae.score_weights}
    if model.teacher is None:
        return VGAETask(model=network, lr=s.lr, weight_decay=s.weight_decay, **weights)
    teacher, _ = load_typed(layout.model(dataset, model.teacher), VGAE)
    return DistilledVGAETask(
        student=network,
        teacher=teacher,
        lr=s.lr,
        weight_decay=s.weight_decay,
        latent_weight=p.kd.latent_weight,
        recon_weight=p.kd.recon_weight,
        **weights,
    )


def _classifier_task(
    layout: Layout,
    dataset: str,
    p: Params,
    model: TrainedModel,
    network: GraphClassifier,
    s: Settings,
    labels: np.ndarray,
) -> GraphTask:
    if model.teacher is None:
        section = getattr(p, model.section)
        return ClassifierTask(
            model=network,
            lr=s.lr,
            weight_decay=s.weight_decay,
            loss=section.loss,
            class_weights=class_weights(labels),
            focal_gamma=section.focal_gamma,
        )
    teacher, _ = load_typed(layout.model(dataset, model.teacher), GraphClassifier)
    return DistilledClassifierTask(
        student=network,
        teacher=teacher,
        lr=s.lr,
        weight_decay=s.weight_decay,
        temperature=p.kd.temperature,
        alpha=p.kd.alpha,
    )


def vgae_hardness(layout: Layout, dataset: str, p: Params, batch_size: int) -> np.ndarray:
    """The trained VGAE's anomaly score of every training graph (the curriculum's input)."""
    files = layout.model(dataset, CURRICULUM_SCORER)
    if not files.weights.is_file():
        raise KdgatError(
            f"{files.weights}: not found; a classifier's curriculum reads it. "
            f"Fix: dvc repro train_vgae@{layout.key(dataset)} (or set curriculum: false)"
        )
    model, _ = load_typed(files, VGAE)
    task = VGAETask(
        model=model,
        lr=0.0,
        weight_decay=0.0,
        loss_weights=p.vgae.loss_weights,
        score_weights=p.vgae.score_weights,
    )
    loader = GraphLoader(open_store(layout.store(dataset, TRAIN)), batch_size)
    return collect_scores(task, loader, f"{CURRICULUM_SCORER}@{dataset} curriculum hardness")[0]


def graph_data(
    layout: Layout, dataset: str, s: Settings, meta: dict[str, Any], **options: Any
) -> GraphData:
    """The train and val stores of ``dataset``, batched for ``s``, refused if built otherwise."""
    stores = (layout.store(dataset, TRAIN), layout.store(dataset, VAL))
    return GraphData(*stores, s.batch_size, s.seed, expect=store_expectation(meta), **options)


def fingerprint(run: Setup, meta: dict[str, Any]) -> dict[str, Any]:
    """What must match for an interrupted run to be resumed."""
    return {"arguments": run.arguments, "source_hash": meta["source_hash"]}


def train_and_write(layout: Layout, dataset: str, p: Params, name: str) -> dict[str, Any]:
    """Fit model ``name``, write ``models/<dataset>/<name>/`` and drop its checkpoints."""
    run, model, meta = setup(layout, dataset, p, name), MODELS[name], store_meta(layout, dataset)
    run_name = f"{name}@{layout.key(dataset)}"
    where = Run(run_name, layout.run(run_name), layout.dvclive(name, dataset))
    results = fit(
        run.task, run.data, where, run.settings, fingerprint(run, meta), run.reload_every_epoch
    )
    card = {
        "model": name,
        "network": model.network,
        "stage": model.stage,
        "dataset": dataset,
        "data_hash": meta["source_hash"],
        "settings": vars(run.settings),
    }
    write_outputs(
        layout.model(dataset, name), model.network, run.arguments, run.task.model, results, card
    )
    finish(where)
    return {"parameters": count_parameters(run.task.model), **results}


def stage(name: str) -> entry.DatasetStage:
    """The ``run`` of a training stage: every model of the table that ``name`` trains."""

    def run(dataset: str, p: Params, layout: Layout) -> dict[str, Any]:
        trained = {m.name: train_and_write(layout, dataset, p, m.name) for m in trained_by(name)}
        return trained if len(trained) > 1 else next(iter(trained.values()))

    run.__doc__ = (
        f"Stage ``{name}@<dataset>-<seed>``: train {', '.join(m.name for m in trained_by(name))}."
    )
    return run
