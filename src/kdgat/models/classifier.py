"""What every graph classifier shares: class logits of a batch, and its attack probability."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.data import Batch


class GraphClassifier(nn.Module):
    """A network mapping a batch of window graphs to class logits ``[G, num_classes]``.

    Subclasses implement ``forward(x, node_id, edge_index, edge_attr, batch)``; training,
    fusion and evaluation call ``logits`` and ``attack_probability`` on a whole batch.
    """

    def logits(self, batch: Batch) -> Tensor:
        """Class logits of every graph of ``batch``."""
        return self(batch.x, batch.node_id, batch.edge_index, batch.edge_attr, batch.batch)

    def attack_probability(self, batch: Batch) -> Tensor:
        """Per graph: the softmax probability of the attack class (index 1)."""
        return self.logits(batch).softmax(dim=-1)[:, 1]


def attack_log_odds(logits: Tensor) -> Tensor:
    """Per graph: log(p / (1 - p)) of the attack class (index 1), from class logits.

    Exact where the probability rounds to 1 in float32 (a confident GAT's usual case).
    """
    log_p = logits.log_softmax(dim=-1)
    others = torch.cat([log_p[:, :1], log_p[:, 2:]], dim=-1).logsumexp(dim=-1)
    return log_p[:, 1] - others
