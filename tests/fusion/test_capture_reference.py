"""The capture reference: a causal running quantile per capture, and what it removes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kdgat.fusion.capture_reference import relative, running_quantile


def brute_force(values: np.ndarray, capture: np.ndarray, start: np.ndarray, q: float) -> np.ndarray:
    """Per window: numpy's quantile of its capture's windows that start no later."""
    out = np.empty(len(values))
    for i in range(len(values)):
        same = capture == capture[i]
        earlier = same & (start < start[i])
        out[i] = np.quantile(np.append(values[earlier], values[i]), q)
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.floats(-1e3, 1e3, allow_nan=False)),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from([0.05, 0.1, 0.5, 0.9]),
    st.randoms(use_true_random=False),
)
def test_running_quantile_matches_the_definition(rows, q, rnd) -> None:
    capture = np.array([c for c, _ in rows], np.int32)
    values = np.array([v for _, v in rows])
    start = np.arange(len(rows)) * 100
    rnd.shuffle(order := list(range(len(rows))))  # windows need not come in time order
    capture, values, start = capture[order], values[order], start[order]
    got = running_quantile(values, capture, start, q)
    np.testing.assert_allclose(got, brute_force(values, capture, start, q), rtol=1e-9, atol=1e-9)


def test_a_later_window_never_moves_an_earlier_reference() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0])
    capture, start = np.zeros(4, np.int32), np.arange(4)
    before = running_quantile(values, capture, start, 0.9)
    values[3] = 1e9
    after = running_quantile(values, capture, start, 0.9)
    assert before[:3].tolist() == after[:3].tolist()
    assert after[3] > before[3]


def test_a_vehicle_that_scales_every_error_looks_the_same() -> None:
    rng = np.random.default_rng(0)
    errors = rng.lognormal(size=300)
    capture = np.repeat([0, 1], 150).astype(np.int32)
    start = np.tile(np.arange(150), 2)
    scaled = errors * np.where(capture == 1, 40.0, 1.0)  # capture 1: an unseen vehicle
    np.testing.assert_allclose(
        relative(scaled, capture, start, 0.1, log=True),
        relative(errors, capture, start, 0.1, log=True),
        atol=1e-9,
    )


def test_a_dense_attack_burst_does_not_become_the_reference() -> None:
    """80 % attacks so far (as in set_01's training captures): the median moves, q=0.1 not."""
    benign, attack = np.full(20, 1.0), np.full(80, 100.0)
    values = np.concatenate([benign, attack])
    capture, start = np.zeros(100, np.int32), np.arange(100)
    assert running_quantile(values, capture, start, 0.1)[-1] == pytest.approx(1.0)
    assert running_quantile(values, capture, start, 0.5)[-1] == pytest.approx(100.0)
    assert relative(values, capture, start, 0.1, log=True)[-1] == pytest.approx(np.log(100.0))


def test_off_takes_only_the_log_and_zero_errors_stay_finite() -> None:
    values = np.array([0.0, np.e, 1.0])
    capture, start = np.zeros(3, np.int32), np.arange(3)
    logged = relative(values, capture, start, None, log=True)
    assert np.isfinite(logged).all()
    assert logged[1:].tolist() == pytest.approx([1.0, 0.0])
    signed = relative(np.array([-2.0, 3.0, 1.0]), capture, start, None, log=False)
    assert signed.tolist() == [-2.0, 3.0, 1.0]
