"""The non-graph baseline: gradient-boosted trees on per-window statistics, no graph at all.

What a graph model adds must show against this (``kdgat.baselines.window_stats``
lists the features). scikit-learn fits the trees; they are then kept as plain
arrays (``BoostedTrees``) and saved as ``.npz`` without pickle, so loading a
model pulled from a shared remote can never run code.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from kdgat.errors import KdgatError


@dataclass(frozen=True)
class BoostedTrees:
    """Binary boosted trees as flat node arrays; tree ``t`` starts at ``roots[t]``."""

    feature: np.ndarray  # int64: the feature a split tests
    threshold: np.ndarray  # float64: x <= threshold goes left
    missing_left: np.ndarray  # bool: where NaN goes
    left: np.ndarray  # int64: child indices, absolute
    right: np.ndarray
    leaf: np.ndarray  # bool
    value: np.ndarray  # float64: a leaf's raw score
    roots: np.ndarray  # int64
    baseline: np.ndarray  # float64, shape (1,): the raw score before any tree

    @classmethod
    def from_sklearn(cls, model: HistGradientBoostingClassifier) -> BoostedTrees:
        """The trees of a fitted binary, numerical-features classifier."""
        nodes = [trees[0].nodes for trees in model._predictors]
        roots = np.cumsum([0] + [len(n) for n in nodes[:-1]]).astype(np.int64)
        flat = np.concatenate(nodes)
        offset = np.repeat(roots, [len(n) for n in nodes])
        return cls(
            feature=flat["feature_idx"].astype(np.int64),
            threshold=flat["num_threshold"].astype(np.float64),
            missing_left=flat["missing_go_to_left"].astype(bool),
            left=flat["left"].astype(np.int64) + offset,
            right=flat["right"].astype(np.int64) + offset,
            leaf=flat["is_leaf"].astype(bool),
            value=flat["value"].astype(np.float64),
            roots=roots,
            baseline=np.asarray(model._baseline_prediction, np.float64).reshape(1),
        )

    def log_odds(self, features: np.ndarray) -> np.ndarray:
        """Per window: the log-odds that it holds an attack (sklearn's ``decision_function``)."""
        x = np.asarray(features, np.float64)
        raw = np.full(len(x), float(self.baseline[0]))
        for root in self.roots:  # one tree at a time: memory grows with the windows only
            raw += self.value[self._leaves(x, int(root))]
        return raw

    def attack_probability(self, features: np.ndarray) -> np.ndarray:
        """Per window: the probability that it holds an attack (sklearn's ``predict_proba``)."""
        return 1.0 / (1.0 + np.exp(-self.log_odds(features)))

    def _leaves(self, x: np.ndarray, root: int) -> np.ndarray:
        """The leaf each window reaches in the tree at ``root``, all windows walked together."""
        node = np.full(len(x), root)
        active = np.flatnonzero(~self.leaf[node])
        while active.size:
            at = node[active]
            value = x[active, self.feature[at]]
            left = np.where(np.isnan(value), self.missing_left[at], value <= self.threshold[at])
            node[active] = np.where(left, self.left[at], self.right[at])
            active = active[~self.leaf[node[active]]]
        return node

    @property
    def nodes(self) -> int:
        """Nodes over all trees: the ensemble's size, comparable to a network's parameters."""
        return len(self.leaf)

    def save(self, path: Path) -> None:
        """Write the arrays to ``path`` (``.npz``, no pickled objects)."""
        with path.open("wb") as out:
            np.savez(out, **{f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def load(cls, path: Path) -> BoostedTrees:
        """The trees saved at ``path``; anything but plain, consistent arrays is refused."""
        try:
            with np.load(path, allow_pickle=False) as saved:
                trees = cls(**{f.name: saved[f.name] for f in fields(cls)})
            trees.check()
        except (ValueError, KeyError, OSError, zipfile.BadZipFile) as err:
            raise KdgatError(
                f"{path}: not a kdgat boosted-trees file ({err}); "
                "re-run `dvc repro window_baseline` to rebuild it"
            ) from None
        return trees

    def check(self) -> None:
        """Arrays a tree walk can trust: one length, roots in range, children after parents.

        sklearn numbers a node's children after it, so every walk ends within the depth.
        """
        n = len(self.leaf)
        if any(len(getattr(self, f.name)) != n for f in fields(self)[:7]):
            raise ValueError("node arrays of different lengths")
        for name in ("feature", "left", "right", "roots"):
            if getattr(self, name).dtype.kind not in "iu":
                raise ValueError(f"{name} is not an integer array")
        if self.baseline.shape != (1,) or ((self.roots < 0) | (self.roots >= n)).any():
            raise ValueError("roots or baseline out of shape")
        inner = np.flatnonzero(~self.leaf.astype(bool))
        for child in (self.left[inner], self.right[inner]):
            if ((child >= n) | (child <= inner)).any():
                raise ValueError("a child index out of range or not after its parent")
        if (self.feature[inner] < 0).any():
            raise ValueError("a negative feature index")


def fit_window_gbt(
    features: np.ndarray,
    labels: np.ndarray,
    max_iter: int,
    learning_rate: float,
    max_leaf_nodes: int,
    seed: int,
) -> BoostedTrees:
    """Boosted trees on the training windows' statistics; both classes weigh the same.

    No early stopping: sklearn's would hold out a random tenth of the windows, and on
    the cross-vehicle splits which tenth moved AUROC by up to 0.5 between seeds.
    Without it the trees depend on the data alone (``seed`` only breaks ties).
    """
    model = HistGradientBoostingClassifier(
        max_iter=max_iter,
        learning_rate=learning_rate,
        max_leaf_nodes=max_leaf_nodes,
        class_weight="balanced",
        early_stopping=False,
        random_state=seed,
    )
    return BoostedTrees.from_sklearn(model.fit(features, labels))
