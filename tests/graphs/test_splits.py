"""Training / validation windows of a capture, against a brute-force reading of the rule."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kdgat.graphs.splits import split_windows


def frames(first: np.ndarray, end: np.ndarray, windows: np.ndarray) -> set[int]:
    return {row for k in windows for row in range(first[k], end[k])}


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(0, 60),
    window=st.integers(1, 12),
    stride=st.integers(1, 12),
    fraction=st.sampled_from([0.0, 0.1, 0.2, 0.5]),
    blocks=st.integers(1, 7),
)
def test_split_matches_the_rule(
    n: int, window: int, stride: int, fraction: float, blocks: int
) -> None:
    first = np.arange(n, dtype=np.int64) * stride
    end = first + window
    split = split_windows(first, end, fraction, blocks)
    val = set(split.val.tolist())
    assert len(val) == round(n * fraction)
    # every validation window sits in a run that ends a block
    block_ends = set((np.arange(1, blocks + 1) * n // blocks).tolist())
    assert all(k + 1 in val or k + 1 in block_ends for k in val)
    # training: exactly the other windows that share no frame with validation
    val_frames = frames(first, end, split.val)
    expected = [
        k for k in range(n) if k not in val and not set(range(first[k], end[k])) & val_frames
    ]
    assert split.train.tolist() == expected
    covered = {row for a, b in split.train_rows for row in range(a, b)}
    assert covered == frames(first, end, split.train)


def test_one_block_is_the_tail() -> None:
    first = np.arange(10, dtype=np.int64) * 50
    split = split_windows(first, first + 100, 0.3, 1)  # windows overlap their neighbours
    assert split.val.tolist() == [7, 8, 9]
    assert split.train.tolist() == [0, 1, 2, 3, 4, 5]  # window 6 shares frames with 7
    assert split.train_rows == ((0, 350),)


def test_time_windows_of_uneven_length() -> None:
    first, end = np.array([0, 5, 6, 20]), np.array([5, 6, 20, 21])
    split = split_windows(first, end, 0.5, 2)
    assert split.val.tolist() == [1, 3]
    assert split.train.tolist() == [0, 2]
    assert split.train_rows == ((0, 5), (6, 20))
