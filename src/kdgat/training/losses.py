"""Classification losses for imbalanced graph sets, and the knowledge-distillation loss."""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

LossKind = Literal["ce", "weighted_ce", "focal"]


def class_weights(labels: np.ndarray | torch.Tensor, num_classes: int = 2) -> torch.Tensor:
    """Inverse-frequency class weights, normalised so the present classes average 1.

    A class absent from ``labels`` gets weight 1.0: it contributes nothing to a loss
    while absent, and 0 would silently ignore it should it appear later (e.g. in a
    batch from another split); 1.0 also keeps the mean over all classes at 1.

    Args:
        labels: [N] integer class labels in ``[0, num_classes)``.
        num_classes: Number of classes.

    Returns:
        Float32 [num_classes] weights, for ``F.cross_entropy(weight=...)`` or ``focal_loss``.

    Raises:
        ValueError: If a label lies outside ``[0, num_classes)``.
    """
    values = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else labels
    values = np.asarray(values, dtype=np.int64).ravel()
    if len(values) and (values.min() < 0 or values.max() >= num_classes):
        raise ValueError(
            f"labels must lie in [0, {num_classes}), got {values.min()}..{values.max()}"
        )
    counts = np.bincount(values, minlength=num_classes).astype(np.float64)
    weights = np.ones(num_classes)
    present = counts > 0
    if present.any():
        inverse = 1.0 / counts[present]
        weights[present] = inverse / inverse.mean()
    return torch.tensor(weights, dtype=torch.float32)


def focal_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    gamma: float,
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Focal loss (Lin et al. 2017): mean of ``-alpha_t (1 - p_t)^gamma log p_t``.

    ``alpha_t`` is ``weight[target]`` (1 without ``weight``). The mean is over samples,
    as in the paper, not weighted by ``alpha_t``: with a weight and ``gamma = 0`` this
    is ``F.cross_entropy(weight=w, reduction="none").mean()``, not PyTorch's weighted
    mean ``F.cross_entropy(weight=w)``.

    Args:
        logits: Float [N, C] unnormalised class scores.
        targets: Long [N] class indices.
        gamma: Focusing parameter (>= 0); 0 gives cross-entropy.
        weight: Optional float [C] per-class ``alpha``.

    Returns:
        The scalar loss.

    Raises:
        ValueError: If ``gamma`` < 0.
    """
    if gamma < 0:
        raise ValueError(f"gamma must be >= 0, got {gamma}")
    log_pt = F.log_softmax(logits, dim=-1).gather(1, targets.unsqueeze(1)).squeeze(1)
    # 1 - p_t via expm1 stays accurate for confident predictions; the floor keeps the
    # gradient of (1 - p_t)^gamma finite for gamma < 1 when p_t rounds to exactly 1.
    miss = (-torch.expm1(log_pt)).clamp_min(torch.finfo(log_pt.dtype).tiny)
    loss = -(miss**gamma) * log_pt
    if weight is not None:
        loss = loss * weight.to(loss)[targets]
    return loss.mean()


def classification_loss(
    kind: LossKind,
    logits: torch.Tensor,
    targets: torch.Tensor,
    weight: torch.Tensor | None = None,
    gamma: float = 2.0,
) -> torch.Tensor:
    """The configured classification loss.

    Args:
        kind: ``"ce"`` (plain cross-entropy, ``weight`` ignored), ``"weighted_ce"``
            (PyTorch's weighted mean, ``weight`` required) or ``"focal"`` (``weight``
            as the optional ``alpha``).
        logits: Float [N, C] unnormalised class scores.
        targets: Long [N] class indices.
        weight: Float [C] class weights, e.g. from ``class_weights``.
        gamma: Focal-loss focusing parameter (only for ``"focal"``).

    Returns:
        The scalar loss.

    Raises:
        ValueError: If ``kind`` is unknown, or ``"weighted_ce"`` comes without ``weight``.
    """
    if kind == "ce":
        return F.cross_entropy(logits, targets)
    if kind == "weighted_ce":
        if weight is None:
            raise ValueError("weighted_ce needs class weights (see class_weights)")
        return F.cross_entropy(logits, targets, weight=weight.to(logits))
    if kind == "focal":
        return focal_loss(logits, targets, gamma, weight)
    raise ValueError(f"unknown loss kind {kind!r}; use 'ce', 'weighted_ce' or 'focal'")


def distillation_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    targets: torch.Tensor,
    temperature: float,
    alpha: float,
) -> torch.Tensor:
    """Knowledge distillation (Hinton et al. 2015).

    ``alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) *
    CE(student, targets)``, the KL averaged over the batch (``batchmean``). The
    ``T^2`` keeps the soft term's gradients on the scale of the hard term's as ``T``
    changes. No gradient flows into the teacher.

    Args:
        student_logits: Float [N, C] student class scores.
        teacher_logits: Float [N, C] teacher class scores.
        targets: Long [N] true classes.
        temperature: Softening temperature ``T`` (> 0).
        alpha: Weight of the soft (teacher) term, in ``[0, 1]``.

    Returns:
        The scalar loss.

    Raises:
        ValueError: If ``temperature`` <= 0, ``alpha`` is outside [0, 1], or the
            logits' shapes differ.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(
            f"student and teacher logits differ in shape: "
            f"{tuple(student_logits.shape)} vs {tuple(teacher_logits.shape)}"
        )
    soft = F.kl_div(
        F.log_softmax(student_logits / temperature, dim=-1),
        F.log_softmax(teacher_logits.detach() / temperature, dim=-1),
        reduction="batchmean",
        log_target=True,  # log-probabilities on both sides: no log(0) for a confident teacher
    )
    hard = F.cross_entropy(student_logits, targets)
    return alpha * temperature**2 * soft + (1.0 - alpha) * hard
