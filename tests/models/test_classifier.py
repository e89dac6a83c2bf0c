"""What every graph classifier shares: the attack log-odds the fusion re-baselines."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kdgat.models.classifier import attack_log_odds


def test_attack_log_odds_are_exact_where_the_probability_rounds_to_one() -> None:
    logits = torch.tensor([[0.0, 30.0], [1.0, -1.0]])
    assert logits.softmax(dim=-1)[0, 1] == 1.0  # float32: the probability is saturated
    assert attack_log_odds(logits).tolist() == pytest.approx([30.0, -2.0])


def test_attack_log_odds_pool_every_other_class() -> None:
    three = torch.tensor([[0.0, 1.0, 0.0]])
    p = three.softmax(dim=-1)[0, 1].item()
    assert attack_log_odds(three).item() == pytest.approx(np.log(p / (1 - p)))
