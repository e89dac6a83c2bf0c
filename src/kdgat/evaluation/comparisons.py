"""The paired questions a paper asks, answered with a paired bootstrap over seeds and windows.

Two models scored on the same windows are compared window by window
(``kdgat.evaluation.stats.paired_bootstrap`` of their F1 at their validation
thresholds): the KD gap (teacher - student), the fusion gain (fusion - the better of
its two inputs, chosen by mean F1 over seeds), and graph models against the
non-graph baseline. A difference whose interval excludes 0 is one the seeds and
windows support; a p-value near 1 says the two are indistinguishable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kdgat.evaluation.stats import f1_of, paired_bootstrap


@dataclass(frozen=True)
class Question:
    """``model`` against ``other`` (or the best of several, by mean F1), asked as ``name``."""

    name: str
    model: str
    others: tuple[str, ...]


QUESTIONS = (
    Question("kd_gap", "gat", ("gat_small",)),
    Question("kd_gap", "vgae", ("vgae_small",)),
    Question("fusion_gain", "fusion_dqn", ("gat", "vgae")),
    Question("fusion_gain", "fusion_dqn_small", ("gat_small", "vgae_small")),
    Question("over_baseline", "gat", ("window_gbt",)),
    Question("over_baseline", "fusion_dqn", ("window_gbt",)),
)

# Decisions per seed: model -> scenario -> flagged windows; labels per scenario.
Decisions = Mapping[str, Mapping[str, np.ndarray]]


def comparison_rows(
    dataset: str,
    seeds: Sequence[tuple[Decisions, Mapping[str, np.ndarray]]],
    mean_f1: Mapping[tuple[str, str], float],
) -> list[dict[str, Any]]:
    """One row per scenario and answerable question (both models evaluated on every seed).

    ``seeds``: per seed, its (decisions, labels); ``mean_f1``: (model, scenario) -> the
    mean F1 over seeds, which picks the better input of a fusion.
    """
    if not seeds:
        return []
    rows = []
    scenarios = sorted(seeds[0][1])
    for scenario in scenarios:
        labels = [by_label[scenario] for _, by_label in seeds]
        if not any(y.any() for y in labels):
            continue  # no attack window: F1 is undefined (see the scenarios table)
        for q in QUESTIONS:
            known = [m for m in (q.model, *q.others) if all(m in d for d, _ in seeds)]
            if q.model not in known or len(known) < 2:
                continue
            other = max(known[1:], key=lambda m: mean_f1.get((m, scenario), -1.0))
            a = [d[q.model][scenario] for d, _ in seeds]
            b = [d[other][scenario] for d, _ in seeds]
            result = paired_bootstrap(f1_of, a, b, labels)
            rows.append(
                {
                    "dataset": dataset,
                    "scenario": scenario,
                    "question": q.name,
                    "model": q.model,
                    "other": other,
                    "metric": "f1",
                    "seeds": result.n_seeds,
                    "difference": result.mean_diff,
                    "ci_low": result.low,
                    "ci_high": result.high,
                    "p_value": result.p_value,
                }
            )
    return rows
