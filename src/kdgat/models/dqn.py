"""The fusion agent's Q-network: a window's fusion state -> one Q-value per fusion weight.

Trained by ``kdgat.fusion.dqn`` (deep Q-learning, Mnih et al. 2015); kept here with the
other networks so that a saved agent loads without the training code.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn


class QNetwork(nn.Module):
    """State ``[B, state_dim]`` -> Q-values ``[B, num_actions]``: an MLP with LayerNorm.

    The state is clipped to the range of the training states, then standardised
    with their statistics; all four are buffers, so a saved network needs nothing
    else to score new windows. Clipping keeps the network inside the region it was
    trained on: before the VGAE terms were measured against their capture's baseline,
    they sat 10-20 times above anything seen in training on an unseen vehicle, and an
    MLP extrapolating that far picked fusion weights that ranked attacks below benign
    windows (AUROC 0.37 on can_sample's test_04; 0.62 clipped).
    """

    low: Tensor
    high: Tensor
    mean: Tensor
    std: Tensor

    def __init__(self, state_dim: int, num_actions: int, hidden: int) -> None:
        super().__init__()
        self.arguments = {"state_dim": state_dim, "num_actions": num_actions, "hidden": hidden}
        self.register_buffer("low", torch.full((state_dim,), -torch.inf))
        self.register_buffer("high", torch.full((state_dim,), torch.inf))
        self.register_buffer("mean", torch.zeros(state_dim))
        self.register_buffer("std", torch.ones(state_dim))
        self.net = nn.Sequential(
            nn.Linear(state_dim, hidden),
            nn.LayerNorm(hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.LayerNorm(hidden),
            nn.ReLU(),
            nn.Linear(hidden, num_actions),
        )

    def fit_inputs(self, states: np.ndarray) -> None:
        """Take the clipping range and the standardisation from the training states."""
        for name, value in (
            ("low", states.min(axis=0)),
            ("high", states.max(axis=0)),
            ("mean", states.mean(axis=0)),
            ("std", states.std(axis=0) + 1e-6),
        ):
            getattr(self, name).copy_(torch.as_tensor(value))

    def forward(self, state: Tensor) -> Tensor:
        """Q-value of every fusion weight, for states clipped to the training range."""
        clipped = torch.maximum(torch.minimum(state, self.high), self.low)
        return self.net((clipped - self.mean) / self.std)
