"""The GATv2 classifier: shapes per jumping-knowledge mode, gradients, determinism,
batch independence, size scaling and fitting a tiny labelled batch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Batch
from torch_geometric.nn import GATv2Conv

from kdgat.models.gat import JK_MODES, GATClassifier
from kdgat.models.sizes import count_parameters
from tests.models import EDGE_FEATURES, NODE_FEATURES, VOCAB, random_batch

SMALL = {"hidden_channels": 8, "num_layers": 2, "heads": 2, "embedding_dim": 4}
LARGE = {"hidden_channels": 64, "num_layers": 3, "heads": 4, "embedding_dim": 32}


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    # Tiny graphs: a second intra-op thread only adds synchronisation, which on a busy
    # 2-core machine made each training step about 8x slower.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_gat(sizes: dict[str, int] = SMALL, jk: str = "cat", dropout: float = 0.2) -> GATClassifier:
    return GATClassifier(
        in_channels=NODE_FEATURES,
        edge_dim=EDGE_FEATURES,
        vocab_size=VOCAB,
        jk=jk,
        dropout=dropout,
        **sizes,
    )


def logits(model: GATClassifier, b: Batch) -> torch.Tensor:
    return model(b.x, b.node_id, b.edge_index, b.edge_attr, b.batch)


@pytest.mark.parametrize("jk", JK_MODES)
def test_forward_and_embedding_shapes(jk: str) -> None:
    torch.manual_seed(0)
    b = random_batch(num_graphs=5)
    model = make_gat(jk=jk)
    assert logits(model, b).shape == (5, 2)
    emb = model.embed(b.x, b.node_id, b.edge_index, b.edge_attr, b.batch)
    width = SMALL["hidden_channels"] * SMALL["heads"]
    node_channels = width * SMALL["num_layers"] if jk == "cat" else width
    assert emb.shape == (5, model.graph_channels) == (5, 2 * node_channels)


@pytest.mark.parametrize("jk", JK_MODES)
def test_every_parameter_gets_a_finite_gradient(jk: str) -> None:
    torch.manual_seed(0)
    b = random_batch()
    model = make_gat(jk=jk)
    F.cross_entropy(logits(model, b), b.y).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
    conv = model.encoder.convs[0]
    assert isinstance(conv, GATv2Conv)
    assert conv.lin_edge is not None
    edge_grad = conv.lin_edge.weight.grad
    assert edge_grad is not None
    assert edge_grad.abs().sum() > 0  # edge features are used


def test_eval_is_deterministic_and_train_uses_dropout() -> None:
    torch.manual_seed(0)
    b = random_batch()
    model = make_gat(dropout=0.5).eval()
    assert torch.equal(logits(model, b), logits(model, b))
    model.train()
    assert not torch.equal(logits(model, b), logits(model, b))


def test_a_graph_scores_the_same_alone_and_in_a_batch() -> None:
    torch.manual_seed(0)
    b = random_batch(num_graphs=4)
    model = make_gat().eval()
    together = logits(model, b)
    alone = torch.cat([logits(model, Batch.from_data_list([g])) for g in b.to_data_list()])
    torch.testing.assert_close(together, alone)


def test_real_self_loop_features_reach_the_model() -> None:
    # The encoder must keep a real self-loop's features (GATv2Conv's own self-loop
    # handling would overwrite them with a fill value).
    torch.manual_seed(0)
    b = random_batch(num_graphs=1)
    loop = torch.tensor([[1], [1]])  # node 1 has other in-edges: attention has a choice
    edge_index = torch.cat([b.edge_index[:, b.edge_index[0] != b.edge_index[1]], loop], dim=1)
    edge_attr = torch.randn(edge_index.size(1), EDGE_FEATURES)
    model = make_gat().eval()
    before = model(b.x, b.node_id, edge_index, edge_attr, b.batch)
    edge_attr[-1] += 5.0
    assert not torch.allclose(before, model(b.x, b.node_id, edge_index, edge_attr, b.batch))


def test_large_config_has_at_least_ten_times_the_parameters() -> None:
    small, large = count_parameters(make_gat()), count_parameters(make_gat(LARGE))
    print(f"GATClassifier parameters: small {small:,}, large {large:,} ({large / small:.0f}x)")
    assert large >= 10 * small


def test_rejects_unknown_jk_and_zero_layers() -> None:
    with pytest.raises(ValueError, match="jk"):
        make_gat(jk="sum")
    with pytest.raises(ValueError, match="num_layers"):
        make_gat(SMALL | {"num_layers": 0})


def test_overfits_a_tiny_labelled_batch() -> None:
    torch.manual_seed(0)
    b = random_batch(num_graphs=8, seed=1)
    model = make_gat(dropout=0.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(100):
        optimizer.zero_grad()
        F.cross_entropy(logits(model, b), b.y).backward()
        optimizer.step()
    model.eval()
    assert (logits(model, b).argmax(dim=-1) == b.y).all()
