"""Experiment tracking: dvclive always, Weights & Biases when asked for.

dvclive is created with ``dvcyaml=False``: otherwise it rewrites dvc.yaml while
a stage runs. W&B honours ``WANDB_MODE`` (``offline`` on compute nodes without
internet; ``wandb sync`` later) and resumes one stable run id per stage and
dataset, so a requeued SLURM job continues its run instead of starting another.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import FrameType
from typing import Any

import xxhash
from lightning.pytorch.loggers import Logger


def loggers(dvclive_dir: Path, run_name: str, wandb: bool, project: str) -> list[Logger]:
    """The loggers of one training run."""
    chosen: list[Logger] = [
        _dvclive_logger()(dir=str(dvclive_dir), dvcyaml=False, save_dvc_exp=False, report=None)
    ]
    if wandb:
        chosen.append(wandb_logger(run_name, project, dvclive_dir.parent))
    return chosen


# Where Lightning logs what dvclive writes out at once (dvclive.lightning._should_sync).
SYNC_CALLERS = frozenset(
    ("update_train_step_metrics", "update_train_epoch_metrics", "log_eval_end_metrics")
)


def called_from_sync_point() -> bool:
    """Whether a caller up the stack is one of ``SYNC_CALLERS`` (names only, no source read)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name in SYNC_CALLERS:
            return True
        frame = frame.f_back
    return False


@cache
def _dvclive_logger() -> Any:  # a Logger class (dvclive is imported only when used)
    """The dvclive Lightning logger, writing when it would, but 100 times cheaper to ask.

    dvclive asks ``inspect.stack()``, which reads the source file of every frame:
    0.1 s per call, twice an epoch, a quarter of a small model's training time.
    """
    from dvclive.fabric import DVCLiveLogger as FabricLogger
    from dvclive.lightning import DVCLiveLogger

    class Logger_(DVCLiveLogger):  # noqa: N801
        def log_metrics(
            self,
            metrics: Mapping[str, Any],
            step: int | None = None,
            sync: bool | None = False,
        ) -> None:
            FabricLogger.log_metrics(self, metrics, step, sync or called_from_sync_point())

        def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
            """Nothing: the model card holds the run's settings.

            A params.yaml beside the curves would be a copy neither git nor DVC versions.
            """

    return Logger_


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
