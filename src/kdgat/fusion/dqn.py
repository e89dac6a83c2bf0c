"""A DQN that picks, per window, how far to trust each expert it fuses.

The experts are per-window attack scores in [0, 1]: the GAT's probability, the
VGAE's calibrated anomaly score and (by default) the window-statistics trees'
calibrated score. The agent sees a window's fusion state and chooses one of K
weight vectors on the simplex; the fused score is their weighted sum. Deep
Q-learning (Mnih et al. 2015) with a replay buffer, a target network and
double-DQN targets (van Hasselt et al. 2016). Windows are independent, so the
default ``gamma = 0`` makes this a contextual bandit; with ``gamma > 0`` the next
state is the next window.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from kdgat.models.dqn import QNetwork


def weight_grid(levels: int, experts: int) -> np.ndarray:
    """Every weight vector ``[K, experts]`` with steps of 1/(levels-1) that sums to 1.

    Ordered by the first expert's weight, then the next: for two experts row k is
    ``(k/(levels-1), 1 - k/(levels-1))``.
    """
    step = levels - 1
    heads = [h for h in itertools.product(range(levels), repeat=experts - 1) if sum(h) <= step]
    first = np.asarray(heads, np.float64).reshape(len(heads), experts - 1) / step
    return np.column_stack([first, 1.0 - first.sum(axis=1)])  # exact complements, as 1 - alpha


def fuse(experts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per window: the weighted sum of its expert scores (``weights``: ``[E]`` or ``[N, E]``)."""
    return (experts * weights).sum(axis=-1)


def class_weights(y: np.ndarray) -> np.ndarray:
    """``[w_benign, w_attack]`` = N / (2 N_c): both classes weigh the same in the reward."""
    counts = np.bincount(y, minlength=2).astype(np.float64)
    return np.where(counts > 0, len(y) / (2 * np.maximum(counts, 1)), 0.0)


def reward(fused: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Positive for a correct decision at 0.5, negative for a wrong one, scaled by the margin.

    ``w_y * (2y - 1) * (2 fused - 1)``: +w for a confident right call, -w for a
    confident wrong one, near 0 on the fence.
    """
    return weights[y] * (2.0 * y - 1.0) * (2.0 * fused - 1.0)


@dataclass(frozen=True)
class Experience:
    """What the agent learns from: states, the expert scores it fuses, labels."""

    states: np.ndarray  # float32 [N, F]
    experts: np.ndarray  # float64 [N, E], each in [0, 1]
    y: np.ndarray  # int [N]

    def __len__(self) -> int:
        return len(self.y)

    def head(self, n: int) -> Experience:
        """The first ``n`` windows."""
        return Experience(self.states[:n], self.experts[:n], self.y[:n])

    @staticmethod
    def concatenate(parts: list[Experience]) -> Experience:
        """All windows of ``parts``, in order."""
        return Experience(
            np.concatenate([d.states for d in parts]),
            np.concatenate([d.experts for d in parts]),
            np.concatenate([d.y for d in parts]),
        )


@dataclass(frozen=True)
class DQNSettings:
    """The agent's settings as plain values (their defaults live in params.yaml's ``dqn``)."""

    num_actions: int
    gamma: float
    hidden: int
    lr: float
    steps: int
    batch_size: int
    buffer_size: int
    epsilon_start: float
    epsilon_end: float
    epsilon_decay_steps: int
    target_update: int
    eval_every: int


class ReplayBuffer:
    """A fixed-size ring of transitions (state, action, reward, next state)."""

    def __init__(self, capacity: int, state_dim: int) -> None:
        self.states = torch.zeros(capacity, state_dim)
        self.next_states = torch.zeros(capacity, state_dim)
        self.actions = torch.zeros(capacity, dtype=torch.long)
        self.rewards = torch.zeros(capacity)
        self.capacity, self.size, self.cursor = capacity, 0, 0

    def add(self, s: Tensor, a: Tensor, r: Tensor, s_next: Tensor) -> None:
        """Store a batch of transitions, overwriting the oldest once the ring is full."""
        slots = (self.cursor + torch.arange(len(a))) % self.capacity
        self.states[slots], self.actions[slots] = s, a
        self.rewards[slots], self.next_states[slots] = r, s_next
        self.cursor = int(slots[-1] + 1) % self.capacity
        self.size = min(self.size + len(a), self.capacity)

    def sample(self, n: int, generator: torch.Generator) -> tuple[Tensor, ...]:
        """``n`` stored transitions drawn uniformly with replacement: (s, a, r, s_next)."""
        i = torch.randint(0, self.size, (n,), generator=generator)
        return self.states[i], self.actions[i], self.rewards[i], self.next_states[i]


def epsilon(step: int, s: DQNSettings) -> float:
    """Linear decay from ``epsilon_start`` to ``epsilon_end`` over ``epsilon_decay_steps``."""
    progress = min(step / s.epsilon_decay_steps, 1.0)
    return s.epsilon_start + progress * (s.epsilon_end - s.epsilon_start)


@dataclass(frozen=True)
class Anchor:
    """Weights the agent keeps unless it expects to gain more than ``margin`` by leaving them.

    The tuned average's weights: on a vehicle it never saw, the agent's state lies
    outside what it learned from, and its value estimates there are guesses. A
    departure must promise ``margin`` more reward (the reward's units) than staying.
    """

    weights: np.ndarray  # [E], a row of the weight grid
    margin: float


@torch.no_grad()
def choose_weights(
    q: QNetwork, states: np.ndarray, grid: np.ndarray, anchor: Anchor | None = None
) -> np.ndarray:
    """The policy's weight vector for every state, ``[N, E]``: greedy, or ``anchor``'s rule."""
    q.eval()
    values = q(torch.as_tensor(states, dtype=torch.float32))
    actions = values.argmax(dim=-1)
    if anchor is not None:
        home = int(np.abs(grid - anchor.weights).sum(axis=1).argmin())
        gain = values.gather(1, actions[:, None]).squeeze(1) - values[:, home]
        actions = torch.where(gain > anchor.margin, actions, home)
    return grid[actions.numpy()]


def policy_value(
    q: QNetwork,
    data: Experience,
    grid: np.ndarray,
    weights: np.ndarray,
    anchor: Anchor | None = None,
) -> float:
    """Mean class-weighted reward of the policy (``choose_weights``): the checkpoint criterion."""
    fused = fuse(data.experts, choose_weights(q, data.states, grid, anchor))
    return float(reward(fused, data.y, weights).mean())


def train_dqn(
    train: Experience,
    select: Experience,
    s: DQNSettings,
    seed: int,
    anchor: Anchor | None = None,
) -> tuple[QNetwork, dict[str, float]]:
    """Train on ``train``; keep the network whose policy is best on ``select``.

    ``s.num_actions`` is the grid's levels per weight (``weight_grid``); ``anchor``: the
    policy's rule for leaving fixed weights (``choose_weights``), judged as deployed.

    Returns:
        The best network (eval mode) and a summary: best step, its value on
        ``select``, and the final training loss.
    """
    threads = torch.get_num_threads()
    # Thousands of tiny matrix products: extra threads only add synchronisation, and
    # on a busy node they made training 30 times slower than one thread.
    torch.set_num_threads(1)
    try:
        return _train(train, select, s, seed, anchor)
    finally:
        torch.set_num_threads(threads)


def _train(
    train: Experience, select: Experience, s: DQNSettings, seed: int, anchor: Anchor | None
) -> tuple[QNetwork, dict[str, float]]:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    generator = torch.Generator().manual_seed(seed)
    grid = weight_grid(s.num_actions, train.experts.shape[1])
    weights = class_weights(train.y)
    q = QNetwork(train.states.shape[1], len(grid), s.hidden)
    q.fit_inputs(train.states)
    target = copy.deepcopy(q).eval()
    optimiser = torch.optim.Adam(q.parameters(), lr=s.lr)
    buffer = ReplayBuffer(s.buffer_size, train.states.shape[1])
    states = torch.as_tensor(train.states, dtype=torch.float32)
    best = (-np.inf, 0, copy.deepcopy(q.state_dict()))
    loss = torch.zeros(())
    for step in range(1, s.steps + 1):
        _act(q, train, states, buffer, rng, grid, weights, epsilon(step, s), s.batch_size)
        loss = _learn(q, target, optimiser, buffer, generator, s)
        if step % s.target_update == 0:
            target.load_state_dict(q.state_dict())
        if step % s.eval_every == 0 or step == s.steps:
            value = policy_value(q, select, grid, class_weights(select.y), anchor)
            if value > best[0]:
                best = (value, step, copy.deepcopy(q.state_dict()))
            q.train()
    q.load_state_dict(best[2])
    summary = {"best_value": float(best[0]), "best_step": best[1], "final_loss": float(loss)}
    return q.eval(), summary


def _act(
    q: QNetwork,
    data: Experience,
    states: Tensor,
    buffer: ReplayBuffer,
    rng: np.random.Generator,
    grid: np.ndarray,
    weights: np.ndarray,
    eps: float,
    n: int,
) -> None:
    """Epsilon-greedy actions on a batch of windows; their transitions go to the buffer."""
    i = rng.integers(0, len(data), n)
    with torch.no_grad():
        greedy = q(states[i]).argmax(dim=-1).numpy()
    explore = rng.random(n) < eps
    actions = np.where(explore, rng.integers(0, len(grid), n), greedy)
    r = reward(fuse(data.experts[i], grid[actions]), data.y[i], weights)
    following = (i + 1) % len(data)  # the next window: only matters when gamma > 0
    buffer.add(
        states[i],
        torch.as_tensor(actions),
        torch.as_tensor(r, dtype=torch.float32),
        states[following],
    )


def _learn(
    q: QNetwork,
    target: QNetwork,
    optimiser: torch.optim.Optimizer,
    buffer: ReplayBuffer,
    generator: torch.Generator,
    s: DQNSettings,
) -> Tensor:
    """One double-DQN update on a replayed batch."""
    state, action, r, next_state = buffer.sample(s.batch_size, generator)
    q_taken = q(state).gather(1, action[:, None]).squeeze(1)
    with torch.no_grad():
        goal = r
        if s.gamma > 0:  # the online net picks the next action, the target net values it
            next_action = q(next_state).argmax(dim=-1, keepdim=True)
            goal = r + s.gamma * target(next_state).gather(1, next_action).squeeze(1)
    loss = F.smooth_l1_loss(q_taken, goal)
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    return loss.detach()
