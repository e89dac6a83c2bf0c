"""Scores of every graph of a split, and their latency, from any scoring function of a batch."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor
from torch_geometric.data import Batch

from kdgat.evaluation.latency import ms_per_item
from kdgat.graphs.arrays import GraphArrays
from kdgat.graphs.loader import GraphLoader
from kdgat.graphs.store import GraphStore

# Graphs per forward pass; results do not depend on it. Larger is slower on a CPU: at 512
# a GAT's per-edge tensors (tens of MB) no longer fit the caches, and each one is a fresh
# mmap the kernel zeroes (measured: twice the time per graph of 128, a third of it system time).
INFERENCE_BATCH = 128


@torch.no_grad()
def score_split(
    score: Callable[[Batch], Tensor], store: GraphStore | GraphArrays
) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, labels)`` of every graph of ``store``, in store order."""
    scores, labels = [], []
    for batch in GraphLoader(store, INFERENCE_BATCH):
        scores.append(score(batch).float().cpu().numpy())
        labels.append(batch.y.cpu().numpy())
    if not scores:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    return np.concatenate(scores), np.concatenate(labels)


@torch.no_grad()
def ms_per_graph(score: Callable[[Batch], Tensor], store: GraphStore, batch_size: int) -> float:
    """``ms_per_item`` of ``score(batch)`` on the store's first batch of ``batch_size`` graphs."""
    batch = next(iter(GraphLoader(store, batch_size)))
    return ms_per_item(lambda: score(batch), batch.num_graphs)
