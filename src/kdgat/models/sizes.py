"""Model sizes."""

from __future__ import annotations

from torch import nn


def count_parameters(module: nn.Module) -> int:
    """Number of trainable scalars in ``module`` (frozen parameters not counted)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
