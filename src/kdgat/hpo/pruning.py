"""Pruning inside Lightning: report the validation metric each epoch, stop a hopeless trial."""

from __future__ import annotations

import lightning.pytorch as pl
import optuna


class PruningCallback(pl.Callback):
    """Report ``monitor`` to the Optuna trial after every validation; stop when pruned.

    It runs in ``on_validation_end``: the task logs ``val/f1`` and ``val/auroc`` in its
    own ``on_validation_epoch_end``, which Lightning calls after the callbacks' hook of
    that name. Stopping goes through ``trainer.should_stop`` (a clean end of fit, the
    checkpoints closed); the caller raises ``optuna.TrialPruned`` afterwards.
    """

    def __init__(self, trial: optuna.Trial, monitor: str) -> None:
        self.trial, self.monitor = trial, monitor
        self.pruned_at: int | None = None

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Report this epoch's ``monitor`` (not the sanity check's); stop the fit if pruned."""
        if trainer.sanity_checking:
            return
        value = trainer.callback_metrics.get(self.monitor)
        if value is None:  # e.g. val/f1 of an epoch whose validation split has one class
            return
        epoch = trainer.current_epoch
        self.trial.report(float(value), step=epoch)
        if self.trial.should_prune():
            self.pruned_at = epoch
            trainer.should_stop = True
