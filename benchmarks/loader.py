"""GraphLoader against PyG's DataLoader: one epoch of batches; prints one JSON object.

Both loaders batch the same graphs, same batch size, no shuffle. PyG's gets a
ready-made Python list of ``Data`` objects (building the list is not timed);
ours slices batches straight out of the flat arrays. Best of ``repeats`` epochs.

Run: ``python benchmarks/loader.py``. Target: ``loader_speedup_vs_pyg >= 3``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

import numpy as np
from torch_geometric.loader import DataLoader

from kdgat.graphs.arrays import GraphArrays
from kdgat.graphs.loader import GraphLoader
from kdgat.graphs.store import graph_data


def loader_speedup(graphs: GraphArrays, batch_size: int = 64, repeats: int = 3) -> dict[str, float]:
    """Graphs per second of one epoch of ``GraphLoader`` and of PyG's ``DataLoader``.

    Args:
        graphs: The graphs to batch (in memory or memory-mapped).
        batch_size: Graphs per batch, for both loaders.
        repeats: Epochs timed per loader; the fastest counts.

    Returns:
        ``ours_graphs_per_s``, ``pyg_graphs_per_s`` and their ratio ``loader_speedup_vs_pyg``.
    """
    data_list = [graph_data(graphs, i) for i in range(graphs.num_graphs)]
    ours = _best_epoch(GraphLoader(graphs, batch_size), repeats)
    pyg = _best_epoch(DataLoader(data_list, batch_size=batch_size, shuffle=False), repeats)
    return {
        "ours_graphs_per_s": graphs.num_graphs / ours,
        "pyg_graphs_per_s": graphs.num_graphs / pyg,
        "loader_speedup_vs_pyg": pyg / ours,
    }


def _best_epoch(loader: Iterable[object], repeats: int) -> float:
    """Seconds of the fastest of ``repeats`` full passes over ``loader``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _batch in loader:
            pass
        best = min(best, time.perf_counter() - start)
    return best


def synthetic_graphs(num_graphs: int = 20_000, seed: int = 0) -> GraphArrays:
    """CAN-window-sized random graphs: 20-60 nodes, 40-150 edges, 40 node / 7 edge features."""
    rng = np.random.default_rng(seed)
    nodes = rng.integers(20, 61, num_graphs)
    edges = rng.integers(40, 151, num_graphs)
    node_ptr = np.concatenate([[0], np.cumsum(nodes)]).astype(np.int64)
    edge_ptr = np.concatenate([[0], np.cumsum(edges)]).astype(np.int64)
    total_nodes, total_edges = int(node_ptr[-1]), int(edge_ptr[-1])
    # Local endpoints: uniform in [0, nodes of the edge's graph).
    edge_index = (rng.random((2, total_edges)) * np.repeat(nodes, edges)).astype(np.int64)
    return GraphArrays(
        x=rng.normal(size=(total_nodes, 40)).astype(np.float32),
        node_id=rng.integers(1, 200, total_nodes),
        node_y=(rng.random(total_nodes) < 0.05).astype(np.uint8),
        edge_index=edge_index,
        edge_attr=rng.normal(size=(total_edges, 7)).astype(np.float32),
        y=(rng.random(num_graphs) < 0.2).astype(np.uint8),
        attack_code=rng.integers(0, 4, num_graphs).astype(np.int32),
        node_ptr=node_ptr,
        edge_ptr=edge_ptr,
        capture=np.zeros(num_graphs, np.int32),
        start=np.arange(num_graphs, dtype=np.int64) * 50,
        t_start=np.arange(num_graphs) * 0.05,
        t_end=np.arange(num_graphs) * 0.05 + 0.1,
    )


def main() -> None:
    """Benchmark on 20,000 synthetic graphs and print the result as JSON."""
    print(json.dumps(loader_speedup(synthetic_graphs()), indent=2))


if __name__ == "__main__":
    main()
