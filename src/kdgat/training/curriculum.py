"""A hard-negative curriculum for the graph classifier: balanced first, natural ratio last.

Every epoch visits every attack graph once, plus a draw of benign graphs that
grows linearly from as many as there are attacks (epoch 0) to all of them (the
last epoch). Benign graphs are drawn without replacement, favouring the ones the
VGAE finds most anomalous (hard negatives): the classifier first learns the
boundary where benign traffic looks like an attack, then the full benign mass.

Weighting is rank-based, not ``exp(score / temperature)``: anomaly scores
(reconstruction errors) have an arbitrary, dataset-dependent scale and heavy
tails, so a temperature on raw scores would need retuning per dataset and a few
outliers would take every draw. Ranks make the weighting scale-free.
"""

from __future__ import annotations

import numpy as np


class CurriculumSampler:
    """Per-epoch graph indices for ``GraphLoader(indices=...)``.

    Benign graph ``i`` with hardness rank ``r_i`` (0 = highest hardness, ties share
    their average rank) among ``n`` benign graphs has weight
    ``exp(-r_i / (temperature * n))``: the hardest is ``exp(1 / temperature)`` times
    as likely to be drawn first as the easiest (about 55x at the default 0.25), and
    equal hardness (e.g. a constant score) means a uniform draw. The draw without
    replacement is Gumbel top-k (successive weighted sampling, Efraimidis-Spirakis).

    Benign graphs drawn at ``epoch``: ``n_attack + (n_benign - n_attack) * epoch /
    (epochs - 1)``, rounded, for ``0 <= epoch < epochs``; all of them from the last
    epoch on (extra epochs, e.g. a resumed run, keep the natural ratio). Special cases:
    more attack than benign graphs, no attack graph, or ``epochs == 1`` (no room for a
    schedule) -> every benign graph every epoch; no benign graph -> the attacks only.

    Args:
        labels: [N] graph labels of the training set; 0 = benign, anything else = attack.
        hardness: Float [N] VGAE anomaly score per graph (higher = harder); only benign
            entries are used (attack entries are ignored and may be NaN).
        epochs: Number of training epochs the schedule spans (>= 1).
        seed: Base seed; the draw of an epoch depends on ``(seed, epoch)`` only.
        temperature: Spread of the rank weights (> 0); larger is closer to uniform.

    Raises:
        ValueError: If shapes differ, ``epochs`` < 1, ``temperature`` <= 0, or a benign
            hardness is not finite.
    """

    def __init__(
        self,
        labels: np.ndarray,
        hardness: np.ndarray,
        epochs: int,
        seed: int,
        *,
        temperature: float = 0.25,
    ) -> None:
        labels = np.asarray(labels)
        hardness = np.asarray(hardness, dtype=np.float64)
        if labels.ndim != 1 or labels.shape != hardness.shape:
            raise ValueError(
                f"labels and hardness must be 1-D of equal length, "
                f"got {labels.shape} and {hardness.shape}"
            )
        if epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {epochs}")
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        attack = labels != 0
        self.attack_indices = np.flatnonzero(attack)
        self.benign_indices = np.flatnonzero(~attack)
        benign_hardness = hardness[self.benign_indices]
        if not np.isfinite(benign_hardness).all():
            raise ValueError("hardness must be finite for every benign graph")
        self.epochs = epochs
        self.seed = seed
        self.log_weights = -_descending_ranks(benign_hardness) / (
            temperature * max(len(benign_hardness), 1)
        )

    def benign_count(self, epoch: int) -> int:
        """How many benign graphs ``epoch`` draws (see the class docstring)."""
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        n_attack, n_benign = len(self.attack_indices), len(self.benign_indices)
        if n_attack == 0 or n_attack >= n_benign or self.epochs == 1:
            return n_benign
        progress = min(epoch / (self.epochs - 1), 1.0)
        return round(n_attack + (n_benign - n_attack) * progress)

    def indices(self, epoch: int) -> np.ndarray:
        """The graph indices of ``epoch``: all attacks plus the benign draw.

        Args:
            epoch: 0-based training epoch.

        Returns:
            Int64 indices, sorted ascending (the loader shuffles; sorted reads are
            friendlier to a memory-mapped store), no repeats.
        """
        count = self.benign_count(epoch)
        if count == len(self.benign_indices):
            benign = self.benign_indices  # nothing to draw: skip the random numbers
        else:
            # A (seed, epoch) seed sequence gives each epoch its own independent stream.
            rng = np.random.default_rng([self.seed, epoch])
            keys = self.log_weights + rng.gumbel(size=len(self.log_weights))
            benign = self.benign_indices[np.argsort(-keys, kind="stable")[:count]]
        return np.sort(np.concatenate([self.attack_indices, benign])).astype(np.int64)


def _descending_ranks(values: np.ndarray) -> np.ndarray:
    """0-based ranks of ``values`` from the largest down, ties sharing their average rank."""
    ordered = np.sort(-values)
    first = np.searchsorted(ordered, -values, side="left")
    last = np.searchsorted(ordered, -values, side="right") - 1
    return (first + last) / 2.0
