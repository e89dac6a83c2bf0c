"""One training run: fit with Lightning, resume after interruption, pick the threshold.

Checkpoints live in the run's folder (``Layout.run``: ``.kdgat/runs/<run>/``) —
outside the stage's DVC outputs, which DVC deletes before re-running a stage — as
``last.ckpt`` (every epoch, and on SIGTERM / SIGUSR1) and ``best.ckpt`` (lowest
``val/loss``). A run is
resumed only when its settings fingerprint matches; the folder is removed once
the run has finished and its outputs are written.
"""

from __future__ import annotations

import json
import logging
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

from kdgat.errors import StoppedBySignalError
from kdgat.evaluation.thresholds import binary_metrics, choose_threshold
from kdgat.models.runtime import configure_torch
from kdgat.training.callbacks import CheckpointOnSignal, EpochMarker, EpochProgress
from kdgat.training.data import GraphData
from kdgat.training.modules import GraphTask, collect_scores
from kdgat.training.tracking import close, loggers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Run:
    """Where one training run keeps its state: its name, checkpoints and curves."""

    name: str  # "<model>@<dataset>": logs, W&B run
    checkpoints: Path  # resumable checkpoints, removed by ``finish``
    dvclive: Path  # training curves


@dataclass(frozen=True)
class Settings:
    """Plain training settings, resolved from params.yaml by the entry layer (no defaults here)."""

    epochs: int
    lr: float
    batch_size: int
    weight_decay: float
    patience: int
    precision: str
    accumulate_grad_batches: int
    accelerator: str
    seed: int
    threshold_method: str
    wandb: bool
    project: str
    threads: int  # intra-op CPU threads (0: torch's default); see kdgat.models.runtime


def seed_all(seed: int) -> None:
    """Seed Python, NumPy and torch (and loader workers) from ``seed``."""
    pl.seed_everything(seed, workers=True, verbose=False)


def fit(
    task: GraphTask,
    data: GraphData,
    run: Run,
    settings: Settings,
    fingerprint: dict[str, Any],
    reload_every_epoch: bool = False,
    callbacks: Sequence[pl.Callback] = (),
) -> dict[str, Any]:
    """Train ``task`` (resuming an interrupted run of the same settings); return its results.

    ``callbacks`` join the run's own (checkpointing, early stopping, signals): HPO's pruning.
    """
    folder = run.checkpoints
    resume = _resume_point(folder, {**fingerprint, **asdict(settings)})
    runtime = configure_torch(settings.threads)
    seed_all(settings.seed)
    best = ModelCheckpoint(
        dirpath=folder, filename="best", monitor="val/loss", mode="min", save_last=True
    )
    on_signal = CheckpointOnSignal(folder / "last.ckpt")
    trackers = loggers(run.dvclive, run.name, settings.wandb, settings.project)
    trainer = pl.Trainer(
        max_epochs=settings.epochs,
        precision=settings.precision,  # type: ignore[arg-type]
        accumulate_grad_batches=settings.accumulate_grad_batches,
        accelerator=settings.accelerator,
        deterministic="warn",  # as configure_torch, plus cuDNN's flags on a GPU
        callbacks=[
            best,
            EarlyStopping(monitor="val/loss", mode="min", patience=settings.patience),
            on_signal,
            EpochMarker(folder / "progress.json", run.name),
            EpochProgress(run.name),  # a bar per epoch (rate, ETA), in a terminal or a log
            *callbacks,
        ],
        logger=trackers,
        enable_progress_bar=False,  # Lightning's bar: no model name, nothing in a log file
        enable_model_summary=False,
        reload_dataloaders_every_n_epochs=1 if reload_every_epoch else 0,
        num_sanity_val_steps=0,
        log_every_n_steps=10,
    )
    try:
        trainer.fit(task, datamodule=data, ckpt_path=resume)
    finally:
        close(trackers)
    if on_signal.received is not None:
        raise StoppedBySignalError(on_signal.received, folder / "last.ckpt")
    task.load_state_dict(torch.load(best.best_model_path, weights_only=True)["state_dict"])
    log.info("%s: choosing the threshold on the validation graphs", run.name)
    results = _validate(task, data, settings.threshold_method, run.name)
    results["epochs"] = trainer.current_epoch
    results |= runtime  # the thread count a run used is part of what it is
    results["best_val_loss"] = float(best.best_model_score or np.nan)
    return results


def finish(run: Run) -> None:
    """Drop the run's checkpoints once its outputs are safely written."""
    folder = run.checkpoints
    shutil.rmtree(folder, ignore_errors=True)
    folder.with_suffix(".json").unlink(missing_ok=True)


def _resume_point(folder: Path, fingerprint: dict[str, Any]) -> str | None:
    """``last.ckpt`` of an interrupted run with the same settings, else a clean start."""
    stamp = folder.with_suffix(".json")  # beside the folder: Lightning wants it empty
    wanted = json.dumps(fingerprint, sort_keys=True, default=str)
    last = folder / "last.ckpt"
    if last.exists() and stamp.exists() and stamp.read_text() == wanted:
        if _intact(last):
            log.info("resuming %s from %s", folder.name, last)
            return str(last)
        aside = folder.with_name(f"{folder.name}.damaged.ckpt")
        last.replace(aside)
        log.warning("%s is damaged (cut short?): set aside as %s; starting over", last, aside)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    stamp.write_text(wanted)
    return None


def _intact(checkpoint: Path) -> bool:
    """Whether a checkpoint (a zip archive, as torch.save writes) reads back whole."""
    try:
        with zipfile.ZipFile(checkpoint) as archive:
            return archive.testzip() is None
    except (zipfile.BadZipFile, OSError, EOFError):
        return False


def _validate(task: GraphTask, data: GraphData, method: str, name: str) -> dict[str, Any]:
    """Threshold chosen on the validation graphs (never a fixed 0.5), and its metrics."""
    scores, labels = collect_scores(task, data.calibration_dataloader(), f"{name} threshold")
    threshold = choose_threshold(scores, labels, method)  # type: ignore[arg-type]
    return {
        "threshold": float(threshold),
        "threshold_method": method,
        "val": binary_metrics(scores, labels, threshold),
        "val_graphs": len(labels),
    }
