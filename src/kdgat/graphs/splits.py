"""Which windows of a training capture train the models and which validate them.

Validation is the last ``val_fraction`` of each of ``val_blocks`` equal time
blocks of a capture's windows. One block is the capture's tail. Several spread
validation over the capture: in set_01 every attack of a training capture lies
in its first 80 %, so a tail split holds no attack at all and every threshold
degenerates to "just above the largest benign score". Training windows that
share a frame with a validation window are dropped, so no frame is in both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WindowSplit:
    """A training capture's windows by split, and the rows its training windows cover."""

    train: np.ndarray  # int64 window indices, in time order
    val: np.ndarray
    train_rows: tuple[tuple[int, int], ...]  # [start, end) row ranges: the vocabulary's view


def split_windows(
    first_row: np.ndarray, end_row: np.ndarray, fraction: float, blocks: int
) -> WindowSplit:
    """Split windows ``k`` covering rows ``[first_row[k], end_row[k])``, both increasing."""
    val = _validation(len(first_row), fraction, blocks)
    train = ~val & ~_overlaps(first_row, end_row, val)
    return WindowSplit(np.flatnonzero(train), np.flatnonzero(val), _rows(first_row, end_row, train))


def _validation(n: int, fraction: float, blocks: int) -> np.ndarray:
    """Bool [n]: ``round(n * fraction)`` windows, shared out over the ends of ``blocks`` blocks."""
    val = np.zeros(n, dtype=bool)
    ends = np.arange(1, blocks + 1) * n // blocks
    taken = np.diff(np.arange(blocks + 1) * round(n * fraction) // blocks)
    for end, count in zip(ends, taken, strict=True):
        val[end - count : end] = True
    return val


def _overlaps(first_row: np.ndarray, end_row: np.ndarray, val: np.ndarray) -> np.ndarray:
    """Bool [n]: windows sharing a row with some validation window.

    Rows only increase, so only the nearest validation window on each side can overlap.
    """
    n = len(val)
    index = np.arange(n)
    before = np.maximum.accumulate(np.where(val, index, -1))
    after = np.minimum.accumulate(np.where(val, index, n)[::-1])[::-1]
    ends_before = np.where(before >= 0, end_row[np.maximum(before, 0)], np.iinfo(np.int64).min)
    starts_after = np.where(after < n, first_row[np.minimum(after, n - 1)], np.iinfo(np.int64).max)
    return (ends_before > first_row) | (starts_after < end_row)


def _rows(
    first_row: np.ndarray, end_row: np.ndarray, chosen: np.ndarray
) -> tuple[tuple[int, int], ...]:
    """The rows the ``chosen`` windows cover, as sorted disjoint ``[start, end)`` ranges."""
    first, end = first_row[chosen], end_row[chosen]
    # A range ends where the next chosen window starts past it (skipped windows, or gaps
    # when stride > window).
    breaks = np.flatnonzero(first[1:] > end[:-1]) + 1
    starts, ends = np.split(first, breaks), np.split(end, breaks)
    return tuple((int(a[0]), int(b[-1])) for a, b in zip(starts, ends, strict=True) if len(a))
