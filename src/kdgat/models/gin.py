"""Graph isomorphism network classifier of CAN windows, with edge features.

GIN (Xu et al., "How Powerful are Graph Neural Networks?", ICLR 2019) in its GINE form
(Hu et al., "Strategies for Pre-training Graph Neural Networks", ICLR 2020), which adds
the edge features to each message. Layer l, node i with in-neighbours N(i):

    h_i'  = MLP_l( (1 + eps_l) h_i + sum_{j in N(i)} ReLU(h_j + W_e e_ji) )

A sum aggregator with an MLP is as discriminative as the 1-WL test, the strongest a
message-passing network can be; unlike attention it counts how often an id talks to
another, which is what a flood or a replay changes. The input of node i is
``x_i || E[node_id_i]``; the layers' outputs are concatenated (jumping knowledge),
pooled per graph as ``sum_i h_i || max_i h_i`` and mapped to class logits by an MLP.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.nn import GINEConv, global_add_pool, global_max_pool

from kdgat.models.classifier import GraphClassifier


def _mlp(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(in_channels, out_channels),
        nn.BatchNorm1d(out_channels),
        nn.ReLU(),
        nn.Linear(out_channels, out_channels),
    )


class GINClassifier(GraphClassifier):
    """GINE graph classifier with concatenated layer outputs and sum||max readout.

    Args:
        in_channels: Node features per node (``x.size(1)``).
        edge_dim: Edge features per edge (``edge_attr.size(1)``).
        vocab_size: Number of CAN id vocabulary entries (index 0 = unknown id).
        embedding_dim: Size of the learned id embedding.
        hidden_channels: Width of every layer and of the MLP head.
        num_layers: Number of GINE layers (>= 1).
        dropout: Dropout on each layer's output and in the MLP head.
        num_classes: Number of output logits per graph.

    Raises:
        ValueError: If ``num_layers`` < 1.
    """

    def __init__(
        self,
        in_channels: int,
        edge_dim: int,
        vocab_size: int,
        embedding_dim: int,
        hidden_channels: int,
        num_layers: int,
        dropout: float = 0.2,
        num_classes: int = 2,
    ) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        self.dropout = dropout
        self.id_embedding = nn.Embedding(vocab_size, embedding_dim)
        self.input = nn.Linear(in_channels + embedding_dim, hidden_channels)
        self.convs = nn.ModuleList(
            GINEConv(_mlp(hidden_channels, hidden_channels), train_eps=True, edge_dim=edge_dim)
            for _ in range(num_layers)
        )
        self.head = nn.Sequential(
            nn.Linear(2 * hidden_channels * num_layers, hidden_channels),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_channels, num_classes),
        )

    def forward(
        self, x: Tensor, node_id: Tensor, edge_index: Tensor, edge_attr: Tensor, batch: Tensor
    ) -> Tensor:
        """Class logits ``[G, num_classes]``."""
        h = self.input(torch.cat([x, self.id_embedding(node_id)], dim=-1))
        states = []
        for conv in self.convs:
            h = torch.relu(conv(h, edge_index, edge_attr))
            h = nn.functional.dropout(h, p=self.dropout, training=self.training)
            states.append(h)
        nodes = torch.cat(states, dim=-1)
        pooled = torch.cat([global_add_pool(nodes, batch), global_max_pool(nodes, batch)], dim=-1)
        return self.head(pooled)
