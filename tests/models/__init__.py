"""Model tests; ``random_batch`` builds batches shaped like the graph loader's."""

from __future__ import annotations

import torch
from torch_geometric.data import Batch, Data
from torch_geometric.utils import coalesce

NODE_FEATURES = 40
EDGE_FEATURES = 7
VOCAB = 50


def random_batch(
    num_graphs: int = 4, seed: int = 0, min_nodes: int = 3, max_nodes: int = 8
) -> Batch:
    """Random CAN-like window graphs with alternating labels ``y``.

    Ids are distinct within a graph; edges are random, directed and distinct, self-loops
    possible (as in real windows); features are standard normal.
    """
    gen = torch.Generator().manual_seed(seed)
    graphs = []
    for g in range(num_graphs):
        n = int(torch.randint(min_nodes, max_nodes + 1, (1,), generator=gen))
        e = int(torch.randint(n, 3 * n + 1, (1,), generator=gen))
        # Distinct edges, ordered by (source, target), as the graph builder makes them.
        edge_index, edge_attr = coalesce(
            torch.randint(0, n, (2, e), generator=gen),
            torch.randn(e, EDGE_FEATURES, generator=gen),
            n,
        )
        graphs.append(
            Data(
                x=torch.randn(n, NODE_FEATURES, generator=gen),
                node_id=torch.randperm(VOCAB, generator=gen)[:n],
                edge_index=edge_index,
                edge_attr=edge_attr,
                y=torch.tensor([g % 2]),
                num_nodes=n,
            )
        )
    return Batch.from_data_list(graphs)
