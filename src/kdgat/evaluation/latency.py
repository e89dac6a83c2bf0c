"""Inference latency, in milliseconds per graph (or window) at a given batch size."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from kdgat.graphs.loader import GraphLoader
from kdgat.graphs.store import GraphStore

REPEATS = 5


def ms_per_item(call: Callable[[], Any], items: int) -> float:
    """Median over ``REPEATS`` timed calls of ``call()``, divided by the items it handles.

    One untimed call first: the first pass pays for lazy initialisation.
    """
    call()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) / max(items, 1) * 1000


@torch.no_grad()
def ms_per_graph(score: Callable[[Any], Any], store: GraphStore, batch_size: int) -> float:
    """``ms_per_item`` of ``score(batch)`` on the store's first batch of ``batch_size`` graphs."""
    batch = next(iter(GraphLoader(store, batch_size)))
    return ms_per_item(lambda: score(batch), batch.num_graphs)
