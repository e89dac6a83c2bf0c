"""The VGAE: shapes, sampling vs eval, gradients, the error terms, the loss and anomaly
score, size scaling, and fitting a tiny batch so that a perturbed one scores higher."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from torch_geometric.data import Batch

from kdgat.models.sizes import count_parameters
from kdgat.models.vgae import (
    LOSS_TERMS,
    VGAE,
    VGAEOutput,
    anomaly_score,
    neighbour_targets,
    reconstruction_errors,
    vgae_loss,
)
from tests.models import EDGE_FEATURES, NODE_FEATURES, VOCAB, random_batch

SMALL = {
    "hidden_channels": 8,
    "num_layers": 2,
    "heads": 2,
    "embedding_dim": 4,
    "latent_channels": 4,
}
LARGE = {
    "hidden_channels": 64,
    "num_layers": 3,
    "heads": 4,
    "embedding_dim": 32,
    "latent_channels": 16,
}
WEIGHTS = {"features": 1.0, "ids": 1.0, "neighbours": 1.0, "kl": 0.01}


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    # Tiny graphs: a second intra-op thread only adds synchronisation, which on a busy
    # 2-core machine made each training step about 8x slower.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_vgae(sizes: dict[str, int] = SMALL, dropout: float = 0.0) -> VGAE:
    return VGAE(
        in_channels=NODE_FEATURES,
        edge_dim=EDGE_FEATURES,
        vocab_size=VOCAB,
        dropout=dropout,
        **sizes,
    )


def run(model: VGAE, b: Batch) -> VGAEOutput:
    return model(b.x, b.node_id, b.edge_index, b.edge_attr)


def errors_of(model: VGAE, b: Batch, num_graphs: int | None = None) -> dict[str, torch.Tensor]:
    return reconstruction_errors(
        run(model, b),
        b.x,
        b.node_id,
        b.edge_index,
        b.batch,
        b.num_graphs if num_graphs is None else num_graphs,
        VOCAB,
    )


def test_output_shapes() -> None:
    torch.manual_seed(0)
    b = random_batch()
    out = run(make_vgae(), b)
    n, latent = b.num_nodes, SMALL["latent_channels"]
    for name in ("z", "mu", "logstd"):
        assert getattr(out, name).shape == (n, latent), name
    assert out.x_hat.shape == (n, NODE_FEATURES)
    assert out.id_logits.shape == out.neighbour_logits.shape == (n, VOCAB)


def test_eval_uses_the_mean_and_training_samples() -> None:
    torch.manual_seed(0)
    b = random_batch()
    model = make_vgae(dropout=0.3).eval()
    first, second = run(model, b), run(model, b)
    assert torch.equal(first.z, first.mu)
    assert torch.equal(first.x_hat, second.x_hat)
    model.train()
    out = run(model, b)
    assert not torch.equal(out.z, out.mu)


def test_every_parameter_gets_a_finite_gradient() -> None:
    torch.manual_seed(0)
    b = random_batch()
    model = make_vgae()
    vgae_loss(errors_of(model, b), dict.fromkeys(LOSS_TERMS, 1.0)).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name


def test_neighbour_targets_of_a_hand_made_graph() -> None:
    # ids 5, 0, 7, 3; edges 0->1, 1->2, 2->2 (self-loop); node 3 isolated.
    node_id = torch.tensor([5, 0, 7, 3])
    edge_index = torch.tensor([[0, 1, 2], [1, 2, 2]])
    expected = torch.zeros(4, 8)
    expected[0, [0]] = 1  # successor id 0
    expected[1, [5, 7]] = 1  # predecessor id 5, successor id 7
    expected[2, [0, 7]] = 1  # predecessor id 0, itself through the self-loop
    assert torch.equal(neighbour_targets(node_id, edge_index, 4, 8), expected)


def test_reconstruction_errors_are_per_graph_finite_and_non_negative() -> None:
    torch.manual_seed(0)
    b = random_batch(num_graphs=5)
    errors = errors_of(make_vgae(), b)
    assert set(errors) == set(LOSS_TERMS)
    for name, error in errors.items():
        assert error.shape == (5,), name
        assert torch.isfinite(error).all(), name
        assert (error >= 0).all(), name


def test_reconstruction_errors_of_a_graph_do_not_depend_on_its_batch() -> None:
    torch.manual_seed(0)
    b = random_batch(num_graphs=4)
    model = make_vgae().eval()
    together = errors_of(model, b, num_graphs=5)  # a fifth graph without nodes
    for g, graph in enumerate(b.to_data_list()):
        alone = errors_of(model, Batch.from_data_list([graph]))
        for name in LOSS_TERMS:
            torch.testing.assert_close(together[name][g], alone[name][0])
    assert all(together[name][4] == 0 for name in LOSS_TERMS)


def test_loss_and_score_are_the_weighted_sums() -> None:
    errors = {name: torch.rand(3) for name in LOSS_TERMS}
    expected = sum(WEIGHTS[name] * errors[name].mean() for name in LOSS_TERMS)
    torch.testing.assert_close(vgae_loss(errors, WEIGHTS), expected)
    score = anomaly_score(errors, {"features": 2.0, "neighbours": 0.5})  # ids: weight 0
    torch.testing.assert_close(score, 2.0 * errors["features"] + 0.5 * errors["neighbours"])


def test_unknown_weight_keys_are_rejected() -> None:
    errors = {name: torch.rand(3) for name in LOSS_TERMS}
    with pytest.raises(ValueError, match="neighbors"):
        vgae_loss(errors, {"neighbors": 1.0})
    with pytest.raises(ValueError, match="kl"):
        anomaly_score(errors, WEIGHTS)


def test_large_config_has_at_least_ten_times_the_parameters() -> None:
    small, large = count_parameters(make_vgae()), count_parameters(make_vgae(LARGE))
    print(f"VGAE parameters: small {small:,}, large {large:,} ({large / small:.0f}x)")
    assert large >= 10 * small


def perturbed(b: Batch, seed: int = 7) -> Batch:
    """The batch with node features shuffled across nodes plus noise, and random ids."""
    gen = torch.Generator().manual_seed(seed)
    out = b.clone()
    out.x = b.x[torch.randperm(b.num_nodes, generator=gen)]
    out.x = out.x + 0.5 * torch.randn(out.x.shape, generator=gen)
    out.node_id = torch.randint(0, VOCAB, (b.num_nodes,), generator=gen)
    return out


def test_fits_a_tiny_batch_and_scores_a_perturbed_one_higher() -> None:
    torch.manual_seed(0)
    b = random_batch(num_graphs=4, seed=1)
    model = make_vgae()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(100):
        optimizer.zero_grad()
        loss = vgae_loss(errors_of(model, b), WEIGHTS)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], (losses[0], losses[-1])

    model.eval()
    score_weights = {name: WEIGHTS[name] for name in ("features", "ids", "neighbours")}
    with torch.no_grad():
        clean = anomaly_score(errors_of(model, b), score_weights)
        attacked = anomaly_score(errors_of(model, perturbed(b)), score_weights)
    assert (attacked > clean).all(), (clean, attacked)
