"""Class weights, focal loss, the classification-loss switch and the distillation loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from kdgat.training.losses import (
    class_weights,
    classification_loss,
    distillation_loss,
    focal_loss,
)


def batch(n: int = 16, classes: int = 2, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, classes, generator=generator, dtype=torch.float64) * 3
    targets = torch.randint(0, classes, (n,), generator=generator)
    return logits.requires_grad_(), targets


def test_class_weights_inverse_frequency() -> None:
    weights = class_weights(np.array([0] * 6 + [1] * 2))
    assert weights.dtype == torch.float32
    # Inverse frequencies 1/6 and 1/2, scaled to mean 1.
    torch.testing.assert_close(weights, torch.tensor([0.5, 1.5]))
    balanced = class_weights(torch.tensor([0, 1, 2, 2, 1, 0]), num_classes=3)
    torch.testing.assert_close(balanced, torch.ones(3))


def test_class_weights_absent_class_gets_one() -> None:
    torch.testing.assert_close(class_weights(np.zeros(5, dtype=np.uint8)), torch.ones(2))
    weights = class_weights(np.array([0, 0, 0, 2]), num_classes=3)
    torch.testing.assert_close(weights, torch.tensor([0.5, 1.0, 1.5]))
    torch.testing.assert_close(class_weights(np.array([], dtype=np.int64)), torch.ones(2))
    with pytest.raises(ValueError, match="labels must lie in"):
        class_weights(np.array([0, 2]))


def test_focal_with_gamma_zero_is_cross_entropy() -> None:
    logits, targets = batch()
    torch.testing.assert_close(focal_loss(logits, targets, 0.0), F.cross_entropy(logits, targets))
    weight = torch.tensor([0.25, 1.75])
    per_sample = F.cross_entropy(logits, targets, weight=weight.double(), reduction="none")
    torch.testing.assert_close(focal_loss(logits, targets, 0.0, weight), per_sample.mean())


def test_focal_matches_formula_and_down_weights_easy_examples() -> None:
    logits, targets = batch()
    p_t = logits.softmax(-1).gather(1, targets[:, None]).squeeze(1)
    expected = (-((1 - p_t) ** 2) * p_t.log()).mean()
    torch.testing.assert_close(focal_loss(logits, targets, 2.0), expected)
    assert focal_loss(logits, targets, 2.0) < F.cross_entropy(logits, targets)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_focal_gradients_finite_for_confident_logits(gamma: float) -> None:
    logits = torch.tensor([[200.0, -200.0], [-200.0, 200.0], [3.0, 0.0]], requires_grad=True)
    targets = torch.tensor([0, 0, 1])  # one certain hit, one certain miss, one ordinary
    loss = focal_loss(logits, targets, gamma, torch.tensor([1.0, 2.0]))
    loss.backward()
    assert torch.isfinite(loss)
    assert logits.grad is not None
    assert torch.isfinite(logits.grad).all()


def test_focal_rejects_negative_gamma() -> None:
    logits, targets = batch()
    with pytest.raises(ValueError, match="gamma"):
        focal_loss(logits, targets, -1.0)


def test_classification_loss_dispatch() -> None:
    logits, targets = batch()
    weight = torch.tensor([0.5, 1.5])
    ce = F.cross_entropy(logits, targets)
    torch.testing.assert_close(classification_loss("ce", logits, targets, weight), ce)
    torch.testing.assert_close(
        classification_loss("weighted_ce", logits, targets, weight),
        F.cross_entropy(logits, targets, weight=weight.double()),
    )
    torch.testing.assert_close(
        classification_loss("focal", logits, targets, weight, gamma=1.5),
        focal_loss(logits, targets, 1.5, weight),
    )
    with pytest.raises(ValueError, match="needs class weights"):
        classification_loss("weighted_ce", logits, targets)
    with pytest.raises(ValueError, match="unknown loss kind"):
        classification_loss("hinge", logits, targets)  # type: ignore[arg-type]


def test_distillation_alpha_zero_is_cross_entropy() -> None:
    student, targets = batch(seed=1)
    teacher, _ = batch(seed=2)
    loss = distillation_loss(student, teacher, targets, temperature=4.0, alpha=0.0)
    torch.testing.assert_close(loss, F.cross_entropy(student, targets))


def test_distillation_soft_term() -> None:
    student, targets = batch(seed=1)
    teacher, _ = batch(seed=2)
    same = distillation_loss(student, student.detach().clone(), targets, 3.0, alpha=1.0)
    torch.testing.assert_close(same, torch.zeros((), dtype=torch.float64))
    # alpha = 1: T^2 * mean over samples of sum_c p_teacher (log p_teacher - log p_student).
    T = 3.0
    p_teacher = (teacher / T).softmax(-1)
    kl = (p_teacher * (p_teacher.log() - (student / T).log_softmax(-1))).sum(-1).mean()
    loss = distillation_loss(student, teacher, targets, T, alpha=1.0)
    torch.testing.assert_close(loss, T**2 * kl)
    mixed = distillation_loss(student, teacher, targets, T, alpha=0.3)
    torch.testing.assert_close(mixed, 0.3 * T**2 * kl + 0.7 * F.cross_entropy(student, targets))


def test_distillation_gradients() -> None:
    student, targets = batch(seed=1)
    teacher = torch.tensor([[50.0, -50.0]] * 16, dtype=torch.float64, requires_grad=True)
    distillation_loss(student, teacher, targets, temperature=2.0, alpha=0.5).backward()
    assert student.grad is not None
    assert torch.isfinite(student.grad).all()
    assert teacher.grad is None  # the teacher is frozen


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [({"temperature": 0.0}, "temperature"), ({"alpha": 1.5}, "alpha")],
)
def test_distillation_rejects_bad_settings(kwargs: dict[str, float], pattern: str) -> None:
    student, targets = batch()
    settings = {"temperature": 2.0, "alpha": 0.5, **kwargs}
    with pytest.raises(ValueError, match=pattern):
        distillation_loss(student, student, targets, **settings)
    with pytest.raises(ValueError, match="shape"):
        distillation_loss(student, student[:, :1], targets, 2.0, 0.5)
