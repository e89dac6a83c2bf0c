"""The GINE classifier: shapes, gradients (edge features used), batch independence,
scoring through the classifier interface, and fitting a tiny labelled batch."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Batch
from torch_geometric.nn import GINEConv
from torch_geometric.nn.dense.linear import Linear

from kdgat.models.gin import GINClassifier
from tests.models import EDGE_FEATURES, NODE_FEATURES, VOCAB, random_batch

SMALL = {"hidden_channels": 8, "num_layers": 2, "embedding_dim": 4}


def make_gin(dropout: float = 0.2) -> GINClassifier:
    return GINClassifier(
        in_channels=NODE_FEATURES,
        edge_dim=EDGE_FEATURES,
        vocab_size=VOCAB,
        dropout=dropout,
        **SMALL,
    )


def test_logits_and_attack_probability_shapes() -> None:
    torch.manual_seed(0)
    b = random_batch(num_graphs=5)
    model = make_gin().eval()
    assert model.logits(b).shape == (5, 2)
    p = model.attack_probability(b)
    assert p.shape == (5,)
    assert ((p >= 0) & (p <= 1)).all()
    torch.testing.assert_close(p, model.logits(b).softmax(-1)[:, 1])


def test_every_parameter_gets_a_finite_gradient() -> None:
    torch.manual_seed(0)
    b = random_batch()
    model = make_gin()
    F.cross_entropy(model.logits(b), b.y).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
    conv = model.convs[0]
    assert isinstance(conv, GINEConv)
    edge = conv.lin
    assert isinstance(edge, Linear)  # GINE's edge-feature projection (None without edge_dim)
    assert edge.weight.grad is not None
    assert edge.weight.grad.abs().sum() > 0  # edge features reach the messages


def test_a_graph_scores_the_same_alone_and_in_a_batch() -> None:
    torch.manual_seed(0)
    b = random_batch(num_graphs=4)
    model = make_gin().eval()
    alone = torch.cat([model.logits(Batch.from_data_list([g])) for g in b.to_data_list()])
    torch.testing.assert_close(model.logits(b), alone)


def test_rejects_zero_layers() -> None:
    with pytest.raises(ValueError, match="num_layers"):
        GINClassifier(NODE_FEATURES, EDGE_FEATURES, VOCAB, 4, 8, num_layers=0)


def test_overfits_a_tiny_labelled_batch() -> None:
    torch.manual_seed(0)
    b = random_batch(num_graphs=8, seed=1)
    model = make_gin(dropout=0.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(100):
        optimizer.zero_grad()
        F.cross_entropy(model.logits(b), b.y).backward()
        optimizer.step()
    model.eval()
    assert (model.logits(b).argmax(dim=-1) == b.y).all()
