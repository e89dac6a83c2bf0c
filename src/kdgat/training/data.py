"""LightningDataModule over the graph store of one dataset (train and val splits)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np

from kdgat.graphs.loader import GraphLoader
from kdgat.graphs.store import GraphStore, open_store

# Graph indices for an epoch (a curriculum), given the epoch number.
EpochIndices = Callable[[int], np.ndarray]


class GraphData(pl.LightningDataModule):
    """Batches of training and validation graphs straight from the memory-mapped store.

    Args:
        train: The training split's graph store.
        val: The validation split's graph store.
        batch_size: Graphs per batch.
        seed: Shuffling seed (each epoch shuffles differently, reproducibly).
        benign_only: Keep only benign graphs (the VGAE learns normal traffic).
        epoch_indices: Optional curriculum: the training graphs of each epoch.
        expect: Store metadata the model was configured for (refused if different).
    """

    def __init__(
        self,
        train: Path,
        val: Path,
        batch_size: int,
        seed: int,
        benign_only: bool = False,
        epoch_indices: EpochIndices | None = None,
        expect: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.paths, self.batch_size, self.seed = (train, val), batch_size, seed
        self.benign_only, self.epoch_indices, self.expect = benign_only, epoch_indices, expect
        self.train: GraphStore | None = None
        self.val: GraphStore | None = None

    def setup(self, stage: str | None = None) -> None:
        """Open both stores, refusing one built otherwise than the model expects."""
        self.train = open_store(self.paths[0], self.expect)
        self.val = open_store(self.paths[1], self.expect)

    def _selected(self, store: GraphStore) -> np.ndarray | None:
        return np.flatnonzero(np.asarray(store.arrays.y) == 0) if self.benign_only else None

    def train_dataloader(self) -> GraphLoader:
        """Shuffled training graphs of this epoch: the curriculum's, or all (benign if set)."""
        assert self.train is not None
        epoch = self.trainer.current_epoch if self.trainer else 0
        indices = self.epoch_indices(epoch) if self.epoch_indices else self._selected(self.train)
        loader = GraphLoader(
            self.train, self.batch_size, shuffle=True, seed=self.seed, indices=indices
        )
        loader.set_epoch(epoch)
        return loader

    def val_dataloader(self) -> GraphLoader:
        """Validation graphs in store order (benign only if set, like training)."""
        assert self.val is not None
        return GraphLoader(self.val, self.batch_size, indices=self._selected(self.val))

    def calibration_dataloader(self) -> GraphLoader:
        """Every validation graph, attacks included: where thresholds are chosen."""
        assert self.val is not None
        return GraphLoader(self.val, self.batch_size)
