"""Graph attention classifier of CAN windows.

GAT (Velickovic et al., "Graph Attention Networks", ICLR 2018) with the dynamic
attention of GATv2 (Brody et al., "How Attentive are Graph Attention Networks?",
ICLR 2022), which also attends over edge features. Layer l, head k, node i with
neighbours N(i) (self included) and edge features e_ij:

    a_ij^k  = softmax_j( a_k^T LeakyReLU(W_s^k h_i + W_t^k h_j + W_e^k e_ij) )
    h_i'    = ELU( ||_k  sum_{j in N(i)} a_ij^k W_t^k h_j )

(|| concatenates the heads.) The input of node i is ``x_i || E[node_id_i]``, a scaled
feature vector beside a learned embedding of its CAN id. The outputs of all layers are
combined by jumping knowledge (Xu et al., "Representation Learning on Graphs with
Jumping Knowledge Networks", ICML 2018), pooled per graph as
``mean_i h_i || max_i h_i``, and an MLP maps the pooled vector to class logits.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import GATv2Conv, JumpingKnowledge, global_max_pool, global_mean_pool
from torch_geometric.utils import add_remaining_self_loops

from kdgat.models.classifier import GraphClassifier

JK_MODES = ("cat", "max", "lstm")


class GATv2Encoder(nn.Module):
    """Id embedding plus a stack of GATv2 layers; returns every layer's node states.

    Shared by ``GATClassifier`` (which combines the layers by jumping knowledge) and the
    VGAE (which reads the last layer).

    Args:
        in_channels: Node features per node (``x.size(1)``).
        edge_dim: Edge features per edge (``edge_attr.size(1)``).
        vocab_size: Number of CAN id vocabulary entries (index 0 = unknown id).
        embedding_dim: Size of the learned id embedding.
        hidden_channels: Output channels per attention head.
        num_layers: Number of GATv2 layers (>= 1).
        heads: Attention heads per layer; their outputs are concatenated.
        dropout: Dropout on attention coefficients and on each layer's output.
    """

    def __init__(
        self,
        in_channels: int,
        edge_dim: int,
        vocab_size: int,
        embedding_dim: int,
        hidden_channels: int,
        num_layers: int,
        heads: int,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        self.out_channels = hidden_channels * heads
        self.dropout = dropout
        self.id_embedding = nn.Embedding(vocab_size, embedding_dim)
        widths = [in_channels + embedding_dim] + [self.out_channels] * (num_layers - 1)
        self.convs = nn.ModuleList(
            # Self-loops are added once in forward(), keeping the real ones (see there).
            GATv2Conv(
                width,
                hidden_channels,
                heads=heads,
                edge_dim=edge_dim,
                dropout=dropout,
                add_self_loops=False,
            )
            for width in widths
        )

    def forward(
        self, x: Tensor, node_id: Tensor, edge_index: Tensor, edge_attr: Tensor
    ) -> list[Tensor]:
        """Node states after each layer, each ``[N, hidden_channels * heads]``."""
        h = torch.cat([x, self.id_embedding(node_id)], dim=-1)
        # A window's self-loop (an id sent twice in a row) is a signal, e.g. of flooding:
        # GATv2Conv's own self-loop handling would replace its features by a fill value.
        # Only nodes without one get a loop, so every node also attends to itself.
        edge_index, edge_attr = add_remaining_self_loops(
            edge_index, edge_attr, fill_value="mean", num_nodes=x.size(0)
        )
        states = []
        for conv in self.convs:
            h = F.elu(conv(h, edge_index, edge_attr))
            h = F.dropout(h, p=self.dropout, training=self.training)
            states.append(h)
        return states


class GATClassifier(GraphClassifier):
    """GATv2 graph classifier with jumping knowledge and mean||max readout.

    Args:
        in_channels: Node features per node (``x.size(1)``).
        edge_dim: Edge features per edge (``edge_attr.size(1)``).
        vocab_size: Number of CAN id vocabulary entries (index 0 = unknown id).
        embedding_dim: Size of the learned id embedding.
        hidden_channels: Output channels per attention head; also the MLP head's width.
        num_layers: Number of GATv2 layers (>= 1).
        heads: Attention heads per layer; their outputs are concatenated.
        jk: Jumping knowledge mode: ``"cat"``, ``"max"`` or ``"lstm"``.
        dropout: Dropout on attention, layer outputs and the MLP head.
        num_classes: Number of output logits per graph.

    Raises:
        ValueError: If ``jk`` is not a known mode or ``num_layers`` < 1.
    """

    def __init__(
        self,
        in_channels: int,
        edge_dim: int,
        vocab_size: int,
        embedding_dim: int,
        hidden_channels: int,
        num_layers: int,
        heads: int,
        jk: str = "cat",
        dropout: float = 0.2,
        num_classes: int = 2,
    ) -> None:
        super().__init__()
        if jk not in JK_MODES:
            raise ValueError(f"jk must be one of {JK_MODES}, got {jk!r}")
        self.encoder = GATv2Encoder(
            in_channels,
            edge_dim,
            vocab_size,
            embedding_dim,
            hidden_channels,
            num_layers,
            heads,
            dropout,
        )
        width = self.encoder.out_channels
        if jk == "lstm":
            self.jk = JumpingKnowledge("lstm", channels=width, num_layers=num_layers)
        else:
            self.jk = JumpingKnowledge(jk)
        node_channels = width * num_layers if jk == "cat" else width
        self.graph_channels = 2 * node_channels  # mean || max
        self.head = nn.Sequential(
            nn.Linear(self.graph_channels, hidden_channels),
            nn.ELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_channels, num_classes),
        )

    def embed(
        self, x: Tensor, node_id: Tensor, edge_index: Tensor, edge_attr: Tensor, batch: Tensor
    ) -> Tensor:
        """Pooled graph embeddings ``[G, graph_channels]`` (for distillation and fusion)."""
        h = self.jk(self.encoder(x, node_id, edge_index, edge_attr))
        return torch.cat([global_mean_pool(h, batch), global_max_pool(h, batch)], dim=-1)

    def forward(
        self, x: Tensor, node_id: Tensor, edge_index: Tensor, edge_attr: Tensor, batch: Tensor
    ) -> Tensor:
        """Class logits ``[G, num_classes]``."""
        return self.head(self.embed(x, node_id, edge_index, edge_attr, batch))
