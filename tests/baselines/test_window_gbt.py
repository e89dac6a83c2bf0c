"""The boosted trees kept as plain arrays: the same scores as scikit-learn, no pickle."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from kdgat.baselines.window_gbt import BoostedTrees, fit_window_gbt
from kdgat.errors import KdgatError
from kdgat.fusion.capture_reference import relative
from kdgat.pipeline.window_baseline import split_scores


def windows(n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 5))
    y = ((x[:, 0] + 0.5 * x[:, 3] > 0.3) ^ (rng.random(n) < 0.05)).astype(np.int64)
    x[rng.random(x.shape) < 0.05] = np.nan  # missing statistics take the learnt side
    return x, y


def test_scores_equal_sklearns_and_survive_a_round_trip(tmp_path: Path) -> None:
    x, y = windows()
    sklearn_model = HistGradientBoostingClassifier(
        max_iter=30, learning_rate=0.1, max_leaf_nodes=15, class_weight="balanced", random_state=3
    ).fit(x, y)
    trees = fit_window_gbt(x, y, max_iter=30, learning_rate=0.1, max_leaf_nodes=15, seed=3)
    trees.save(tmp_path / "model.npz")
    loaded = BoostedTrees.load(tmp_path / "model.npz")
    np.testing.assert_allclose(
        loaded.attack_probability(x), sklearn_model.predict_proba(x)[:, 1], rtol=1e-9
    )
    assert loaded.nodes == sum(len(t[0].nodes) for t in sklearn_model._predictors)

    np.testing.assert_allclose(
        1 / (1 + np.exp(-loaded.log_odds(x))), sklearn_model.predict_proba(x)[:, 1], rtol=1e-9
    )


def test_relative_scores_take_the_whole_capture_as_their_history() -> None:
    x, y = windows()
    trees = fit_window_gbt(x, y, max_iter=30, learning_rate=0.1, max_leaf_nodes=15, seed=3)
    # One capture, cut in two: validation holds its later half, as a split cut from a
    # training capture does.
    name = np.array(["capture_a"] * len(x), dtype=object)
    start = np.arange(len(x)) * 10
    half = len(x) // 2
    features = {"train": x[:half], "val": x[half:]}
    windows_of = {"train": (name[:half], start[:half]), "val": (name[half:], start[half:])}

    plain = split_scores(trees, features, windows_of, None)
    np.testing.assert_allclose(plain["val"], trees.attack_probability(x[half:]))

    scores = split_scores(trees, features, windows_of, 0.02)
    whole = relative(trees.log_odds(x), np.zeros(len(x), np.int64), start, 0.02, log=False)
    np.testing.assert_allclose(np.concatenate([scores["train"], scores["val"]]), whole)
    alone = relative(
        trees.log_odds(x[half:]), np.zeros(half, np.int64), start[half:], 0.02, log=False
    )
    assert not np.allclose(scores["val"], alone)  # validation alone would start afresh


class Planted:
    """Records that unpickling ran code."""

    ran = False

    def __reduce__(self) -> tuple[object, tuple[()]]:
        return (Planted.mark, ())

    @staticmethod
    def mark() -> None:
        Planted.ran = True


def test_a_pickle_under_the_models_name_is_refused_and_never_run(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    path.write_bytes(pickle.dumps(Planted()))
    with pytest.raises(KdgatError, match="re-run `dvc repro window_baseline`"):
        BoostedTrees.load(path)
    assert not Planted.ran


def test_trees_that_would_loop_or_index_out_of_range_are_refused(tmp_path: Path) -> None:
    x, y = windows(200)
    trees = fit_window_gbt(x, y, max_iter=3, learning_rate=0.1, max_leaf_nodes=4, seed=0)
    arrays = {f: getattr(trees, f) for f in trees.__dataclass_fields__}
    inner = int(np.flatnonzero(~trees.leaf)[0])
    for field, value in (("left", inner), ("right", 10**6), ("feature", -1)):
        bad = {**arrays, field: arrays[field].copy()}
        bad[field][inner] = value  # a node pointing at itself, past the end, at no feature
        np.savez(tmp_path / "model.npz", **bad)
        with pytest.raises(KdgatError, match="not a kdgat boosted-trees file"):
            BoostedTrees.load(tmp_path / "model.npz")
