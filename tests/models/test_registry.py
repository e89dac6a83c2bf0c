"""The network registry: every network builds from its saved arguments and scores a batch."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from kdgat.models import registry
from kdgat.models.vgae import VGAE
from tests.models import EDGE_FEATURES, NODE_FEATURES, VOCAB, random_batch

SHAPES = {"in_channels": NODE_FEATURES, "edge_dim": EDGE_FEATURES, "vocab_size": VOCAB}
SIZES = {
    "gat": {"hidden_channels": 4, "num_layers": 2, "heads": 2, "embedding_dim": 4},
    "gin": {"hidden_channels": 4, "num_layers": 2, "embedding_dim": 4},
    "vgae": {
        "hidden_channels": 4,
        "latent_channels": 4,
        "num_layers": 2,
        "heads": 2,
        "embedding_dim": 4,
    },
}
WEIGHTS = {"features": 1.0, "ids": 1.0, "neighbours": 1.0}


def test_every_network_has_test_sizes() -> None:
    assert set(SIZES) == set(registry.NETWORKS)


@pytest.mark.parametrize("kind", sorted(registry.NETWORKS))
def test_every_network_builds_and_gives_one_attack_score_per_graph(kind: str) -> None:
    torch.manual_seed(0)
    model = registry.build(kind, SHAPES | SIZES[kind]).eval()
    assert registry.kind_of(model) == kind
    scores = registry.attack_score(model, random_batch(num_graphs=3), WEIGHTS)
    assert scores.shape == (3,)
    assert torch.isfinite(scores).all()


def test_an_autoencoder_scores_by_its_weighted_errors() -> None:
    torch.manual_seed(0)
    model = registry.build("vgae", SHAPES | SIZES["vgae"]).eval()
    assert isinstance(model, VGAE)
    b = random_batch(num_graphs=3)
    errors = model.errors(b)[1]
    only_ids = registry.attack_score(model, b, {"ids": 1.0})
    torch.testing.assert_close(only_ids, errors["ids"])


def test_unknown_networks_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown network 'mlp'"):
        registry.build("mlp", {})
    with pytest.raises(ValueError, match="not a registered network"):
        registry.kind_of(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="no attack score"):
        registry.attack_score(nn.Linear(2, 2), random_batch(), WEIGHTS)
