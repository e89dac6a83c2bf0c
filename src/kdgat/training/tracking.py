"""Experiment tracking: dvclive always, Weights & Biases when asked for.

dvclive is created with ``dvcyaml=False``: otherwise it rewrites dvc.yaml while
a stage runs. W&B honours ``WANDB_MODE`` (``offline`` on compute nodes without
internet; ``wandb sync`` later) and resumes one stable run id per stage and
dataset, so a requeued SLURM job continues its run instead of starting another.
"""

from __future__ import annotations

import os
from pathlib import Path

import xxhash
from lightning.pytorch.loggers import Logger


def loggers(dvclive_dir: Path, run_name: str, wandb: bool, project: str) -> list[Logger]:
    """The loggers of one training run."""
    from dvclive.lightning import DVCLiveLogger

    chosen: list[Logger] = [
        DVCLiveLogger(dir=str(dvclive_dir), dvcyaml=False, save_dvc_exp=False, report=None)
    ]
    if wandb:
        chosen.append(wandb_logger(run_name, project, dvclive_dir.parent))
    return chosen


def wandb_logger(run_name: str, project: str, save_dir: Path) -> Logger:
    """A W&B logger with a stable id (resume="allow"); offline when WANDB_MODE says so."""
    from lightning.pytorch.loggers import WandbLogger

    save_dir.mkdir(parents=True, exist_ok=True)
    return WandbLogger(
        project=project,
        name=run_name,
        id=stable_run_id(run_name),
        resume="allow",
        save_dir=str(save_dir),
        offline=os.environ.get("WANDB_MODE") == "offline",
    )


def close(chosen: list[Logger]) -> None:
    """End the W&B run, if any: Lightning leaves it open, with its history still being written.

    A run left open also captures whatever the process does next (later stages in
    one process, the next Optuna trial) and is closed only at interpreter exit.
    """
    from lightning.pytorch.loggers import WandbLogger

    for logger in chosen:
        if isinstance(logger, WandbLogger) and logger._experiment is not None:
            logger.experiment.finish()


def stable_run_id(run_name: str) -> str:
    """The same id for the same stage, dataset and working copy, across requeues."""
    return xxhash.xxh3_64_hexdigest(f"{run_name}:{Path.cwd().resolve()}".encode())
