"""Surviving a SLURM time limit: checkpoint on SIGTERM / SIGUSR1, resume on the next run.

SLURM sends SIGUSR1 (with ``--signal``) or SIGTERM before killing a job. The
handler only sets a flag; the next finished batch writes a resumable
checkpoint and stops training, and the stage exits with a non-zero status so
DVC never records the interrupted run as complete. Running the stage again
resumes from that checkpoint (see ``kdgat.training.run``).
"""

from __future__ import annotations

import json
import logging
import signal
from pathlib import Path
from types import FrameType
from typing import Any

import lightning.pytorch as pl
from tqdm import tqdm

from kdgat.progress import bar

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGUSR1)


class CheckpointOnSignal(pl.Callback):
    """Save ``resume.ckpt`` and stop cleanly when SIGTERM or SIGUSR1 arrives."""

    def __init__(self, checkpoint: Path) -> None:
        self.checkpoint = checkpoint
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = signum  # act between batches, never inside an optimizer step

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Install the signal handlers, keeping the previous ones to restore."""
        # Registered after Lightning's own handlers, so ours decide what a signal means.
        for sig in STOP_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        """After a signal: write the resumable checkpoint and ask the trainer to stop."""
        if self.received is not None:
            trainer.save_checkpoint(self.checkpoint)
            trainer.should_stop = True

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Restore the signal handlers that were there before training."""
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


class EpochMarker(pl.Callback):
    """One log line per epoch, named after the run, and the count of finished epochs in a file.

    Args:
        path: The JSON file holding ``{"epochs_done": n}``.
        name: The run (``<model>@<dataset>``), at the start of every line: a stage
            training two models (distill) tells them apart.
    """

    def __init__(self, path: Path, name: str = "") -> None:
        self.path, self.name = path, name

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Log the epoch's metrics and record how many epochs are done."""
        done = trainer.current_epoch + 1
        shown = " ".join(f"{k} {float(v):.4f}" for k, v in sorted(trainer.callback_metrics.items()))
        log.info(
            "%sepoch %d/%d %s",
            f"{self.name} " if self.name else "",
            done,
            trainer.max_epochs,
            shown,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"epochs_done": done}))


class EpochProgress(pl.Callback):
    """A bar over each epoch's training batches, then one over its validation batches.

    ``kdgat.progress.bar``: rate and ETA, the run's name on every line, redrawn in a
    terminal and written every 30 s to a log file (DVC, SLURM); work under a second
    leaves nothing behind.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._bar: tqdm | None = None

    def _open(self, trainer: pl.Trainer, what: str, total: float) -> None:
        self._close()
        epoch = f"epoch {trainer.current_epoch + 1}/{trainer.max_epochs}"
        self._bar = bar(
            total if total != float("inf") else None, f"{self.name} {epoch} {what}", "batch"
        )

    def _tick(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Open the epoch's training bar."""
        self._open(trainer, "train", trainer.num_training_batches)

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        """One training batch done."""
        self._tick()

    def on_validation_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Close the training bar, open the validation one."""
        self._open(trainer, "val", sum(trainer.num_val_batches))

    def on_validation_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        """One validation batch done."""
        self._tick()

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Close the validation bar."""
        self._close()

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Close whatever bar is still open (a stop between batches)."""
        self._close()
