"""CurriculumSampler: the linear balanced -> natural schedule, hard negatives first, loader use."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from kdgat.graphs.loader import GraphLoader
from kdgat.training.curriculum import CurriculumSampler
from tests.graphs.test_store import random_graphs

EPOCHS = 6


def dataset(n_attack: int = 20, n_benign: int = 200, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Shuffled labels and hardness; attacks get NaN hardness (the sampler ignores it)."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.r_[np.ones(n_attack), np.zeros(n_benign)]).astype(np.uint8)
    hardness = np.where(labels == 1, np.nan, rng.exponential(size=len(labels)))
    return labels, hardness


def split(sampler: CurriculumSampler, labels: np.ndarray, epoch: int) -> tuple[np.ndarray, ...]:
    chosen = sampler.indices(epoch)
    return chosen[labels[chosen] == 1], chosen[labels[chosen] == 0]


def test_schedule_from_balanced_to_natural() -> None:
    labels, hardness = dataset()
    sampler = CurriculumSampler(labels, hardness, EPOCHS, seed=1)
    counts = [len(split(sampler, labels, e)[1]) for e in range(EPOCHS)]
    assert counts == [20, 56, 92, 128, 164, 200]  # 20 + 180 * e / 5
    assert counts == [sampler.benign_count(e) for e in range(EPOCHS)]
    assert len(split(sampler, labels, EPOCHS + 3)[1]) == 200  # extra epochs: natural ratio


def test_attacks_always_included_once_and_no_repeats() -> None:
    labels, hardness = dataset()
    sampler = CurriculumSampler(labels, hardness, EPOCHS, seed=1)
    for epoch in range(EPOCHS):
        chosen = sampler.indices(epoch)
        assert chosen.dtype == np.int64
        assert np.all(np.diff(chosen) > 0)  # sorted, unique
        np.testing.assert_array_equal(split(sampler, labels, epoch)[0], np.flatnonzero(labels))
    np.testing.assert_array_equal(sampler.indices(EPOCHS - 1), np.arange(len(labels)))


def test_composition_changes_across_epochs() -> None:
    labels, hardness = dataset()
    sampler = CurriculumSampler(labels, hardness, epochs=50, seed=1)
    first, second = sampler.indices(0), sampler.indices(1)
    # Epoch 1 draws more benign graphs, and not simply epoch 0's plus some;
    # another seed draws another epoch 0.
    assert not set(split(sampler, labels, 0)[1]) <= set(split(sampler, labels, 1)[1])
    assert len(first) < len(second)
    other = CurriculumSampler(labels, hardness, epochs=50, seed=2)
    assert not np.array_equal(other.indices(0), first)


def test_hard_negatives_over_represented_early() -> None:
    labels, hardness = dataset(n_attack=30, n_benign=600)
    sampler = CurriculumSampler(labels, hardness, EPOCHS, seed=0)
    benign_mean = hardness[labels == 0].mean()
    drawn = [hardness[split(sampler, labels, e)[1]].mean() for e in range(EPOCHS)]
    # About 1.9x here; the margin holds for every seed tried (the lowest was 1.37x).
    assert drawn[0] > 1.25 * benign_mean
    assert drawn[-1] == pytest.approx(benign_mean)
    # The drawn mean falls as the draw grows toward every benign graph.
    assert drawn[1] > drawn[3] > drawn[-1]


def test_uniform_when_hardness_is_constant() -> None:
    labels, _ = dataset(n_attack=50, n_benign=100)
    benign = np.flatnonzero(labels == 0)
    hits = np.zeros(len(labels))
    for seed in range(200):
        sampler = CurriculumSampler(labels, np.zeros(len(labels)), epochs=3, seed=seed)
        hits[split(sampler, labels, 0)[1]] += 1
    # Each benign graph is drawn with probability 1/2; 200 draws: 100 +- ~7 (1 sd).
    assert np.all(np.abs(hits[benign] - 100) < 40)


def test_deterministic() -> None:
    labels, hardness = dataset()
    a = CurriculumSampler(labels, hardness, EPOCHS, seed=7)
    b = CurriculumSampler(labels.copy(), hardness.copy(), EPOCHS, seed=7)
    for epoch in (2, 0, 1):  # order of calls does not matter
        np.testing.assert_array_equal(a.indices(epoch), b.indices(epoch))
    np.testing.assert_array_equal(a.indices(1), a.indices(1))


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (np.zeros(5), np.arange(5)),  # no attack: all benign, every epoch
        (np.ones(4), np.arange(4)),  # no benign: the attacks only
        (np.array([1, 1, 0, 1]), np.arange(4)),  # more attacks than benign: all benign
        (np.array([], dtype=np.uint8), np.array([], dtype=np.int64)),
    ],
)
def test_edge_cases(labels: np.ndarray, expected: np.ndarray) -> None:
    sampler = CurriculumSampler(labels, np.linspace(0, 1, len(labels)), EPOCHS, seed=0)
    for epoch in range(EPOCHS):
        chosen = sampler.indices(epoch)
        assert chosen.dtype == np.int64
        np.testing.assert_array_equal(chosen, expected)


def test_single_epoch_uses_the_natural_ratio() -> None:
    labels, hardness = dataset()
    sampler = CurriculumSampler(labels, hardness, epochs=1, seed=0)
    np.testing.assert_array_equal(sampler.indices(0), np.arange(len(labels)))


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"hardness": np.zeros(3)}, "equal length"),
        ({"epochs": 0}, "epochs must be >= 1"),
        ({"temperature": 0.0}, "temperature"),
        ({"hardness": np.array([np.nan, 0.0, 0.0, 0.0])}, "finite"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], pattern: str) -> None:
    args: dict[str, object] = {
        "labels": np.array([0, 1, 0, 0]),
        "hardness": np.zeros(4),
        "epochs": 3,
        "seed": 0,
    }
    with pytest.raises(ValueError, match=pattern):
        CurriculumSampler(**{**args, **kwargs})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="epoch must be >= 0"):
        CurriculumSampler(**args).indices(-1)  # type: ignore[arg-type]


def test_loader_batches_follow_the_schedule() -> None:
    graphs = random_graphs(60, seed=5)
    y = np.zeros(60, dtype=np.uint8)
    y[::6] = 1  # 10 attack graphs, 50 benign
    graphs = replace(graphs, y=y)
    hardness = np.random.default_rng(0).random(60)
    sampler = CurriculumSampler(graphs.y, hardness, EPOCHS, seed=3)

    def label_counts(epoch: int) -> tuple[int, int]:
        loader = GraphLoader(graphs, 8, shuffle=True, seed=0, indices=sampler.indices(epoch))
        labels = np.concatenate([batch.y.numpy() for batch in loader])
        return int((labels == 1).sum()), int((labels == 0).sum())

    assert label_counts(0) == (10, 10)
    assert label_counts(EPOCHS - 1) == (10, 50)
