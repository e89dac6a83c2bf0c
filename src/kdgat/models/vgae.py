"""Variational graph autoencoder of CAN windows, the one-class anomaly detector.

VGAE (Kipf & Welling, "Variational Graph Auto-Encoders", NIPS 2016 workshop on
Bayesian deep learning), with the encoder's GCN replaced by GATv2 layers that read
edge features (``GATv2Encoder``, see ``kdgat.models.gat``). Per node i:

    h_i            = GATv2Encoder(x || E[node_id], edge_index, edge_attr)_i   (last layer)
    mu_i           = W_mu h_i,   log sigma_i = W_sigma h_i
    z_i            = mu_i + sigma_i * eps,  eps ~ N(0, I)   (training; z_i = mu_i in eval)

Kipf & Welling use a GCN layer for mu and sigma; linear heads keep the receptive field
at ``num_layers`` hops. Instead of the inner-product adjacency decoder, three MLP
decoders read z_i, suited to small, dense, directed windows where *which* ids talk
matters more than whether two nodes touch:

    x_hat_i        = MLP_x(z_i)                 node features      [N, in_channels]
    id_logits_i    = MLP_id(z_i)                the node's own id  [N, vocab_size]
    nbr_logits_i   = MLP_nbr(z_i)               ids of its in- and out-neighbours
                                                (multi-hot)        [N, vocab_size]

Per graph g with nodes V_g (means over nodes, F features, V vocabulary entries, d
latent dimensions; A_i the multi-hot neighbour ids of node i):

    features_g     = 1/|V_g| sum_i 1/F ||x_hat_i - x_i||^2
    ids_g          = 1/|V_g| sum_i CE(id_logits_i, node_id_i)
    neighbours_g   = 1/|V_g| sum_i 1/V sum_v BCE(sigmoid(nbr_logits_iv), A_iv)
    kl_g           = 1/|V_g| sum_i KL(N(mu_i, sigma_i^2) || N(0, I))
                   = 1/|V_g| sum_i -1/2 sum_d (1 + 2 log sigma_id - mu_id^2 - sigma_id^2)

    loss           = sum_k w_k mean_g(k_g)                  k in features, ids, neighbours, kl
    anomaly_g      = sum_k w_k k_g                          k in features, ids, neighbours
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Batch
from torch_geometric.utils import scatter

from kdgat.models.gat import GATv2Encoder

ANOMALY_TERMS = ("features", "ids", "neighbours")
LOSS_TERMS = (*ANOMALY_TERMS, "kl")
# As in PyG's VGAE: exp(2 * logstd) overflows for large logstd early in training.
MAX_LOGSTD = 10.0


@dataclass(frozen=True)
class VGAEOutput:
    """What ``VGAE.forward`` returns; every tensor has one row per node."""

    z: Tensor  # [N, latent_channels] sample (training) or mu (eval)
    mu: Tensor  # [N, latent_channels]
    logstd: Tensor  # [N, latent_channels], clamped to <= MAX_LOGSTD
    x_hat: Tensor  # [N, in_channels]
    id_logits: Tensor  # [N, vocab_size]
    neighbour_logits: Tensor  # [N, vocab_size]


def _mlp(in_channels: int, hidden_channels: int, out_channels: int, dropout: float) -> nn.Module:
    return nn.Sequential(
        nn.Linear(in_channels, hidden_channels),
        nn.ELU(),
        nn.Dropout(dropout),
        nn.Linear(hidden_channels, out_channels),
    )


class VGAE(nn.Module):
    """Variational graph autoencoder with a GATv2 encoder and three node-level decoders.

    Args:
        in_channels: Node features per node (``x.size(1)``).
        edge_dim: Edge features per edge (``edge_attr.size(1)``).
        vocab_size: Number of CAN id vocabulary entries (index 0 = unknown id).
        embedding_dim: Size of the learned id embedding.
        hidden_channels: Output channels per attention head; also the decoders' width.
        latent_channels: Size of z.
        num_layers: Number of GATv2 encoder layers (>= 1).
        heads: Attention heads per encoder layer; their outputs are concatenated.
        dropout: Dropout in the encoder and decoders.
    """

    def __init__(
        self,
        in_channels: int,
        edge_dim: int,
        vocab_size: int,
        embedding_dim: int,
        hidden_channels: int,
        latent_channels: int,
        num_layers: int,
        heads: int,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.vocab_size = vocab_size
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
        self.mu = nn.Linear(width, latent_channels)
        self.logstd = nn.Linear(width, latent_channels)
        self.feature_decoder = _mlp(latent_channels, hidden_channels, in_channels, dropout)
        self.id_decoder = _mlp(latent_channels, hidden_channels, vocab_size, dropout)
        self.neighbour_decoder = _mlp(latent_channels, hidden_channels, vocab_size, dropout)

    def encode(
        self, x: Tensor, node_id: Tensor, edge_index: Tensor, edge_attr: Tensor
    ) -> tuple[Tensor, Tensor]:
        """``(mu, logstd)`` of the node posteriors, each ``[N, latent_channels]``."""
        h = self.encoder(x, node_id, edge_index, edge_attr)[-1]
        return self.mu(h), self.logstd(h).clamp(max=MAX_LOGSTD)

    def reparameterize(self, mu: Tensor, logstd: Tensor) -> Tensor:
        """A sample ``mu + sigma * eps`` in training; ``mu`` in eval (deterministic scores)."""
        if not self.training:
            return mu
        return mu + torch.randn_like(mu) * logstd.exp()

    def forward(
        self, x: Tensor, node_id: Tensor, edge_index: Tensor, edge_attr: Tensor
    ) -> VGAEOutput:
        """Encode, sample z and decode features, ids and neighbour ids of every node."""
        mu, logstd = self.encode(x, node_id, edge_index, edge_attr)
        z = self.reparameterize(mu, logstd)
        return VGAEOutput(
            z=z,
            mu=mu,
            logstd=logstd,
            x_hat=self.feature_decoder(z),
            id_logits=self.id_decoder(z),
            neighbour_logits=self.neighbour_decoder(z),
        )

    def errors(self, batch: Batch) -> tuple[VGAEOutput, dict[str, Tensor]]:
        """The forward pass over ``batch`` and its per-graph reconstruction errors."""
        out = self(batch.x, batch.node_id, batch.edge_index, batch.edge_attr)
        errors = reconstruction_errors(
            out,
            batch.x,
            batch.node_id,
            batch.edge_index,
            batch.batch,
            batch.num_graphs,
            self.vocab_size,
        )
        return out, errors

    def anomaly_score(self, batch: Batch, weights: dict[str, float]) -> Tensor:
        """Per graph: the composite anomaly score (module docstring) of ``batch``."""
        return anomaly_score(self.errors(batch)[1], weights)


def neighbour_targets(
    node_id: Tensor, edge_index: Tensor, num_nodes: int, vocab_size: int
) -> Tensor:
    """Multi-hot ``[N, vocab_size]`` float: ``A[i, v] = 1`` iff an edge joins i to a node of id v.

    Both directions count (i's predecessors and successors in the window), and a
    self-loop puts i's own id in its row.
    """
    source, target = edge_index
    rows = torch.cat([source, target])
    cols = node_id[torch.cat([target, source])]
    targets = torch.zeros(num_nodes, vocab_size, device=node_id.device)
    # Repeated (row, col) pairs all write 1, so no accumulation is needed.
    targets[rows, cols] = 1.0
    return targets


def reconstruction_errors(
    out: VGAEOutput,
    x: Tensor,
    node_id: Tensor,
    edge_index: Tensor,
    batch: Tensor,
    num_graphs: int,
    vocab_size: int,
) -> dict[str, Tensor]:
    """Per-graph errors ``[G]`` under the keys features, ids, neighbours, kl (module docstring).

    A graph without nodes gets 0 for every term.
    """
    nbr = neighbour_targets(node_id, edge_index, x.size(0), vocab_size)
    per_node = {
        "features": (out.x_hat - x).pow(2).mean(dim=-1),
        # Index 0 (unknown id) is a class like any other: an id unseen in training
        # should be predicted as unknown, so no ignore_index.
        "ids": F.cross_entropy(out.id_logits, node_id, reduction="none"),
        "neighbours": F.binary_cross_entropy_with_logits(
            out.neighbour_logits, nbr, reduction="none"
        ).mean(dim=-1),
        "kl": -0.5 * (1 + 2 * out.logstd - out.mu.pow(2) - (2 * out.logstd).exp()).sum(dim=-1),
    }
    return {
        name: scatter(error, batch, dim=0, dim_size=num_graphs, reduce="mean")
        for name, error in per_node.items()
    }


def _checked(weights: dict[str, float], terms: tuple[str, ...]) -> dict[str, float]:
    # A misspelt key ("neighbors") would otherwise silently drop its term.
    unknown = sorted(set(weights) - set(terms))
    if unknown:
        raise ValueError(f"unknown error terms {unknown} in weights; expected keys among {terms}")
    return weights


def vgae_loss(errors: dict[str, Tensor], weights: dict[str, float]) -> Tensor:
    """Training loss: ``sum_k weights[k] * errors[k].mean()`` over features, ids, neighbours, kl.

    A term missing from ``weights`` has weight 0.

    Raises:
        ValueError: If ``weights`` names a term that is not one of ``LOSS_TERMS``.
    """
    used = _checked(weights, LOSS_TERMS)
    total = errors["features"].new_zeros(())
    for name, weight in used.items():
        total = total + weight * errors[name].mean()
    return total


def anomaly_score(errors: dict[str, Tensor], weights: dict[str, float]) -> Tensor:
    """Composite anomaly score per graph ``[G]``: ``sum_k weights[k] * errors[k]``.

    Terms are features, ids, neighbours (the KL measures the posterior's spread, not
    how badly the window is reconstructed); a term missing from ``weights`` has weight 0.

    Raises:
        ValueError: If ``weights`` names a term that is not one of ``ANOMALY_TERMS``.
    """
    used = _checked(weights, ANOMALY_TERMS)
    score = torch.zeros_like(errors["features"])
    for name, weight in used.items():
        score = score + weight * errors[name]
    return score
