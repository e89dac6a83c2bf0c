"""Statistics over training seeds, and paired bootstrap comparisons of two models.

A table that reports one number per model hides how much of a gap between two
models is seed luck. ``summarize`` turns a metric's per-seed values into a mean
with a bootstrap interval; ``is_chance`` marks results that a trivial detector
matches; ``paired_bootstrap`` says whether model A beats model B on the same
windows, resampling both seeds and windows.

Every bootstrap here draws from a generator seeded with a fixed value, so the
same inputs give the same outputs, bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, overload

import numpy as np
from scipy import stats as scipy_stats

# Resamples of summarize's interval: cheap (n <= a few dozen seeds), so take many.
SUMMARY_RESAMPLES = 9999
SUMMARY_SEED = 0
# Slack of is_chance: a percentile bootstrap over 2-5 seeds is too narrow (it
# under-covers at small n), and one seed has no interval at all, so "within noise"
# gets this much room on the metric's 0..1 scale.
CHANCE_TOLERANCE = 0.02
# paired_bootstrap keeps each batch of resample weights near this many cells (memory).
BATCH_CELLS = 1 << 21


@dataclass(frozen=True)
class Interval:
    """A metric over seeds: mean, sample std, bootstrap interval of the mean, seed count.

    ``low`` and ``high`` are NaN when ``n < 2``; everything but ``n`` is NaN when ``n == 0``.
    """

    mean: float
    std: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class PairedResult:
    """metric(a) - metric(b) averaged over seeds, its bootstrap interval and p-value."""

    mean_diff: float
    low: float
    high: float
    p_value: float
    n_seeds: int


class PairedMetric(Protocol):
    """A metric of weighted windows, one value per row of ``weights``.

    ``weights[r, i]`` is how often window ``i`` occurs in resample ``r``; a metric
    that takes weights can score thousands of resamples without materialising them.
    """

    def __call__(
        self, values: np.ndarray, labels: np.ndarray, weights: np.ndarray, /
    ) -> np.ndarray:
        """[R] metric values, one per resample."""
        ...


def summarize(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Interval:
    """Mean, sample std (ddof=1) and percentile-bootstrap interval of the mean over seeds.

    NaN values (a metric undefined for a seed) are dropped first. One seed gives
    ``std = 0`` and a NaN interval: one value says nothing about seed-to-seed
    spread. Identical values give ``low = high = mean`` without resampling. The
    percentile method is used because it is defined for every n >= 2 (BCa breaks
    down on the few, tied resample means of 2-3 seeds); its interval is somewhat
    too narrow for so few seeds, which ``is_chance`` allows for.
    """
    kept = np.asarray(values, dtype=np.float64)
    kept = kept[~np.isnan(kept)]
    nan = float("nan")
    if len(kept) == 0:
        return Interval(nan, nan, nan, nan, 0)
    if np.all(kept == kept[0]):
        spread = nan if len(kept) == 1 else float(kept[0])
        return Interval(float(kept[0]), 0.0, spread, spread, len(kept))
    result = scipy_stats.bootstrap(
        (kept,),
        np.mean,
        n_resamples=SUMMARY_RESAMPLES,
        confidence_level=confidence,
        method="percentile",
        rng=np.random.default_rng(SUMMARY_SEED),
    )
    # A resample's mean lies within the data; clipping undoes rounding (0.7 * 3 / 3 < 0.7).
    low, high = np.clip(
        [result.confidence_interval.low, result.confidence_interval.high], kept.min(), kept.max()
    )
    return Interval(float(kept.mean()), float(kept.std(ddof=1)), float(low), float(high), len(kept))


def flag_all_f1(prevalence: float) -> float:
    """F1 of the detector that flags every window: precision p, recall 1, so 2p / (1 + p).

    The floor any detector's F1 must clear to mean something: on a scenario that is
    mostly attack, flagging everything already scores close to 1.
    """
    if not 0.0 <= prevalence <= 1.0:
        raise ValueError(f"prevalence must lie in [0, 1], got {prevalence}")
    return 2 * prevalence / (1 + prevalence)


def is_chance(
    f1: Interval, auroc: Interval, prevalence: float, tolerance: float = CHANCE_TOLERANCE
) -> bool:
    """Whether a result earns the ``~chance`` mark: no better than a trivial detector.

    True when either holds:

    * F1 not above flagging everything beyond noise: ``f1.low - tolerance <=
      flag_all_f1(prevalence)`` (one seed: ``f1.mean - tolerance``). This holds for a
      detector that flags everything and for one that flags nothing (F1 0), whatever
      its AUROC: at its threshold neither detects anything;
    * AUROC not above 0.5 beyond noise: ``auroc.low <= 0.5 + tolerance`` (one seed:
      ``auroc.mean <= 0.5 + tolerance``).

    The tolerance widens the bootstrap interval too, because an interval from a few
    seeds is too narrow (see ``summarize``). An undefined metric (``n == 0``, e.g.
    AUROC on a one-class scenario) gives no evidence either way and marks nothing.
    """
    baseline = flag_all_f1(prevalence)
    f1_low, _ = _noise_band(f1)
    not_above_flag_all = f1.n > 0 and f1_low - tolerance <= baseline
    auroc_low, _ = _noise_band(auroc)
    no_ranking = auroc.n > 0 and auroc_low <= 0.5 + tolerance
    return bool(not_above_flag_all or no_ranking)


def _noise_band(metric: Interval) -> tuple[float, float]:
    """The interval, or the single seed's value as both ends."""
    if metric.n == 1:
        return metric.mean, metric.mean
    return metric.low, metric.high


@overload
def f1_of(predicted: np.ndarray, labels: np.ndarray, weights: None = None) -> float: ...
@overload
def f1_of(predicted: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray: ...
def f1_of(
    predicted: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None
) -> float | np.ndarray:
    """F1 of 0/1 predictions; with ``weights`` [R, N], one F1 per resample row.

    0 where there is no true or predicted attack (sklearn's ``zero_division=0``).
    """
    flagged = np.asarray(predicted).astype(bool)
    attack = np.asarray(labels).astype(bool)
    rows = np.ones((1, len(flagged))) if weights is None else np.asarray(weights, np.float64)
    tp = rows @ (flagged & attack)
    wrong = rows @ (flagged ^ attack)  # false positives plus false negatives
    denominator = 2 * tp + wrong
    f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
    return float(f1[0]) if weights is None else f1


@overload
def auroc_of(scores: np.ndarray, labels: np.ndarray, weights: None = None) -> float: ...
@overload
def auroc_of(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray: ...
def auroc_of(
    scores: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None
) -> float | np.ndarray:
    """AUROC (ties count half); with ``weights`` [R, N], one per resample row.

    The Mann-Whitney form over score groups: each attack's weight times the benign
    weight below its score (plus half the benign weight at it), over P * N. NaN
    where a row lacks either class.
    """
    scores = np.asarray(scores, dtype=np.float64)
    attack = np.asarray(labels).astype(bool)
    rows = np.ones((1, len(scores))) if weights is None else np.asarray(weights, np.float64)
    order = np.argsort(scores, kind="stable")
    ordered = scores[order]
    groups = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sorted_rows = rows[:, order]
    positive = np.add.reduceat(sorted_rows * attack[order], groups, axis=1)
    negative = np.add.reduceat(sorted_rows * ~attack[order], groups, axis=1)
    below = np.cumsum(negative, axis=1) - negative
    wins = (positive * (below + 0.5 * negative)).sum(axis=1)
    pairs = positive.sum(axis=1) * negative.sum(axis=1)
    auroc = np.divide(wins, pairs, out=np.full_like(wins, np.nan), where=pairs > 0)
    return float(auroc[0]) if weights is None else auroc


def paired_bootstrap(
    metric: PairedMetric,
    a: Sequence[np.ndarray],
    b: Sequence[np.ndarray],
    labels: Sequence[np.ndarray],
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> PairedResult:
    """Is model A better than model B on the same windows? metric(a) - metric(b) over seeds.

    ``a[s]``, ``b[s]``, ``labels[s]`` are seed ``s``'s per-window predictions (or
    scores) of both models and the labels, on the same windows of one scenario.
    ``mean_diff`` is the mean over seeds of metric(a[s]) - metric(b[s]).

    Each resample draws seeds with replacement and, within each drawn seed, windows
    with replacement, the same windows for A and B (paired: window difficulty
    cancels out), and averages the per-seed differences. Resampling windows is
    done by multinomial counts over the distinct (a, b, label) rows, which for 0/1
    predictions is at most 8 rows: F1 costs microseconds per resample whatever the
    scenario's size (3 seeds x 5000 windows x 2000 resamples: ~10 ms). Scores
    (AUROC) have about one row per window, so each resample costs O(windows);
    use a few hundred resamples there (500: ~1 s for 3 seeds x 5000 windows).

    The interval holds the central ``confidence`` share of the resampled
    differences (percentiles). The two-sided p-value is
    ``min(1, 2 * min(share of differences <= 0, share >= 0))``: small when the
    resamples agree on the sign, 1 when A and B are identical; its resolution is
    ``1 / resamples``, so 0 means "below that". Resamples where the
    metric is undefined (NaN, e.g. AUROC of a draw without attacks) are left out.

    Args:
        metric: ``f1_of``, ``auroc_of`` or any ``PairedMetric``.
        a: Per seed, model A's per-window values.
        b: Per seed, model B's per-window values.
        labels: Per seed, the windows' 0/1 labels.
        resamples: Bootstrap resamples.
        confidence: Interval coverage, e.g. 0.95.
        seed: Seed of the resampling generator.

    Returns:
        The mean difference, its interval, the p-value and the number of seeds.

    Raises:
        ValueError: If the seed lists or a seed's arrays differ in length, or are empty.
    """
    seeds = _paired_seeds(a, b, labels)
    observed = [_difference(metric, rows, counts[np.newaxis]) for rows, counts in seeds]
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, len(seeds), size=(resamples, len(seeds)))
    differences = np.empty(drawn.shape)
    for index, (rows, counts) in enumerate(seeds):
        where = drawn == index
        differences[where] = _resampled_differences(metric, rows, counts, int(where.sum()), rng)
    means = differences.mean(axis=1)
    means = means[~np.isnan(means)]
    nan = float("nan")
    if len(means) == 0:
        return PairedResult(float(np.mean(observed)), nan, nan, nan, len(seeds))
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    p_value = min(1.0, 2 * min(float(np.mean(means <= 0)), float(np.mean(means >= 0))))
    return PairedResult(float(np.mean(observed)), float(low), float(high), p_value, len(seeds))


def _paired_seeds(
    a: Sequence[np.ndarray], b: Sequence[np.ndarray], labels: Sequence[np.ndarray]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per seed, the distinct (a, b, label) rows [U, 3] and how many windows each stands for."""
    if not len(a) == len(b) == len(labels):
        raise ValueError(
            f"a, b and labels must hold one array per seed, got {len(a)}, {len(b)} and "
            f"{len(labels)} seeds"
        )
    if len(a) == 0:
        raise ValueError("paired_bootstrap needs at least one seed")
    seeds = []
    for s, (one_a, one_b, one_labels) in enumerate(zip(a, b, labels, strict=True)):
        lengths = {f"a[{s}]": len(one_a), f"b[{s}]": len(one_b), f"labels[{s}]": len(one_labels)}
        if len(set(lengths.values())) != 1 or lengths[f"a[{s}]"] == 0:
            raise ValueError(f"a seed's arrays must be non-empty and equally long, got {lengths}")
        stacked = np.column_stack([one_a, one_b, one_labels]).astype(np.float64)
        if not np.isfinite(stacked).all():
            raise ValueError(f"a[{s}] or b[{s}] holds NaN or infinite values")
        if not np.isin(stacked[:, 2], (0, 1)).all():
            raise ValueError(f"labels[{s}] must be 0 (benign) or 1 (attack)")
        seeds.append(_distinct_rows(stacked))
    return seeds


def _distinct_rows(stacked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of [N, K] and their counts (np.unique(axis=0), ~15x faster)."""
    ordered = stacked[np.lexsort(stacked.T[::-1])]
    new = np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)]
    firsts = np.flatnonzero(new)
    return ordered[firsts], np.diff(np.r_[firsts, len(ordered)])


def _difference(metric: PairedMetric, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """metric(a) - metric(b) for each row of weights over the distinct rows."""
    labels = rows[:, 2]
    return metric(rows[:, 0], labels, weights) - metric(rows[:, 1], labels, weights)


def _resampled_differences(
    metric: PairedMetric,
    rows: np.ndarray,
    counts: np.ndarray,
    draws: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """``draws`` differences, each over one resample of the seed's windows with replacement."""
    windows = int(counts.sum())
    batch = max(1, BATCH_CELLS // len(rows))
    parts = [np.empty(0)]
    for first in range(0, draws, batch):
        size = min(batch, draws - first)
        weights = rng.multinomial(windows, counts / windows, size=size)
        parts.append(_difference(metric, rows, weights))
    return np.concatenate(parts)
