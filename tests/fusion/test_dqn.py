"""The DQN fusion agent: it must learn *per window* which model to trust."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kdgat.config import DQNParams
from kdgat.evaluation.thresholds import binary_metrics, choose_threshold
from kdgat.fusion.dqn import (
    Anchor,
    DQNSettings,
    Experience,
    ReplayBuffer,
    choose_weights,
    class_weights,
    epsilon,
    fuse,
    policy_value,
    reward,
    train_dqn,
    weight_grid,
)
from kdgat.fusion.static import tune_weights
from kdgat.pipeline.train_dqn import dqn_settings


def agent(**changes: float) -> DQNSettings:
    """params.yaml's ``dqn`` defaults, with ``changes``, as the train_dqn stage passes them."""
    return dqn_settings(DQNParams(**changes))


def split_experts(n: int, seed: int) -> Experience:
    """Half the windows: the GAT is right and the VGAE guesses; the other half, the reverse.

    The first state feature says which half a window is in, so only a policy that
    reads the state can be right everywhere; any single fixed alpha is wrong on a half.
    """
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.int64)
    context = rng.random(n) < 0.5
    sharp = np.where(y == 1, 0.9, 0.1) + rng.normal(0, 0.05, n)
    noise = rng.random(n)
    p_gat = np.clip(np.where(context, sharp, noise), 0, 1)
    s_vgae = np.clip(np.where(context, noise, sharp), 0, 1)
    states = np.column_stack([context, p_gat, s_vgae, rng.normal(size=n)]).astype(np.float32)
    return Experience(states, np.column_stack([p_gat, s_vgae]), y)


def f1_at_val_threshold(scores: np.ndarray, y: np.ndarray, val: tuple[np.ndarray, np.ndarray]):
    return binary_metrics(scores, y, choose_threshold(*val, "max_f1"))["f1"]


def test_contextual_policy_beats_every_fixed_weight() -> None:
    train, val, test = (split_experts(n, seed) for n, seed in ((2000, 0), (600, 1), (1000, 2)))
    settings = agent(steps=500, eval_every=50, epsilon_decay_steps=300, batch_size=128)
    q, summary = train_dqn(train, val, settings, seed=0)
    grid = weight_grid(settings.num_actions, 2)
    on_gat = choose_weights(q, test.states, grid)[:, 0]
    context = test.states[:, 0] == 1
    # trusts the right one
    assert on_gat[context].mean() > 0.8
    assert on_gat[~context].mean() < 0.2
    fused = {
        "dqn": lambda d: fuse(d.experts, choose_weights(q, d.states, grid)),
        "avg": lambda d: fuse(d.experts, tune_weights(val, grid, "max_f1")),
    }
    f1 = {name: f1_at_val_threshold(f(test), test.y, (f(val), val.y)) for name, f in fused.items()}
    assert f1["dqn"] > 0.95, f1
    assert f1["dqn"] > f1["avg"] + 0.05, f1
    assert summary["best_value"] == pytest.approx(
        policy_value(q, val, grid, class_weights(val.y)), abs=1e-6
    )


def test_the_anchored_agent_leaves_the_average_only_for_a_gain_above_the_margin() -> None:
    train, val = split_experts(2000, 0), split_experts(600, 1)
    settings = agent(steps=300, eval_every=50, epsilon_decay_steps=200, batch_size=128)
    q, _ = train_dqn(train, val, settings, seed=0)
    grid = weight_grid(settings.num_actions, 2)
    home = np.array([0.5, 0.5])  # a row of the grid
    greedy = choose_weights(q, val.states, grid)
    with torch.no_grad():
        values = q(torch.as_tensor(val.states)).numpy()
    gain = values.max(axis=1) - values[:, int(np.abs(grid - home).sum(axis=1).argmin())]
    margin = float(np.median(gain[gain > 0]))
    anchored = choose_weights(q, val.states, grid, Anchor(home, margin))
    leaves = gain > margin
    assert 0 < leaves.sum() < len(leaves)
    np.testing.assert_array_equal(anchored[leaves], greedy[leaves])
    np.testing.assert_array_equal(anchored[~leaves], np.tile(home, (int((~leaves).sum()), 1)))
    never = choose_weights(q, val.states, grid, Anchor(home, np.inf))
    np.testing.assert_array_equal(never, np.tile(home, (len(val), 1)))
    np.testing.assert_array_equal(choose_weights(q, val.states, grid, Anchor(home, 0.0)), greedy)


def test_the_checkpoint_is_judged_as_the_anchored_policy_it_deploys() -> None:
    train, val = split_experts(1000, 0), split_experts(400, 1)
    settings = agent(steps=200, eval_every=50, epsilon_decay_steps=150, batch_size=64)
    grid, anchor = weight_grid(settings.num_actions, 2), Anchor(np.array([0.5, 0.5]), 0.2)
    q, summary = train_dqn(train, val, settings, seed=0, anchor=anchor)
    deployed = policy_value(q, val, grid, class_weights(val.y), anchor)
    assert summary["best_value"] == pytest.approx(deployed, abs=1e-6)


def test_with_three_experts_the_agent_finds_the_one_that_is_right_per_window() -> None:
    """A third expert, right only where the state says so: the agent must learn that too."""
    rng = np.random.default_rng(5)

    def three(n: int) -> Experience:
        y = (rng.random(n) < 0.3).astype(np.int64)
        which = rng.integers(0, 3, n)  # which expert is right for this window
        sharp = np.clip(np.where(y == 1, 0.9, 0.1) + rng.normal(0, 0.05, n), 0, 1)
        experts = np.where(which[:, None] == np.arange(3), sharp[:, None], rng.random((n, 3)))
        states = np.column_stack([np.eye(3)[which], experts]).astype(np.float32)
        return Experience(states, experts, y)

    train, test = three(3000), three(1000)
    settings = agent(steps=800, eval_every=50, epsilon_decay_steps=500, batch_size=128)
    q, _ = train_dqn(train, train, settings, seed=0)
    chosen = choose_weights(q, test.states, weight_grid(settings.num_actions, 3))
    which = test.states[:, :3].argmax(axis=1)
    for expert in range(3):
        assert chosen[which == expert, expert].mean() > 0.8, expert
    np.testing.assert_allclose(chosen.sum(axis=1), 1.0)


def test_the_weight_grid_is_every_step_on_the_simplex() -> None:
    two = weight_grid(5, 2)
    np.testing.assert_array_equal(two, [[0, 1], [0.25, 0.75], [0.5, 0.5], [0.75, 0.25], [1, 0]])
    three = weight_grid(11, 3)
    assert three.shape == (66, 3)  # (levels + 1) choose 2
    np.testing.assert_allclose(three.sum(axis=1), 1.0)
    assert len({tuple(np.round(row, 9)) for row in three}) == 66
    assert ((three >= 0) & (three <= 1)).all()
    assert {tuple(row) for row in np.eye(3)} <= {tuple(row) for row in three}  # each alone


def test_fusing_is_the_weighted_sum_per_window() -> None:
    experts = np.array([[0.2, 0.8, 1.0], [1.0, 0.0, 0.5]])
    np.testing.assert_allclose(fuse(experts, np.array([0.5, 0.5, 0.0])), [0.5, 0.5])
    np.testing.assert_allclose(fuse(experts, np.array([[0, 0, 1.0], [1.0, 0, 0]])), [1.0, 1.0])


def test_states_beyond_the_training_range_act_like_its_edge() -> None:
    """An unseen vehicle's states lie far outside training: the net must not extrapolate."""
    train = split_experts(500, 4)
    q, _ = train_dqn(train, train, agent(steps=40, eval_every=20, batch_size=32), seed=0)
    high = train.states.max(axis=0)
    far = np.tile(high * 20 + 5, (3, 1))  # 20x above anything seen, as test_04's VGAE terms
    with torch.no_grad():
        edge = q(torch.as_tensor(high[None])).expand(3, -1)
        torch.testing.assert_close(q(torch.as_tensor(far)), edge)
        inside = torch.as_tensor(train.states[:50])
        torch.testing.assert_close(q(inside), q.net((inside - q.mean) / q.std))  # untouched


def test_training_is_repeatable_with_a_seed() -> None:
    data = split_experts(500, 3)
    settings = agent(steps=60, eval_every=20, batch_size=32)
    first, _ = train_dqn(data, data, settings, seed=7)
    second, _ = train_dqn(data, data, settings, seed=7)
    for a, b in zip(first.state_dict().values(), second.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_double_dqn_with_discount_trains_to_finite_values() -> None:
    data = split_experts(400, 4)
    q, summary = train_dqn(data, data, agent(steps=50, gamma=0.9, eval_every=25), seed=0)
    assert np.isfinite(summary["final_loss"])
    assert np.isfinite(q(torch.as_tensor(data.states)).detach().numpy()).all()


def test_reward_signs_and_class_balance() -> None:
    y = np.array([1, 1, 1, 0])
    weights = class_weights(y)
    assert weights[0] * 1 == pytest.approx(weights[1] * 3)  # one benign weighs three attacks
    r = reward(np.array([0.9, 0.1, 0.5, 0.2]), y, weights)
    assert r[0] > 0 > r[1]
    assert r[2] == 0
    assert r[3] > 0


def test_epsilon_decays_linearly_then_holds() -> None:
    s = agent(epsilon_start=1.0, epsilon_end=0.1, epsilon_decay_steps=100)
    assert [epsilon(k, s) for k in (0, 50, 100, 1000)] == pytest.approx([1.0, 0.55, 0.1, 0.1])


def test_replay_buffer_wraps_around_and_keeps_the_newest() -> None:
    buffer = ReplayBuffer(capacity=5, state_dim=1)
    for start in (0, 3):
        values = torch.arange(start, start + 3, dtype=torch.float32)
        buffer.add(values[:, None], values.long(), values, values[:, None])
    assert buffer.size == 5
    assert sorted(buffer.rewards.tolist()) == [1.0, 2.0, 3.0, 4.0, 5.0]  # 0 was overwritten
    states, actions, rewards, _ = buffer.sample(50, torch.Generator().manual_seed(0))
    assert torch.equal(states[:, 0], rewards)
    assert torch.equal(actions.float(), rewards)
