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
    """One log line per epoch, and the count of finished epochs in a small JSON file.

    Without a terminal (DVC, SLURM logs) the progress bar is off: this line is the progress.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Log the epoch's metrics and record how many epochs are done."""
        done = trainer.current_epoch + 1
        shown = " ".join(f"{k} {float(v):.4f}" for k, v in sorted(trainer.callback_metrics.items()))
        log.info("epoch %d/%d %s", done, trainer.max_epochs, shown)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"epochs_done": done}))
